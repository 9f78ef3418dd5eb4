//! Distribution settings over the API: groups, routing rules in priority order and
//! reassignment groups; what is refused and why; who may read and change them.

use leadpool_domain::Role;
use leadpool_testkit::{Answer, TestApp, TestUser, app_test};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or_default()
}

/// The fields a 422 names, in order.
fn bad_fields(a: &Answer) -> Vec<String> {
    a.body["error"]["details"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str().map(str::to_owned))
        .collect()
}

fn id(a: &Answer) -> i64 {
    a.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", a.body))
}

fn names(a: &Answer) -> Vec<String> {
    a.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Answer {
    app.request(Method::DELETE, path, Some(token), None).await
}

/// Posts `body` to `path` as the organization admin, expecting 201; returns the new id.
async fn create(app: &TestApp, path: &str, body: Value) -> i64 {
    let a = app.post(path, &app.admin.token, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "POST {path}: {}", a.body);
    id(&a)
}

async fn team(app: &TestApp, name: &str) -> i64 {
    create(app, "/api/v1/teams", json!({ "name": name })).await
}

async fn default_pool(app: &TestApp) -> i64 {
    let pools = app.get("/api/v1/pools", &app.admin.token).await;
    pools.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["is_default"] == true)
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("no default pool in {}", pools.body))
}

/// Gives `who` a team scope (the member cache is forgotten on every user change).
async fn scope_to(app: &TestApp, who: &TestUser, team: i64) {
    let a = app
        .patch(
            &format!("/api/v1/users/{}", who.user.id),
            &app.admin.token,
            json!({ "scope_team_id": team }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

/// What most scenarios need: an agent, a group holding them, the default pool.
struct Setup {
    agent: TestUser,
    group: i64,
    pool: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let agent = app.user("ana@acme.test", Role::Agent, &[]).await;
    let group = create(
        app,
        "/api/v1/groups",
        json!({ "name": "Closers", "entries": [{ "kind": "user", "user_id": agent.user.id.get() }] }),
    )
    .await;
    Setup {
        agent,
        group,
        pool: default_pool(app).await,
    }
}

fn round_robin(group: i64, pool: i64) -> Value {
    json!({
        "strategy": { "kind": "round_robin" }, "group_id": group, "window_secs": 300,
        "fallback": { "kind": "pool", "pool_id": pool },
    })
}

fn reassignment(name: &str, group: i64, assignee: &TestUser, teams: &[i64]) -> Value {
    json!({
        "name": name,
        "plan": {
            "strategy": { "kind": "broadcast" }, "group_id": group, "window_secs": 600,
            "fallback": { "kind": "agent", "user_id": assignee.user.id.get() },
        },
        "teams": teams,
    })
}

app_test! {
    async fn an_admin_creates_reads_changes_and_deletes_a_group(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::AllLeadsAgent, &[]).await;
        let entries = json!([
            { "kind": "user", "user_id": ana.user.id.get(), "weight": 2 },
            { "kind": "tag", "tag": "Spanish" },
        ]);
        let made = app.post("/api/v1/groups", &app.admin.token, json!({ "name": " Closers ", "entries": entries })).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let g = id(&made);
        assert_eq!(made.body["name"], "Closers", "the name is trimmed");
        assert_eq!(made.body["entries"], json!([
            { "kind": "user", "user_id": ana.user.id.get(), "weight": 2 },
            { "kind": "tag", "tag": "spanish", "weight": 1 },
        ]), "tags are normalized and weights default to 1");

        let one = app.get(&format!("/api/v1/groups/{g}"), &app.admin.token).await;
        assert_eq!((one.status, one.body.clone()), (StatusCode::OK, made.body.clone()));

        let changed = put(&app, &format!("/api/v1/groups/{g}"), &app.admin.token, json!({
            "name": "Senior closers", "entries": [{ "kind": "user", "user_id": bob.user.id.get(), "weight": 100 }],
        })).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["entries"], json!([{ "kind": "user", "user_id": bob.user.id.get(), "weight": 100 }]));

        create(&app, "/api/v1/groups", json!({ "name": "Openers" })).await;
        let taken = app.post("/api/v1/groups", &app.admin.token, json!({ "name": "Openers" })).await;
        assert_eq!((taken.status, code(&taken)), (StatusCode::CONFLICT, "already_exists"), "{}", taken.body);
        let list = app.get("/api/v1/groups", &app.admin.token).await;
        assert_eq!(names(&list), ["Openers", "Senior closers"]);

        let gone = delete(&app, &format!("/api/v1/groups/{g}"), &app.admin.token).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        let again = app.get(&format!("/api/v1/groups/{g}"), &app.admin.token).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let twice = delete(&app, &format!("/api/v1/groups/{g}"), &app.admin.token).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND);
    }
}

app_test! {
    async fn an_admin_creates_updates_disables_and_deletes_rules(app) {
        let s = setup(&app).await;
        let (source, _) = app.source("Website").await;
        let body = json!({
            "name": "Luxury",
            "conditions": {
                "sources": [source],
                "fields": [{ "field": "price", "op": "range", "min": 1_000_000, "max": 5_000_000 }],
                "tags": ["VIP"],
            },
            "plan": round_robin(s.group, s.pool),
        });
        let made = app.post("/api/v1/rules", &app.admin.token, body).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let luxury = id(&made);
        assert_eq!(made.body["enabled"], true, "a rule is enabled unless told otherwise");
        assert_eq!(made.body["conditions"], json!({
            "sources": [source],
            "fields": [{ "field": "price", "op": "range", "min": 1_000_000.0, "max": 5_000_000.0 }],
            "tags": ["vip"],
        }));
        assert_eq!(made.body["plan"], json!({
            "strategy": { "kind": "round_robin" }, "group_id": s.group, "window_secs": 300,
            "calendar_id": null, "ignore_hours": false, "passes": 1,
            "fallback": { "kind": "pool", "pool_id": s.pool },
        }));

        let direct = json!({ "name": "Everything else", "plan": {
            "strategy": { "kind": "direct_agent", "user_id": s.agent.user.id.get() },
        }});
        let other = create(&app, "/api/v1/rules", direct).await;
        let list = app.get("/api/v1/rules", &app.admin.token).await;
        assert_eq!(names(&list), ["Luxury", "Everything else"], "new rules are tried last");
        assert_eq!(list.body["items"][1]["plan"]["fallback"], json!({ "kind": "queue" }));

        let off = put(&app, &format!("/api/v1/rules/{luxury}"), &app.admin.token, json!({
            "name": "Luxury homes", "enabled": false, "plan": round_robin(s.group, s.pool),
        })).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        assert_eq!((off.body["enabled"].clone(), off.body["conditions"].clone()), (json!(false), json!({ "sources": [], "fields": [], "tags": [] })));
        let list = app.get("/api/v1/rules", &app.admin.token).await;
        assert_eq!(names(&list), ["Luxury homes", "Everything else"], "an update keeps the rule's place");

        let taken = put(&app, &format!("/api/v1/rules/{luxury}"), &app.admin.token, json!({
            "name": "Everything else", "plan": round_robin(s.group, s.pool),
        })).await;
        assert_eq!((taken.status, code(&taken)), (StatusCode::CONFLICT, "already_exists"), "{}", taken.body);
        let missing = put(&app, "/api/v1/rules/999999", &app.admin.token, json!({ "name": "X", "plan": round_robin(s.group, s.pool) })).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

        let gone = delete(&app, &format!("/api/v1/rules/{other}"), &app.admin.token).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        assert_eq!(names(&app.get("/api/v1/rules", &app.admin.token).await), ["Luxury homes"]);
        let twice = delete(&app, &format!("/api/v1/rules/{other}"), &app.admin.token).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND);
    }
}

app_test! {
    async fn reordering_rules_changes_which_is_tried_first_and_must_name_each_rule_once(app) {
        let s = setup(&app).await;
        let mut ids = Vec::new();
        for name in ["First", "Second", "Third"] {
            ids.push(create(&app, "/api/v1/rules", json!({ "name": name, "plan": round_robin(s.group, s.pool) })).await);
        }
        let order = json!({ "ids": [ids[2], ids[0], ids[1]] });
        let moved = put(&app, "/api/v1/rules/order", &app.admin.token, order).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        assert_eq!(names(&moved), ["Third", "First", "Second"]);
        assert_eq!(names(&app.get("/api/v1/rules", &app.admin.token).await), ["Third", "First", "Second"]);

        let short = put(&app, "/api/v1/rules/order", &app.admin.token, json!({ "ids": [ids[0], ids[1]] })).await;
        assert_eq!((short.status, bad_fields(&short)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["ids".to_owned()]), "{}", short.body);
        assert!(short.body["error"]["message"].as_str().unwrap_or_default().contains("Third"), "the missing rule is named: {}", short.body);
        let twice = put(&app, "/api/v1/rules/order", &app.admin.token, json!({ "ids": [ids[0], ids[1], ids[2], ids[0]] })).await;
        assert_eq!(bad_fields(&twice), ["ids[3]"], "{}", twice.body);
        let unknown = put(&app, "/api/v1/rules/order", &app.admin.token, json!({ "ids": [ids[0], ids[1], ids[2], 999_999] })).await;
        assert_eq!(bad_fields(&unknown), ["ids[3]"], "{}", unknown.body);
        assert_eq!(names(&app.get("/api/v1/rules", &app.admin.token).await), ["Third", "First", "Second"], "a refused order changes nothing");
    }
}

app_test! {
    async fn invalid_settings_are_refused_naming_each_bad_field(app) {
        let s = setup(&app).await;
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let rule = |plan: Value| json!({ "name": "R", "plan": plan });

        let unknown_group = app.post("/api/v1/rules", &app.admin.token, rule(round_robin(999_999, s.pool))).await;
        assert_eq!((unknown_group.status, bad_fields(&unknown_group)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["plan.group_id".to_owned()]), "{}", unknown_group.body);
        let broadcast = json!({ "strategy": { "kind": "broadcast" }, "group_id": s.group });
        let no_window = app.post("/api/v1/rules", &app.admin.token, rule(broadcast)).await;
        assert_eq!(bad_fields(&no_window), ["plan.window_secs"], "{}", no_window.body);
        let not_agent = json!({ "strategy": { "kind": "round_robin" }, "group_id": s.group, "fallback": { "kind": "agent", "user_id": isa.user.id.get() } });
        let a = app.post("/api/v1/rules", &app.admin.token, rule(not_agent)).await;
        assert_eq!(bad_fields(&a), ["plan.fallback.user_id"], "{}", a.body);
        assert!(a.body["error"]["message"].as_str().unwrap_or_default().contains("not an agent"), "{}", a.body);

        let many = json!({
            "name": "",
            "conditions": {
                "sources": [999_999],
                "fields": [{ "field": " ", "op": "equals", "value": 1 }, { "field": "price", "op": "range" }, { "field": "beds", "op": "range", "min": 3, "max": 2 }],
                "tags": ["no/slash"],
            },
            "plan": { "strategy": { "kind": "direct_pool", "pool_id": 999_999 }, "group_id": s.group, "calendar_id": 999_999, "passes": 0 },
        });
        let all = app.post("/api/v1/rules", &app.admin.token, many).await;
        assert_eq!(all.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", all.body);
        let mut fields = bad_fields(&all);
        fields.sort();
        assert_eq!(fields, [
            "conditions.fields[0].field", "conditions.fields[1].min", "conditions.fields[2].max",
            "conditions.sources[0]", "conditions.tags[0]", "name", "plan.calendar_id", "plan.group_id",
            "plan.passes", "plan.strategy.pool_id",
        ], "every problem is reported at once");

        let bad_entries = app.post("/api/v1/groups", &app.admin.token, json!({ "name": "G", "entries": [
            { "kind": "user", "user_id": isa.user.id.get() },
            { "kind": "user", "user_id": s.agent.user.id.get(), "weight": 0 },
            { "kind": "tag", "tag": "  " },
            { "kind": "user", "user_id": 999_999, "weight": 101 },
        ]})).await;
        assert_eq!(bad_fields(&bad_entries), ["entries[0].user_id", "entries[1].weight", "entries[2].tag", "entries[3].weight", "entries[3].user_id"], "{}", bad_entries.body);
        let too_many: Vec<Value> = (0..501).map(|_| json!({ "kind": "tag", "tag": "x" })).collect();
        let big = app.post("/api/v1/groups", &app.admin.token, json!({ "name": "Big", "entries": too_many })).await;
        assert_eq!(bad_fields(&big), ["entries"], "{}", big.body);

        let mut into_pool = reassignment("To pool", s.group, &s.agent, &[]);
        into_pool["plan"]["fallback"] = json!({ "kind": "pool", "pool_id": s.pool });
        let r = app.post("/api/v1/reassignment-groups", &app.admin.token, into_pool).await;
        assert_eq!(bad_fields(&r), ["plan.fallback"], "{}", r.body);
        let mut no_fallback = reassignment("No fallback", s.group, &s.agent, &[]);
        if let Some(plan) = no_fallback["plan"].as_object_mut() {
            plan.remove("fallback");
        }
        let r = app.post("/api/v1/reassignment-groups", &app.admin.token, no_fallback).await;
        assert_eq!(bad_fields(&r), ["plan.fallback"], "the default assignee is required: {}", r.body);
        let mut direct_pool = reassignment("Direct pool", s.group, &s.agent, &[999_999]);
        direct_pool["plan"]["strategy"] = json!({ "kind": "direct_pool", "pool_id": s.pool });
        direct_pool["plan"]["group_id"] = Value::Null;
        let r = app.post("/api/v1/reassignment-groups", &app.admin.token, direct_pool).await;
        assert_eq!(bad_fields(&r), ["plan.strategy", "teams[0]"], "{}", r.body);

        let unknown_kind = app.post("/api/v1/rules", &app.admin.token, rule(json!({ "strategy": { "kind": "fastest" } }))).await;
        assert_eq!((unknown_kind.status, code(&unknown_kind)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"), "{}", unknown_kind.body);
        assert!(bad_fields(&unknown_kind)[0].starts_with("plan"), "{}", unknown_kind.body);
        let extra = app.post("/api/v1/rules", &app.admin.token, rule(json!({ "strategy": { "kind": "broadcast" }, "window": 5 }))).await;
        assert_eq!(code(&extra), "invalid_input", "unknown fields are refused: {}", extra.body);
        let broken = app.http.post(format!("{}/api/v1/groups", app.base)).bearer_auth(&app.admin.token)
            .header("content-type", "application/json").body("{\"name\": ").send().await
            .expect("post a broken body");
        assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
        let broken: Value = broken.json().await.unwrap_or_default();
        assert_eq!(broken["error"]["code"], "malformed_json", "{broken}");
        assert_eq!(names(&app.get("/api/v1/rules", &app.admin.token).await), Vec::<String>::new(), "nothing refused was stored");
    }
}

app_test! {
    async fn a_group_a_rule_or_reassignment_group_uses_cannot_be_deleted(app) {
        let s = setup(&app).await;
        let rule = create(&app, "/api/v1/rules", json!({ "name": "Web leads", "plan": round_robin(s.group, s.pool) })).await;
        let rg = create(&app, "/api/v1/reassignment-groups", reassignment("Takeover", s.group, &s.agent, &[])).await;

        let path = format!("/api/v1/groups/{}", s.group);
        let refused = delete(&app, &path, &app.admin.token).await;
        assert_eq!((refused.status, code(&refused)), (StatusCode::CONFLICT, "in_use"), "{}", refused.body);
        let message = refused.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Web leads") && message.contains("Takeover"), "{message}");

        delete(&app, &format!("/api/v1/rules/{rule}"), &app.admin.token).await;
        let still = delete(&app, &path, &app.admin.token).await;
        assert_eq!(code(&still), "in_use", "the reassignment group still uses it: {}", still.body);
        delete(&app, &format!("/api/v1/reassignment-groups/{rg}"), &app.admin.token).await;
        let gone = delete(&app, &path, &app.admin.token).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    }
}

app_test! {
    async fn an_admin_creates_reads_changes_and_deletes_a_reassignment_group(app) {
        let s = setup(&app).await;
        let north = team(&app, "North").await;
        let south = team(&app, "South").await;
        let made = app.post("/api/v1/reassignment-groups", &app.admin.token, reassignment("Takeover", s.group, &s.agent, &[south, north, south])).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let rg = id(&made);
        let mut teams = vec![north, south];
        teams.sort_unstable();
        assert_eq!(made.body["teams"], json!(teams), "teams are kept once each");
        assert_eq!(made.body["plan"]["fallback"], json!({ "kind": "agent", "user_id": s.agent.user.id.get() }));

        let path = format!("/api/v1/reassignment-groups/{rg}");
        let one = app.get(&path, &app.admin.token).await;
        assert_eq!((one.status, one.body.clone()), (StatusCode::OK, made.body.clone()));

        let mut changed = reassignment("Whole office", s.group, &s.agent, &[]);
        changed["plan"]["strategy"] = json!({ "kind": "load_balanced" });
        changed["plan"]["window_secs"] = Value::Null;
        let a = put(&app, &path, &app.admin.token, changed).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!((a.body["name"].clone(), a.body["teams"].clone(), a.body["plan"]["strategy"].clone()),
            (json!("Whole office"), json!([]), json!({ "kind": "load_balanced" })));
        create(&app, "/api/v1/reassignment-groups", reassignment("Another", s.group, &s.agent, &[])).await;
        assert_eq!(names(&app.get("/api/v1/reassignment-groups", &app.admin.token).await), ["Another", "Whole office"]);
        let taken = put(&app, &path, &app.admin.token, reassignment("Another", s.group, &s.agent, &[])).await;
        assert_eq!((taken.status, code(&taken)), (StatusCode::CONFLICT, "already_exists"), "{}", taken.body);

        let gone = delete(&app, &path, &app.admin.token).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        assert_eq!(app.get(&path, &app.admin.token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(names(&app.get("/api/v1/reassignment-groups", &app.admin.token).await), ["Another"]);
    }
}

app_test! {
    async fn agents_may_not_read_distribution_settings_and_isas_may_only_read_them(app) {
        let s = setup(&app).await;
        let rule = json!({ "name": "R", "plan": round_robin(s.group, s.pool) });
        for role in [Role::Agent, Role::AllLeadsAgent] {
            let who = app.user(&format!("{}@acme.test", role.as_str()), role, &[]).await;
            for path in ["/api/v1/groups", "/api/v1/rules", "/api/v1/reassignment-groups"] {
                let a = app.get(path, &who.token).await;
                assert_eq!((a.status, code(&a)), (StatusCode::FORBIDDEN, "forbidden"), "{role:?} GET {path}: {}", a.body);
            }
            let a = app.post("/api/v1/rules", &who.token, rule.clone()).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        }
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        for path in ["/api/v1/groups", "/api/v1/rules", "/api/v1/reassignment-groups"] {
            assert_eq!(app.get(path, &isa.token).await.status, StatusCode::OK, "ISA GET {path}");
        }
        for (path, body) in [
            ("/api/v1/rules", rule),
            ("/api/v1/groups", json!({ "name": "G" })),
            ("/api/v1/reassignment-groups", reassignment("RG", s.group, &s.agent, &[])),
        ] {
            let a = app.post(path, &isa.token, body).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "ISA POST {path}: {}", a.body);
        }
        let a = delete(&app, &format!("/api/v1/groups/{}", s.group), &isa.token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
}

app_test! {
    async fn a_team_admin_changes_reassignment_groups_of_their_team_but_not_rules_or_groups(app) {
        let s = setup(&app).await;
        let north = team(&app, "North").await;
        let south = team(&app, "South").await;
        let boss = app.user("boss@acme.test", Role::Admin, &["North"]).await;
        scope_to(&app, &boss, north).await;

        let rule = app.post("/api/v1/rules", &boss.token, json!({ "name": "R", "plan": round_robin(s.group, s.pool) })).await;
        assert_eq!(rule.status, StatusCode::FORBIDDEN, "{}", rule.body);
        assert!(rule.body["error"]["message"].as_str().unwrap_or_default().contains("organization-level"), "{}", rule.body);
        let group = put(&app, &format!("/api/v1/groups/{}", s.group), &boss.token, json!({ "name": "Mine" })).await;
        assert_eq!(group.status, StatusCode::FORBIDDEN, "{}", group.body);
        let order = put(&app, "/api/v1/rules/order", &boss.token, json!({ "ids": [] })).await;
        assert_eq!(order.status, StatusCode::FORBIDDEN, "{}", order.body);
        assert_eq!(app.get("/api/v1/rules", &boss.token).await.status, StatusCode::OK, "a team admin reads the rules");

        let own = app.post("/api/v1/reassignment-groups", &boss.token, reassignment("North takeover", s.group, &s.agent, &[north])).await;
        assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
        let own = format!("/api/v1/reassignment-groups/{}", id(&own));
        let renamed = put(&app, &own, &boss.token, reassignment("North rescue", s.group, &s.agent, &[north])).await;
        assert_eq!((renamed.status, renamed.body["name"].clone()), (StatusCode::OK, json!("North rescue")), "{}", renamed.body);
        for teams in [vec![], vec![south], vec![north, south]] {
            let a = put(&app, &own, &boss.token, reassignment("North rescue", s.group, &s.agent, &teams)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "teams {teams:?}: {}", a.body);
            let a = app.post("/api/v1/reassignment-groups", &boss.token, reassignment("Elsewhere", s.group, &s.agent, &teams)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "teams {teams:?}: {}", a.body);
        }

        let org_wide = create(&app, "/api/v1/reassignment-groups", reassignment("Everyone", s.group, &s.agent, &[])).await;
        let org_wide = format!("/api/v1/reassignment-groups/{org_wide}");
        let a = put(&app, &org_wide, &boss.token, reassignment("Everyone", s.group, &s.agent, &[north])).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "a team admin may not take over an organization-wide group: {}", a.body);
        assert_eq!(delete(&app, &org_wide, &boss.token).await.status, StatusCode::FORBIDDEN);
        assert_eq!(delete(&app, &own, &boss.token).await.status, StatusCode::NO_CONTENT);
    }
}

app_test! {
    async fn an_isa_lists_only_the_reassignment_groups_available_to_them(app) {
        let s = setup(&app).await;
        let north = team(&app, "North").await;
        let south = team(&app, "South").await;
        let west = team(&app, "West").await;
        create(&app, "/api/v1/reassignment-groups", reassignment("Everyone", s.group, &s.agent, &[])).await;
        create(&app, "/api/v1/reassignment-groups", reassignment("North only", s.group, &s.agent, &[north])).await;
        let south_only = create(&app, "/api/v1/reassignment-groups", reassignment("South only", s.group, &s.agent, &[south])).await;
        create(&app, "/api/v1/reassignment-groups", reassignment("West only", s.group, &s.agent, &[west])).await;

        let scoped = app.user("scoped@acme.test", Role::Isa, &["West"]).await;
        scope_to(&app, &scoped, north).await;
        let list = app.get("/api/v1/reassignment-groups", &scoped.token).await;
        assert_eq!(names(&list), ["Everyone", "North only", "West only"], "their scope's and their own team's groups, and the organization's");
        let hidden = app.get(&format!("/api/v1/reassignment-groups/{south_only}"), &scoped.token).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);

        let everywhere = app.user("everywhere@acme.test", Role::Isa, &[]).await;
        assert_eq!(names(&app.get("/api/v1/reassignment-groups", &everywhere.token).await).len(), 4, "an organization-wide ISA may use every group");
        assert_eq!(names(&app.get("/api/v1/reassignment-groups", &app.admin.token).await).len(), 4);
    }
}

app_test! {
    async fn a_team_admin_lists_only_the_reassignment_groups_they_may_use(app) {
        // Issue 18, defect 11: a team admin saw another team's groups and got a 404 using them.
        let s = setup(&app).await;
        let north = team(&app, "North").await;
        let south = team(&app, "South").await;
        create(&app, "/api/v1/reassignment-groups", reassignment("Everyone", s.group, &s.agent, &[])).await;
        create(&app, "/api/v1/reassignment-groups", reassignment("North only", s.group, &s.agent, &[north])).await;
        let south_only = create(&app, "/api/v1/reassignment-groups", reassignment("South only", s.group, &s.agent, &[south])).await;
        let boss = app.user("boss@acme.test", Role::Admin, &["North"]).await;
        scope_to(&app, &boss, north).await;

        let list = app.get("/api/v1/reassignment-groups", &boss.token).await;
        assert_eq!(names(&list), ["Everyone", "North only"], "{}", list.body);
        let hidden = app.get(&format!("/api/v1/reassignment-groups/{south_only}"), &boss.token).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);
        assert_eq!(names(&app.get("/api/v1/reassignment-groups", &app.admin.token).await).len(), 3, "the organization's admin uses every group");
    }
}

app_test! {
    async fn the_openapi_document_describes_every_distribution_settings_endpoint(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(doc.status, StatusCode::OK);
        for (path, method) in [
            ("/api/v1/groups", "get"), ("/api/v1/groups", "post"),
            ("/api/v1/groups/{id}", "get"), ("/api/v1/groups/{id}", "put"), ("/api/v1/groups/{id}", "delete"),
            ("/api/v1/rules", "get"), ("/api/v1/rules", "post"), ("/api/v1/rules/order", "put"),
            ("/api/v1/rules/{id}", "put"), ("/api/v1/rules/{id}", "delete"),
            ("/api/v1/reassignment-groups", "get"), ("/api/v1/reassignment-groups", "post"),
            ("/api/v1/reassignment-groups/{id}", "get"), ("/api/v1/reassignment-groups/{id}", "put"),
            ("/api/v1/reassignment-groups/{id}", "delete"),
        ] {
            let op = &doc.body["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4'))), "{method} {path} documents no errors");
        }
    }
}
