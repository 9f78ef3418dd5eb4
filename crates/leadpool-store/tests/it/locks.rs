//! Row locks on PostgreSQL (SQLite's single writer takes none): locking agents for a cap
//! check keeps out every other cap check, and nothing that merely points at them.

use std::time::Duration;

use leadpool_domain::delivery::EventType;
use leadpool_domain::{OrgId, Role, UserId};
use leadpool_store::Tx;
use leadpool_store::offers::NewEvent;
use leadpool_testkit::{Backend, TestStore};

use crate::fixtures::{add_user, at, commit, seed, write};

/// An organization with two agents, on PostgreSQL; `None` when it is not configured.
async fn two_agents() -> Option<(TestStore, OrgId, UserId, UserId)> {
    let db = TestStore::new(Backend::Postgres).await?;
    let mut tx = write(&db).await;
    let org = seed(&mut tx, "acme").await.id();
    let ana = add_user(&mut tx, org, "ana@acme.test", Role::Agent)
        .await
        .id;
    let bo = add_user(&mut tx, org, "bo@acme.test", Role::Agent).await.id;
    commit(tx).await;
    Some((db, org, ana, bo))
}

async fn event_for(tx: &mut Tx, org: OrgId, user: UserId) {
    let event = NewEvent {
        user,
        lead: None,
        kind: EventType::LeadAssigned,
        payload: serde_json::json!({}),
    };
    tx.push_events(org, &[event], at(0))
        .await
        .expect("write the event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_that_wrote_events_for_each_others_agents_still_lock_them_without_a_deadlock()
{
    let Some((db, org, ana, bo)) = two_agents().await else {
        return;
    };
    // Two instances' transactions: each has told one agent something (an outbox row
    // pointing at the agent's user row), then checks the other agent's cap.
    let mut first = write(&db).await;
    let mut second = write(&db).await;
    event_for(&mut first, org, ana).await;
    event_for(&mut second, org, bo).await;
    let (to_bo, to_ana) = ([bo], [ana]);
    let (a, b) = tokio::join!(
        first.lock_users(org, &to_bo),
        second.lock_users(org, &to_ana)
    );
    assert!(
        a.is_ok() && b.is_ok(),
        "neither waits for the other's event: {a:?} {b:?}"
    );
    commit(first).await;
    commit(second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cap_check_waits_for_another_holding_the_same_agent() {
    let Some((db, org, ana, _)) = two_agents().await else {
        return;
    };
    let mut first = write(&db).await;
    first.lock_users(org, &[ana]).await.expect("lock Ana");
    let mut second = write(&db).await;
    let waiting = tokio::spawn(async move {
        let locked = second.lock_users(org, &[ana]).await;
        (second, locked)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "the second cap check on Ana runs only after the first ends"
    );
    commit(first).await;
    let (second, locked) = waiting.await.expect("join the second check");
    assert!(locked.is_ok(), "{locked:?}");
    commit(second).await;
}
