//! Durable timers with a fake clock: status expiries fire exactly once, survive restarts,
//! are cancelled and kept with the lead, and shared safely between schedulers.

use std::time::Duration;

use leadpool_app::App;
use leadpool_app::import::{PreparedLead, Unowned};
use leadpool_app::timers::{FireReport, Fired, Scheduler};
use leadpool_domain::lead::{LeadDraft, LeadInput, LeadPatch};
use leadpool_domain::{Actor, LeadId, Owner, Role, StatusId, Visibility};
use leadpool_testkit::{TestApp, app_test};
use serde_json::{Value, json};

const HOUR: Duration = Duration::from_secs(3600);

/// Makes "Working" expire after `hours` into "Recycled" (and back to the pool).
async fn working_expires(app: &TestApp, hours: u64) -> (StatusId, StatusId) {
    let mut tx = app.store().write().await.unwrap_or_else(|e| panic!("{e}"));
    let statuses = tx
        .statuses(app.org.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let find = |n: &str| {
        statuses
            .iter()
            .find(|s| s.name == n)
            .cloned()
            .unwrap_or_else(|| panic!("no {n}"))
    };
    let (mut working, recycled) = (find("Working"), find("Recycled"));
    working.expires_after_ms = Some(i64::try_from(hours * 3_600_000).unwrap_or(0));
    working.expires_to_status_id = Some(recycled.id);
    working.expires_to_pool = true;
    tx.update_status(&working)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    (working.id, recycled.id)
}

/// An agent's lead, moved into `status` through the API; returns its id and the agent's token.
async fn lead_in(app: &TestApp, status: StatusId) -> (i64, String) {
    let (source, _) = app.source("Website").await;
    let agent = app.user("ana@acme.test", Role::Agent, &[]).await;
    let created = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            json!({ "source_id": source, "assignee_id": agent.user.id.get(), "name": "Ana Lima" }),
        )
        .await;
    let id = created.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", created.body));
    let moved = app
        .patch(
            &format!("/api/v1/leads/{id}"),
            &agent.token,
            json!({ "status_id": status.get() }),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    (id, agent.token)
}

fn expiries(entries: &[Value]) -> usize {
    entries
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("status expired"))
                && e["kind"] == "status_changed"
        })
        .count()
}

async fn pending(app: &TestApp) -> i64 {
    let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
    tx.count_timers().await.unwrap_or_else(|e| panic!("{e}"))
}

async fn run(s: &Scheduler) -> FireReport {
    s.run_due().await.unwrap_or_else(|e| panic!("{e}"))
}

app_test! {
    async fn a_due_status_expiry_fires_exactly_once(app) {
        let (working, _) = working_expires(&app, 336).await;
        let (id, _) = lead_in(&app, working).await;
        let scheduler = Scheduler::new(app.app.clone(), "a");
        app.clock.advance(335 * HOUR);
        assert_eq!(run(&scheduler).await, FireReport::default(), "not due yet");
        app.clock.advance(2 * HOUR);
        assert_eq!(run(&scheduler).await.fired, 1);
        assert_eq!(run(&scheduler).await, FireReport::default(), "a fired timer is gone");
        let lead = app.get(&format!("/api/v1/leads/{id}"), &app.admin.token).await.body;
        assert_eq!(lead["status"], "Recycled");
        assert_eq!(lead["owner"]["kind"], "pool");
        let entries = app.timeline(id).await;
        assert_eq!(expiries(&entries), 1);
        let last = entries.last().cloned().unwrap_or_default();
        assert_eq!(last["kind"], "owner_changed");
        assert_eq!(last["actor"]["kind"], "system");
        assert_eq!(pending(&app).await, 0);
    }
}

app_test! {
    async fn leaving_the_status_cancels_its_timer_and_other_edits_keep_it(app) {
        let (working, _) = working_expires(&app, 10).await;
        let (id, token) = lead_in(&app, working).await;
        app.clock.advance(5 * HOUR);
        let tagged = app.patch(&format!("/api/v1/leads/{id}"), &token, json!({ "tags": ["hot"] })).await;
        assert_eq!(tagged.status.as_u16(), 200);
        let scheduler = Scheduler::new(app.app.clone(), "a");
        app.clock.advance(6 * HOUR);
        assert_eq!(run(&scheduler).await.fired, 1, "an edit that keeps the status keeps the original due time");

        let (second, token) = {
            let created = app.post("/api/v1/leads", &app.admin.token, json!({ "source_id": tagged.body["source_id"], "assignee_id": tagged.body["owner"]["user_id"], "name": "Bo Diaz" })).await;
            (created.body["id"].as_i64().unwrap_or_default(), token)
        };
        app.patch(&format!("/api/v1/leads/{second}"), &token, json!({ "status_id": working.get() })).await;
        assert_eq!(pending(&app).await, 1);
        let contacted = app.get("/api/v1/statuses", &app.admin.token).await.body["items"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "Contacted").cloned()).unwrap_or_default();
        app.patch(&format!("/api/v1/leads/{second}"), &token, json!({ "status_id": contacted["id"] })).await;
        assert_eq!(pending(&app).await, 0, "leaving the status cancels its timer in the same transaction");
        app.clock.advance(20 * HOUR);
        assert_eq!(run(&scheduler).await, FireReport::default());
        assert_eq!(expiries(&app.timeline(second).await), 0);
    }
}

app_test! {
    async fn a_timer_whose_lead_moved_on_without_it_writes_nothing(app) {
        let (working, _) = working_expires(&app, 1).await;
        let (id, _) = lead_in(&app, working).await;
        // A status change that forgets the timer (as a future code path might): the timer's
        // version check must catch it. (Changes that keep the status carry the timer along.)
        let mut tx = app.store().write().await.unwrap_or_else(|e| panic!("{e}"));
        let lead = tx.lead(app.org.id, LeadId::new(id), &Visibility::Organization).await.unwrap_or_else(|e| panic!("{e}"));
        let contacted = tx.statuses(app.org.id).await.unwrap_or_else(|e| panic!("{e}")).into_iter().find(|s| s.name == "Contacted").unwrap_or_else(|| panic!("no Contacted"));
        let patch = LeadPatch { status: Some(contacted.to_ref()), ..LeadPatch::default() };
        let t = lead.apply(&patch, Actor::System, None, app.app.now()).ok().flatten().unwrap_or_else(|| panic!("no change"));
        assert!(tx.update_lead(lead.version, &t).await.unwrap_or_else(|e| panic!("{e}")));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let before = app.timeline(id).await.len();
        app.clock.advance(2 * HOUR);
        let report = run(&Scheduler::new(app.app.clone(), "a")).await;
        assert_eq!(report, FireReport { stale: 1, ..FireReport::default() });
        assert_eq!(app.timeline(id).await.len(), before, "a stale timer writes nothing to the timeline");
        assert_eq!(pending(&app).await, 0);
    }
}

app_test! {
    async fn timers_due_while_the_server_was_down_fire_after_a_restart(app) {
        let (working, _) = working_expires(&app, 2).await;
        let (id, _) = lead_in(&app, working).await;
        // The server stops; time passes; a new process starts on the same database.
        let restarted = App::new(app.store().clone(), std::sync::Arc::new(app.clock.clone()), leadpool_app::Settings::default());
        app.clock.advance(30 * HOUR);
        assert_eq!(run(&Scheduler::new(restarted, "after-restart")).await.fired, 1);
        assert_eq!(expiries(&app.timeline(id).await), 1);
    }
}

app_test! {
    async fn an_expired_lease_is_taken_over_and_the_late_owner_does_nothing(app) {
        let (working, _) = working_expires(&app, 1).await;
        let (id, _) = lead_in(&app, working).await;
        app.clock.advance(2 * HOUR);
        let crashed = Scheduler::new(app.app.clone(), "crashed").with_lease(Duration::from_secs(30));
        let claimed = crashed.claim().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claimed.len(), 1);
        let other = Scheduler::new(app.app.clone(), "other");
        assert_eq!(run(&other).await, FireReport::default(), "a leased timer is left to its owner");
        app.clock.advance(Duration::from_secs(31));
        assert_eq!(run(&other).await.fired, 1, "after the lease runs out another instance fires it");
        assert_eq!(crashed.fire(&claimed[0]).await.unwrap_or_else(|e| panic!("{e}")), Fired::Lost);
        assert_eq!(expiries(&app.timeline(id).await), 1);
    }
}

app_test! {
    async fn racing_schedulers_fire_each_of_many_timers_exactly_once(app) {
        let (working, _) = working_expires(&app, 1).await;
        let (source, _) = app.source("Import").await;
        let n: usize = if app.store().backend() == leadpool_store::Backend::Postgres { 10_000 } else { 3_000 };
        let rows: Vec<PreparedLead> = (0..n)
            .map(|i| PreparedLead {
                line: u64::try_from(i).unwrap_or(0),
                source_id: leadpool_domain::SourceId::new(source),
                draft: LeadDraft::parse(LeadInput { name: Some(format!("Lead {i}")), ..LeadInput::default() }).unwrap_or_else(|e| panic!("{e}")),
                status: Some(working),
                owner: Owner::Queue,
                team: None,
                created_at: None,
            })
            .collect();
        app.app.insert_prepared(&app.org, rows, Unowned::Queue, "race", &|_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pending(&app).await, i64::try_from(n).unwrap_or(0));
        app.clock.advance(2 * HOUR);
        let a = Scheduler::new(app.app.clone(), "a").with_batch(200);
        let b = Scheduler::new(app.app.clone(), "b").with_batch(200);
        let (ra, rb) = tokio::join!(a.run_due(), b.run_due());
        let (ra, rb) = (ra.unwrap_or_else(|e| panic!("{e}")), rb.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(ra.fired + rb.fired, n, "{ra:?} {rb:?}");
        assert_eq!(ra.stale + rb.stale + ra.lost + rb.lost, 0, "{ra:?} {rb:?}");
        assert_eq!(pending(&app).await, 0);
        // The whole database agrees: one expiry entry per lead, every lead recycled.
        let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
        let page = tx.leads(app.org.id, &Visibility::Organization, &leadpool_store::leads::LeadFilter { statuses: vec![working], ..Default::default() }, Default::default(), None, 10).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(page.is_empty(), "no lead is left in the expiring status");
        for lead_id in [1, n / 2, n] {
            let entries = tx.timeline(app.org.id, LeadId::new(i64::try_from(lead_id).unwrap_or(1))).await.unwrap_or_else(|e| panic!("{e}"));
            let expired = entries.iter().filter(|e| e.entry.reason.as_deref().is_some_and(|r| r.starts_with("status expired")) && e.entry.kind == leadpool_domain::EventKind::StatusChanged).count();
            assert_eq!(expired, 1, "lead {lead_id}: {entries:?}");
        }
    }
}

app_test! {
    async fn a_status_expiry_outlives_moves_that_keep_the_status(app) {
        let (working, _) = working_expires(&app, 10).await;
        let (id, _) = lead_in(&app, working).await;
        let other = app.user("bo@acme.test", Role::Agent, &[]).await;
        let moved = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [id], "agent_id": other.user.id.get() })).await;
        assert_eq!(moved.body["results"][0]["result"], "moved", "{}", moved.body);
        app.clock.advance(11 * HOUR);
        assert_eq!(run(&Scheduler::new(app.app.clone(), "a")).await.fired, 1, "a new owner keeps the status, so its expiry");
        assert_eq!(expiries(&app.timeline(id).await), 1);
    }
}
