//! Webhook deliveries against a real receiver (an axum server on a free port), with a fake
//! clock moved through the backoff: delivered once despite failures, taken over after a
//! dead worker's lease, filtered by type, signed so an independent verifier accepts them.

use std::time::Duration;

use leadpool_app::deliver::{Deliverer, DeliveryReport};
use leadpool_domain::Role;
use leadpool_domain::delivery::RetryPolicy;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_testkit::distribution::plan;
use leadpool_testkit::receiver::Receiver;
use leadpool_testkit::{TestApp, TestUser, app_test};
use serde_json::{Value, json};

const SECOND: Duration = Duration::from_secs(1);

/// Adds an endpoint through the API; returns its id and secret.
async fn endpoint(app: &TestApp, url: &str, types: Value, enabled: bool) -> (i64, String) {
    let made = app
        .post(
            "/api/v1/webhooks",
            &app.admin.token,
            json!({ "url": url, "event_types": types, "enabled": enabled, "description": "CRM" }),
        )
        .await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.body);
    let secret = made.body["secret"].as_str().expect("the secret").to_owned();
    (made.body["webhook"]["id"].as_i64().expect("the id"), secret)
}

/// A lead in the manual queue (no rule matches it), assigned by the admin to a new agent:
/// one `lead_assigned` event. Returns the lead's id and the agent.
async fn assign_one(app: &TestApp, email: &str) -> (i64, TestUser) {
    let agent = app.user(email, Role::Agent, &[]).await;
    let id = crate::mail::assign(app, &agent, "Ana Lima").await;
    (id, agent)
}

fn worker(app: &TestApp, owner: &str) -> Deliverer {
    Deliverer::new(app.app.clone(), owner).expect("a delivery worker")
}

async fn run(w: &Deliverer) -> DeliveryReport {
    w.run_due().await.expect("send due deliveries")
}

async fn log(app: &TestApp, webhook: i64) -> Vec<Value> {
    let page = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries"),
            &app.admin.token,
        )
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    page.body["items"].as_array().cloned().unwrap_or_default()
}

app_test! {
    async fn an_event_is_delivered_once_even_when_the_first_two_attempts_answer_500(app) {
        let hook = Receiver::start(&[500, 500]).await;
        let (webhook, _) = endpoint(&app, &hook.url, json!([]), true).await;
        let (lead, agent) = assign_one(&app, "ana@acme.test").await;
        let w = worker(&app, "instance-1");

        let first = run(&w).await;
        assert_eq!((first.retrying, hook.got().len()), (1, 1), "{first:?}");
        assert_eq!(run(&w).await, DeliveryReport::default(), "not due again before 10 s");
        app.clock.advance(9 * SECOND);
        assert_eq!(run(&w).await, DeliveryReport::default());
        app.clock.advance(SECOND);
        assert_eq!(run(&w).await.retrying, 1, "the second attempt, 10 s after the first");
        app.clock.advance(59 * SECOND);
        assert_eq!(run(&w).await, DeliveryReport::default(), "then a minute's wait");
        app.clock.advance(SECOND);
        assert_eq!(run(&w).await.delivered, 1);
        app.clock.advance(Duration::from_secs(24 * 3600));
        assert_eq!(run(&w).await, DeliveryReport::default(), "delivered means done");

        let got = hook.got();
        assert_eq!(got.len(), 3, "two refusals and one delivery");
        let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
        assert!(ids.iter().all(|i| i.starts_with("evt_") && *i == ids[0]), "one message id: {ids:?}");
        assert!(got.iter().all(|r| r.header("webhook-signature").starts_with("v1,")));
        let body: Value = serde_json::from_str(&got[2].body).expect("a JSON body");
        assert_eq!(body["type"], "lead_assigned");
        assert_eq!(body["data"]["lead_id"], lead);
        assert_eq!(body["data"]["user_id"], agent.user.id.get());
        assert_eq!(body["data"]["organization_id"], app.org.id.get());
        assert_eq!(body["data"]["payload"]["by"], "admin", "{body}");

        let entries = log(&app, webhook).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["state"], "delivered");
        assert_eq!(entries[0]["attempts"], 3);
        assert_eq!(entries[0]["last_status"], 204);
        assert_eq!(entries[0]["last_error"], Value::Null);
        assert!(entries[0]["last_response_ms"].as_i64().is_some(), "{}", entries[0]);
        assert_eq!(entries[0]["next_attempt_at"], Value::Null);
    }
}

app_test! {
    async fn a_delivery_taken_by_a_killed_worker_is_taken_over_when_its_lease_runs_out(app) {
        let hook = Receiver::start(&[]).await;
        let (webhook, _) = endpoint(&app, &hook.url, json!(["lead_assigned"]), true).await;
        assign_one(&app, "ana@acme.test").await;
        // The first instance takes the delivery and dies before sending it.
        let killed = worker(&app, "killed").with_lease(60 * SECOND);
        let taken = killed.claim().await.expect("claim");
        assert_eq!(taken.len(), 1);

        let other = worker(&app, "survivor");
        assert_eq!(run(&other).await, DeliveryReport::default(), "leased to the dead instance");
        app.clock.advance(59 * SECOND);
        assert_eq!(run(&other).await, DeliveryReport::default(), "its lease still holds");
        app.clock.advance(2 * SECOND);
        assert_eq!(run(&other).await.delivered, 1, "taken over once the lease ran out");
        assert_eq!(hook.got().len(), 1);

        // Had the first instance been slow rather than dead, its late answer is not kept.
        assert_eq!(killed.deliver(&taken[0]).await.expect("deliver"), None);
        let entries = log(&app, webhook).await;
        assert_eq!((entries[0]["state"].as_str(), entries[0]["attempts"].as_i64()), (Some("delivered"), Some(2)));
    }
}

app_test! {
    async fn an_endpoint_receives_only_the_event_types_it_names_and_only_while_on(app) {
        let (offers, all, assigned_off) = (
            Receiver::start(&[]).await,
            Receiver::start(&[]).await,
            Receiver::start(&[]).await,
        );
        endpoint(&app, &offers.url, json!(["offer_made"]), true).await;
        endpoint(&app, &all.url, json!([]), true).await;
        endpoint(&app, &assigned_off.url, json!(["lead_assigned"]), false).await;
        let (_, agent) = assign_one(&app, "ana@acme.test").await;
        let line = app.group("line", &[agent.user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(line), Some(300), Fallback::Queue)).await;
        let (_, key) = app.source("Zillow").await;
        let offered = app.intake(&key, json!({ "name": "Bo Diaz" })).await;
        assert_eq!(offered.status.as_u16(), 201, "{}", offered.body);

        let report = run(&worker(&app, "instance-1")).await;
        assert_eq!(report.delivered, 3, "{report:?}");
        let types = |r: &Receiver| -> Vec<String> {
            r.got().iter().map(|g| serde_json::from_str::<Value>(&g.body).expect("JSON")["type"].as_str().unwrap_or_default().to_owned()).collect()
        };
        assert_eq!(types(&offers), ["offer_made"]);
        let mut every = types(&all);
        every.sort();
        assert_eq!(every, ["lead_assigned", "offer_made"]);
        assert!(assigned_off.got().is_empty(), "an endpoint turned off gets nothing");
    }
}

app_test! {
    async fn the_signature_verifies_with_the_standardwebhooks_package(app) {
        // The verifier is tests/webhooks/verify.py over the `standardwebhooks` package from
        // PyPI, run by the Python that tests/webhooks/run installs it for and names here.
        let Ok(verifier) = std::env::var("LEADPOOL_WEBHOOK_VERIFIER") else {
            // Said on the terminal, as a skipped PostgreSQL half is (libtest captures eprintln).
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            let line = format!("test {name} ... skipped: LEADPOOL_WEBHOOK_VERIFIER is not set (tests/webhooks/run sets it)\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            return;
        };
        // The verifier refuses timestamps more than five minutes from its own clock.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        app.clock.set(leadpool_domain::Timestamp::from_millis(i64::try_from(now.as_millis()).expect("a time")));
        let hook = Receiver::start(&[]).await;
        let (_, secret) = endpoint(&app, &hook.url, json!([]), true).await;
        assign_one(&app, "ana@acme.test").await;
        assert_eq!(run(&worker(&app, "instance-1")).await.delivered, 1);
        let got = hook.got().pop().expect("a delivery");

        let verify = |body: &str, secret: &str| {
            let input = json!({
                "secret": secret,
                "body": body,
                "headers": {
                    "webhook-id": got.header("webhook-id"),
                    "webhook-timestamp": got.header("webhook-timestamp"),
                    "webhook-signature": got.header("webhook-signature"),
                },
            });
            let mut child = std::process::Command::new(&verifier)
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/webhooks/verify.py"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start the verifier");
            use std::io::Write;
            child.stdin.take().expect("its stdin").write_all(input.to_string().as_bytes()).expect("write to the verifier");
            child.wait_with_output().expect("the verifier's answer")
        };
        let good = verify(&got.body, &secret);
        assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
        assert_eq!(String::from_utf8_lossy(&good.stdout).trim(), "verified lead_assigned");
        let tampered = verify(&got.body.replace("lead_assigned", "lead_withdrawn"), &secret);
        assert!(!tampered.status.success(), "a changed body must not verify");
        let other = verify(&got.body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert!(!other.status.success(), "another secret must not verify");
    }
}

app_test! {
    async fn an_endpoint_dying_for_a_day_is_turned_off_with_the_reason_and_resending_waits_for_it(app) {
        let hook = Receiver::start(&[500, 500, 500, 500]).await;
        let (webhook, _) = endpoint(&app, &hook.url, json!([]), true).await;
        let once = worker(&app, "instance-1").with_policy(RetryPolicy::new(1).expect("a policy"));
        assign_one(&app, "ana@acme.test").await;
        assert_eq!(run(&once).await.dead, 1);
        let path = format!("/api/v1/webhooks/{webhook}");
        let first = app.get(&path, &app.admin.token).await.body;
        assert_eq!((first["enabled"].as_bool(), first["dead_in_a_row"].as_i64()), (Some(true), Some(1)), "{first}");

        app.clock.advance(Duration::from_secs(24 * 3600));
        assign_one(&app, "bo@acme.test").await;
        assert_eq!(run(&once).await.dead, 1);
        let off = app.get(&path, &app.admin.token).await.body;
        assert_eq!(off["enabled"], false, "{off}");
        assert!(off["disabled_reason"].as_str().is_some_and(|r| r.contains("every delivery since 2026-11-25 09:00 UTC died")), "{off}");
        assert!(off["disabled_at"].is_string(), "{off}");
        // The admin hears of it (by email too, when the server mails).
        let told = app.get("/api/v1/events", &app.admin.token).await.body;
        let told = told["events"].as_array().and_then(|e| e.last()).cloned().unwrap_or_default();
        assert_eq!((&told["kind"], &told["payload"]["url"]), (&json!("webhook_disabled"), &json!(hook.url)), "{told}");
        let dead = log(&app, webhook).await;
        assert_eq!(dead[0]["state"], "dead");
        assert_eq!(dead[0]["last_status"], 500);
        assert!(dead[0]["last_error"].as_str().is_some_and(|e| e.contains("500")), "{}", dead[0]);

        let retry = format!("/api/v1/webhook-deliveries/{}/retry", dead[0]["id"]);
        let refused = app.post(&retry, &app.admin.token, json!({})).await;
        assert_eq!(refused.status.as_u16(), 409, "{}", refused.body);
        assert_eq!(refused.body["error"]["code"], "webhook_disabled");
        let on = app.patch(&path, &app.admin.token, json!({ "enabled": true })).await;
        assert_eq!((on.body["enabled"].as_bool(), on.body["disabled_reason"].is_null(), on.body["dead_in_a_row"].as_i64()), (Some(true), true, Some(0)), "{}", on.body);
        let resent = app.post(&retry, &app.admin.token, json!({})).await;
        assert_eq!(resent.status.as_u16(), 200, "{}", resent.body);
        assert_eq!((resent.body["state"].as_str(), resent.body["attempts"].as_i64()), (Some("pending"), Some(0)));
        assert_eq!(run(&once).await.dead, 1, "resent: tried again (and the receiver still refuses)");
        assert_eq!(hook.got().len(), 3);
        let dead_page = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries?state=dead&limit=1"), &app.admin.token).await.body;
        assert_eq!(dead_page["items"].as_array().map(Vec::len), Some(1), "{dead_page}");
        assert!(dead_page["next_before"].is_i64(), "a full page points to the next: {dead_page}");
    }
}

app_test! {
    async fn only_organization_admins_manage_webhooks_and_bad_input_names_its_field(app) {
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let refused = app.post("/api/v1/webhooks", &isa.token, json!({ "url": "https://crm.example/h" })).await;
        assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
        assert_eq!(app.get("/api/v1/webhooks", &isa.token).await.status.as_u16(), 403);
        let bad = app.post("/api/v1/webhooks", &app.admin.token, json!({ "url": "ftp://crm.example/h", "event_types": ["lead_eaten"] })).await;
        assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
        let fields: Vec<&str> = bad.body["error"]["details"]["fields"].as_array().map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        assert_eq!(fields, ["url", "event_types"], "{}", bad.body);

        let (id, secret) = endpoint(&app, "https://crm.example/h", json!(["offer_made", "offer_made"]), true).await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        let listed = app.get("/api/v1/webhooks", &app.admin.token).await.body;
        assert_eq!(listed["items"][0]["event_types"], json!(["offer_made"]));
        assert!(!listed.to_string().contains(&secret), "the secret is shown once: {listed}");
        assert_eq!(listed["event_types"], json!(["offer_made", "offer_withdrawn", "lead_assigned", "lead_claimed", "lead_returned", "reserve_expiring", "daily_digest", "webhook_disabled"]));
        let rotated = app.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &app.admin.token, json!({})).await;
        let new_secret = rotated.body["secret"].as_str().unwrap_or_default();
        assert!(new_secret.starts_with("whsec_") && new_secret != secret, "{}", rotated.body);
        let changed = app.patch(&format!("/api/v1/webhooks/{id}"), &app.admin.token, json!({ "event_types": [], "description": "all of it" })).await;
        assert_eq!((changed.body["event_types"].clone(), changed.body["description"].clone()), (json!([]), json!("all of it")), "{}", changed.body);
        let gone = app.request(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{id}"), Some(&app.admin.token), None).await;
        assert_eq!(gone.status.as_u16(), 204);
        assert_eq!(app.get(&format!("/api/v1/webhooks/{id}"), &app.admin.token).await.status.as_u16(), 404);
        let doc = app.get("/api/v1/openapi.json", &app.admin.token).await.body;
        for path in ["/api/v1/webhooks", "/api/v1/webhooks/{id}", "/api/v1/webhooks/{id}/rotate-secret", "/api/v1/webhooks/{id}/deliveries", "/api/v1/webhook-deliveries/{id}/retry"] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
    }
}
