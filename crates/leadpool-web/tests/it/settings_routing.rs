//! Settings → Routing as a browser posts it: a source added with its intake key shown once
//! (and working), its key rotated and the source turned off; a group with weights; rules
//! added, moved, turned off and deleted; the rules tried on a sample lead without writing
//! anything; reassignment groups; bad input said on the page with 422, and agents kept out.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ui::Browser;

/// The items of an API list.
async fn items(app: &TestApp, path: &str) -> Vec<Value> {
    app.get(path, &app.admin.token).await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The id of the item of `path` named `name`.
async fn id_of(app: &TestApp, path: &str, name: &str) -> i64 {
    items(app, path)
        .await
        .iter()
        .find(|i| i["name"] == name)
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("no {name} in {path}"))
}

/// The intake key the page shows once.
fn shown_key(html: &str) -> String {
    let start = html
        .find(r#"id="new-key-value" class="secret" value=""#)
        .unwrap_or_else(|| panic!("no key shown: {html}"))
        + r#"id="new-key-value" class="secret" value=""#.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A rule's form with its plan: `extra` adds or overrides fields.
fn rule_form<'a>(name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", name),
        ("enabled", "yes"),
        ("tags", ""),
        ("fields", ""),
        ("group", ""),
        ("agent", ""),
        ("pool", ""),
        ("window_amount", ""),
        ("window_unit", "minutes"),
        ("passes", "1"),
        ("calendar", ""),
        ("fallback", "queue"),
    ];
    for (k, v) in extra {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

app_test! {
    async fn an_admin_sets_up_sources_groups_and_rules_and_tries_them_from_the_page(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let hub = admin.get("/settings").await;
        assert!(hub.html.contains(r#"<a href="/settings/routing">Routing</a>"#), "{}", hub.html);
        let empty = admin.get("/settings/routing").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
        assert!(empty.html.contains("No sources yet") && empty.html.contains("No rules yet: every new lead waits in the assignment queue."), "{}", empty.html);

        // A source: its key is shown this once and takes leads.
        let added = admin.htmx_post("/settings/sources", &csrf, &[("name", "Website"), ("team", "")]).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.contains("Source “Website” added. Copy its intake key now: it is not shown again."), "{}", added.html);
        let key = shown_key(&added.html);
        assert!(key.starts_with("src_"), "{key}");
        let source = id_of(&app, "/api/v1/sources", "Website").await;
        let again = admin.get("/settings/routing").await;
        assert!(!again.html.contains(&key) && again.html.contains(&format!("…{}", &key[key.len() - 4..])), "the key is not shown twice, only its end: {}", again.html);
        assert_eq!(app.intake(&key, json!({ "name": "First" })).await.status, StatusCode::CREATED);

        // A group with weights: Ana one lead a round, Bob two, and everyone tagged spanish.
        let (ana_id, bob_id) = (ana.user.id.to_string(), bob.user.id.to_string());
        let people = users_in_order(&app).await;
        let uids: Vec<String> = people.iter().map(|(id, _)| id.to_string()).collect();
        let mut group_form = vec![("name", "Sales"), ("tags", "spanish")];
        for ((_, name), uid) in people.iter().zip(&uids) {
            let weight = match name.as_str() { "ana" => "1", "bob" => "2", _ => "" };
            group_form.extend([("uid", uid.as_str()), ("weight", weight)]);
        }
        let grouped = admin.htmx_post("/settings/groups", &csrf, &group_form).await;
        assert_eq!(grouped.status, StatusCode::OK, "{}", grouped.html);
        assert!(grouped.html.contains("Group “Sales” added; rules can now pick from it.") && grouped.html.contains("ana, bob ×2, everyone tagged “spanish”"), "{}", grouped.html);
        let group = id_of(&app, "/api/v1/groups", "Sales").await;
        let group_s = group.to_string();
        let source_s = source.to_string();

        // Two rules; the second is moved first, then turned off.
        let rr = rule_form("Website round robin", &[("sources", &source_s), ("fields", "budget at least 100"), ("strategy", "round_robin"),
            ("group", &group_s), ("window_amount", "5"), ("ignore_hours", "yes")]);
        let first = admin.htmx_post("/settings/rules", &csrf, &rr).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.html);
        assert!(first.html.contains("Rule “Website round robin” added last"), "{}", first.html);
        assert!(first.html.contains("<strong>Takes:</strong> From Website; budget at least 100"), "{}", first.html);
        let stored = items(&app, "/api/v1/rules").await;
        assert_eq!(stored[0]["plan"]["window_secs"], 300, "{stored:?}");
        assert_eq!(stored[0]["plan"]["group_id"], group, "{stored:?}");
        assert_eq!(stored[0]["conditions"]["fields"][0], json!({ "field": "budget", "op": "range", "min": 100.0, "max": null }), "{stored:?}");
        let direct = admin.htmx_post("/settings/rules", &csrf, &rule_form("Everything to Bob", &[("strategy", "direct_agent"), ("agent", &bob_id)])).await;
        assert!(direct.html.contains("Rule “Everything to Bob” added last"), "{}", direct.html);
        let to_bob = id_of(&app, "/api/v1/rules", "Everything to Bob").await;
        let moved = admin.htmx_post(&format!("/settings/rules/{to_bob}/move"), &csrf, &[("direction", "up")]).await;
        assert!(moved.html.contains("Rule “Everything to Bob” is now number 1 of 2."), "{}", moved.html);
        let order: Vec<Value> = items(&app, "/api/v1/rules").await.iter().map(|r| r["name"].clone()).collect();
        assert_eq!(order, [json!("Everything to Bob"), json!("Website round robin")]);
        let off = admin.htmx_post(&format!("/settings/rules/{to_bob}/toggle"), &csrf, &[]).await;
        assert!(off.html.contains("Rule “Everything to Bob” is off: leads pass it over for the next rule.") && off.html.contains(r#"<span class="badge">off</span>"#), "{}", off.html);
        assert_eq!(items(&app, "/api/v1/rules").await[0]["enabled"], false);

        // Trying the rules writes nothing and says where the lead would go and why.
        let leads_before = items(&app, "/api/v1/leads").await.len();
        let tried = admin.htmx_post("/settings/routing/try", &csrf, &[("source", &source_s), ("tags", ""), ("fields", "budget = 500")]).await;
        assert_eq!(tried.status, StatusCode::OK, "{}", tried.html);
        assert!(tried.html.contains(r#"id="try-result""#) && tried.html.contains("Website round robin"), "{}", tried.html);
        assert!(tried.html.contains("Everything to Bob") && tried.html.contains(r#"name="fields" rows="2">budget = 500</textarea>"#), "the rule passed over and the sample are shown: {}", tried.html);
        assert_eq!(items(&app, "/api/v1/leads").await.len(), leads_before, "a dry run writes no lead");
        assert!(app.offers_of(&ana).await.is_empty() && app.offers_of(&bob).await.is_empty(), "a dry run makes no offer");

        // A lead that matches is offered by the rule made on the page.
        let lead = app.intake(&key, json!({ "name": "Big budget", "fields": { "budget": 500 } })).await;
        assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
        let offered = app.offers_of(&ana).await.len() + app.offers_of(&bob).await.len();
        assert_eq!(offered, 1, "the round robin offered the lead to one agent");

        // A new key replaces the old one at once; a source turned off refuses its key.
        let rotated = admin.htmx_post(&format!("/settings/sources/{source}/rotate"), &csrf, &[]).await;
        assert!(rotated.html.contains("Source “Website” has a new intake key; the old one no longer works."), "{}", rotated.html);
        let new_key = shown_key(&rotated.html);
        assert_ne!(new_key, key);
        assert_eq!(app.intake(&key, json!({ "name": "Old key" })).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.intake(&new_key, json!({ "name": "New key" })).await.status, StatusCode::CREATED);
        let turned_off = admin.htmx_post(&format!("/settings/sources/{source}"), &csrf, &[("name", "Website"), ("team", "")]).await;
        assert!(turned_off.html.contains("Source “Website” saved; it is off: its intake key is refused until it is turned back on."), "{}", turned_off.html);
        assert_ne!(app.intake(&new_key, json!({ "name": "Off" })).await.status, StatusCode::CREATED);

        // A group a rule uses is not deleted; once the rule is gone, it is.
        let kept = admin.htmx_post(&format!("/settings/groups/{group}/delete"), &csrf, &[]).await;
        assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.html);
        assert!(kept.html.contains("Website round robin"), "the rule that uses it is named: {}", kept.html);
        let rr_id = id_of(&app, "/api/v1/rules", "Website round robin").await;
        let gone = admin.htmx_post(&format!("/settings/rules/{rr_id}/delete"), &csrf, &[]).await;
        assert!(gone.html.contains("Rule “Website round robin” deleted; leads it routed keep their owners."), "{}", gone.html);
        let deleted = admin.htmx_post(&format!("/settings/groups/{group}/delete"), &csrf, &[]).await;
        assert!(deleted.html.contains("Group “Sales” deleted."), "{}", deleted.html);

        // A reassignment group straight to Ana, kept to no team.
        let to_ana = format!("agent:{ana_id}");
        let no_default = admin.htmx_post("/settings/reassignment-groups", &csrf, &rule_form("Back to Ana", &[("strategy", "direct_agent"), ("agent", &ana_id)])).await;
        assert_eq!(no_default.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_default.html);
        assert!(no_default.html.contains("a reassignment group needs a default assignee: the agent who gets a lead nobody takes"), "{}", no_default.html);
        let re = admin.htmx_post("/settings/reassignment-groups", &csrf, &rule_form("Back to Ana", &[("strategy", "direct_agent"), ("agent", &ana_id), ("fallback", &to_ana)])).await;
        assert!(re.html.contains("Reassignment group “Back to Ana” added.") && re.html.contains("Everyone in the organization"), "{}", re.html);
        let re_id = id_of(&app, "/api/v1/reassignment-groups", "Back to Ana").await;
        let re_gone = admin.htmx_post(&format!("/settings/reassignment-groups/{re_id}/delete"), &csrf, &[]).await;
        assert!(re_gone.html.contains("Reassignment group “Back to Ana” deleted."), "{}", re_gone.html);
    }
}

/// Every active person of the organization as the group form lists them: id and name.
async fn users_in_order(app: &TestApp) -> Vec<(i64, String)> {
    items(app, "/api/v1/users")
        .await
        .iter()
        .filter(|u| u["active"] != false)
        .map(|u| {
            (
                u["id"].as_i64().unwrap_or_default(),
                u["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

app_test! {
    async fn bad_routing_input_is_said_on_the_page_and_nothing_is_saved(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let bad_field = admin.htmx_post("/settings/rules", &csrf, &rule_form("Odd", &[("strategy", "round_robin"), ("fields", "budget between 1 or 9")])).await;
        assert_eq!(bad_field.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_field.html);
        assert!(bad_field.html.contains("Field conditions: “budget between 1 or 9” is not one of"), "{}", bad_field.html);
        let no_agent = admin.htmx_post("/settings/rules", &csrf, &rule_form("Nobody", &[("strategy", "direct_agent")])).await;
        assert_eq!(no_agent.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_agent.html);
        assert!(no_agent.html.contains("Agent: pick who gets every lead straight away."), "{}", no_agent.html);
        let bad_window = admin.htmx_post("/settings/rules", &csrf, &rule_form("Slow", &[("strategy", "round_robin"), ("window_amount", "soon")])).await;
        assert_eq!(bad_window.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_window.html);
        let no_name = admin.htmx_post("/settings/sources", &csrf, &[("name", " "), ("team", "")]).await;
        assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_name.html);
        let bad_sample = admin.htmx_post("/settings/routing/try", &csrf, &[("source", ""), ("fields", "")]).await;
        assert_eq!(bad_sample.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_sample.html);
        assert!(bad_sample.html.contains("Source: pick one from the list."), "{}", bad_sample.html);
        assert!(items(&app, "/api/v1/rules").await.is_empty() && items(&app, "/api/v1/sources").await.is_empty(), "nothing was saved");
        let missing = admin.htmx_post("/settings/rules/999999/toggle", &csrf, &[]).await;
        assert!(missing.html.contains("That rule was deleted meanwhile."), "{}", missing.html);
    }
}

app_test! {
    async fn agents_and_team_admins_cannot_open_or_post_the_routing_settings(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let agent = Browser::new(&app);
        let csrf = agent.sign_in("ana@acme.test").await;
        let page = agent.get("/settings/routing").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);
        let posted = agent.htmx_post("/settings/sources", &csrf, &[("name", "Sneaky"), ("team", "")]).await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.html);
        let tried = agent.htmx_post("/settings/routing/try", &csrf, &[("source", "1")]).await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN, "{}", tried.html);
        let drafted = agent.htmx_post("/settings/rules/try", &csrf, &rule_form("Mine", &[("strategy", "round_robin"), ("try_source", "1")])).await;
        assert_eq!(drafted.status, StatusCode::FORBIDDEN, "{}", drafted.html);
        assert!(items(&app, "/api/v1/sources").await.is_empty());
        let hub = agent.get("/settings").await;
        assert!(!hub.html.contains("/settings/routing"), "{}", hub.html);
    }
}

app_test! {
    async fn a_rule_is_tried_in_its_place_before_it_is_saved_and_nothing_is_saved(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let (ana_id, bob_id) = (ana.user.id.to_string(), bob.user.id.to_string());
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        admin.htmx_post("/settings/sources", &csrf, &[("name", "Website"), ("team", "")]).await;
        let source = id_of(&app, "/api/v1/sources", "Website").await.to_string();
        admin.htmx_post("/settings/rules", &csrf, &rule_form("Everything to Ana", &[("strategy", "direct_agent"), ("agent", &ana_id)])).await;
        let to_ana = id_of(&app, "/api/v1/rules", "Everything to Ana").await;
        let saved = items(&app, "/api/v1/rules").await;

        // A new rule is tried after the saved ones: the saved rule still takes the lead.
        let mut new_rule = rule_form("Tagged to Bob", &[("strategy", "direct_agent"), ("agent", &bob_id), ("tags", "vip")]);
        new_rule.extend([("try_source", source.as_str()), ("try_tags", "vip"), ("try_fields", "")]);
        let tried = admin.htmx_post("/settings/rules/try", &csrf, &new_rule).await;
        assert_eq!(tried.status, StatusCode::OK, "{}", tried.html);
        assert!(tried.html.contains("Tried, nothing saved:") && tried.html.contains(r#"id="rule-0-tried""#), "{}", tried.html);
        let result = &tried.html[tried.html.find(r#"id="rule-0-tried""#).unwrap_or_default()..];
        assert!(result.contains("Everything to Ana") && result.contains("ana"), "the saved rule comes first: {result}");
        assert!(tried.html.contains(r#"<details class="work-more" open>"#) && tried.html.contains(r#"value="Tagged to Bob""#), "the form stays open as typed: {}", tried.html);
        assert!(tried.html.contains(r#"name="try_tags" value="vip""#), "{}", tried.html);

        // A saved rule's form tried in its place: the draft decides, the saved rule is kept.
        let mut changed = rule_form("Everything to Ana", &[("strategy", "direct_agent"), ("agent", &bob_id)]);
        changed.extend([("try_source", source.as_str()), ("try_tags", ""), ("try_fields", "")]);
        let in_place = admin.htmx_post(&format!("/settings/rules/{to_ana}/try"), &csrf, &changed).await;
        assert_eq!(in_place.status, StatusCode::OK, "{}", in_place.html);
        let marker = format!(r#"id="rule-{to_ana}-tried""#);
        let result = &in_place.html[in_place.html.find(&marker).unwrap_or_else(|| panic!("no result: {}", in_place.html))..];
        let result = &result[..result.find("</fieldset>").unwrap_or(result.len())];
        assert!(result.contains("bob") && !result.contains("ana"), "the draft sends it to Bob: {result}");
        assert!(in_place.html.contains(&format!(r#"<li id="rule-{to_ana}">"#)), "{}", in_place.html);
        assert_eq!(items(&app, "/api/v1/rules").await, saved, "trying saves nothing");
        assert!(items(&app, "/api/v1/leads").await.is_empty(), "trying writes no lead");

        // A draft the app refuses says why, and keeps what was typed.
        let mut broken = rule_form("Round robin of nobody", &[("strategy", "round_robin"), ("group", "999999")]);
        broken.extend([("try_source", source.as_str())]);
        let refused = admin.htmx_post("/settings/rules/try", &csrf, &broken).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
        assert!(refused.html.contains(r#"value="Round robin of nobody""#), "{}", refused.html);
        let no_sample = admin.htmx_post("/settings/rules/try", &csrf, &rule_form("No sample", &[("strategy", "direct_agent"), ("agent", &bob_id)])).await;
        assert_eq!(no_sample.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_sample.html);
        assert!(no_sample.html.contains("A lead from: pick a source."), "{}", no_sample.html);
        assert_eq!(items(&app, "/api/v1/rules").await, saved);

        // The same through the API: a draft in a rule's place, a draft without its rule, a
        // rule that does not exist, and an agent.
        let draft = json!({ "name": "Everything to Ana", "plan": { "strategy": { "kind": "direct_agent", "user_id": bob.user.id }, "fallback": { "kind": "queue" } } });
        let api = app.post("/api/v1/routing/dry-run", &app.admin.token, json!({ "source_id": source.parse::<i64>().unwrap_or_default(), "rule": draft, "rule_id": to_ana })).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        assert_eq!(api.body["outcome"]["user_id"], json!(bob.user.id), "{}", api.body);
        let lone = app.post("/api/v1/routing/dry-run", &app.admin.token, json!({ "source_id": 1, "rule_id": to_ana })).await;
        assert_eq!((lone.status, lone.body["error"]["details"]["fields"][0]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("rule_id")), "{}", lone.body);
        let gone = app.post("/api/v1/routing/dry-run", &app.admin.token, json!({ "source_id": source.parse::<i64>().unwrap_or_default(), "rule": draft, "rule_id": 999_999 })).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
        let by_agent = app.post("/api/v1/routing/dry-run", &ana.token, json!({ "source_id": 1, "rule": draft })).await;
        assert_eq!(by_agent.status, StatusCode::FORBIDDEN, "{}", by_agent.body);
        assert_eq!(items(&app, "/api/v1/rules").await, saved);
    }
}
