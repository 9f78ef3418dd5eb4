//! An accept race over real HTTP (PRODUCT.md invariants 1 and 2): fifty agents, each with
//! their own client and half through a second app instance, accept the same broadcast offer
//! at once; afterwards the lead, its timeline, the offer and the agents' events are checked.

use std::sync::Arc;

use leadpool_app::models::OfferState;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_domain::{EventKind, LeadId, Owner, Visibility};
use leadpool_testkit::app_test;
use leadpool_testkit::distribution::plan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::pool_races::{agents, second_instance};

app_test! {
    async fn fifty_agents_accepting_one_broadcast_leave_one_owner_and_forty_nine_named_answers(app) {
        let racers = agents(&app, 50).await;
        let everyone: Vec<_> = racers.iter().map(|(u, _)| *u).collect();
        let g = app.group("everyone", &everyone).await;
        app.rule("shark tank", Conditions::default(), plan(Strategy::Broadcast, Some(g), Some(600), Fallback::Queue)).await;
        let (_, key) = app.source("Portal").await;
        let lead = app.intake(&key, json!({ "name": "Contested Lead" })).await.body["lead"].clone();
        assert_eq!(lead["owner"]["kind"], "offer", "{lead}");
        let offer = lead["owner"]["offer_id"].as_i64().unwrap_or_default();
        let other = second_instance(&app).await;
        let bases = [app.base.clone(), other];

        let start = Arc::new(Barrier::new(racers.len()));
        let mut tasks = Vec::new();
        for (i, (agent, token)) in racers.iter().enumerate() {
            let url = format!("{}/api/v1/offers/{offer}/accept", bases[i % 2]);
            let (agent, token, start) = (*agent, token.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                start.wait().await;
                let res = http.post(url).bearer_auth(token).send().await.expect("accept the offer");
                let status = res.status();
                (agent, status, res.json::<Value>().await.unwrap_or(Value::Null))
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.expect("join a racer"));
        }

        let winners: Vec<_> = answers.iter().filter(|(_, s, _)| *s == StatusCode::OK).collect();
        assert_eq!(winners.len(), 1, "exactly one accept wins: {answers:?}");
        let (winner, _, won) = winners[0];
        assert_eq!(won["owner"]["user_id"], winner.get());
        let winner_name = racers.iter().position(|(u, _)| u == winner).map(|i| format!("Racer {i}")).unwrap_or_default();
        for (agent, status, body) in &answers {
            if agent == winner {
                continue;
            }
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert_eq!(body["error"]["code"], "already_taken", "{body}");
            assert_eq!(body["error"]["details"]["owner_id"], winner.get(), "{body}");
            assert_eq!(body["error"]["details"]["owner_name"], winner_name.as_str(), "{body}");
            assert_eq!(body["error"]["message"], format!("{winner_name} took this lead first"));
        }

        // The whole database agrees.
        let id = LeadId::new(lead["id"].as_i64().unwrap_or_default());
        let mut tx = app.store().read().await.expect("open a read transaction");
        let stored = tx.lead(app.org.id, id, &Visibility::Organization).await.expect("read the lead");
        assert_eq!(stored.owner, Owner::Agent { user_id: *winner });
        let timeline = tx.timeline(app.org.id, id).await.expect("read the timeline");
        let taken = timeline.iter().filter(|r| r.entry.kind == EventKind::OfferAccepted).count();
        assert_eq!(taken, 1, "one accept on the timeline");
        let o = tx.offer(app.org.id, leadpool_domain::OfferId::new(offer)).await.expect("read the offer");
        assert_eq!((o.state, o.winner_id), (OfferState::Accepted, Some(*winner)));
        let mut withdrawn = 0;
        for (agent, _) in &racers {
            let events = tx.events(app.org.id, *agent, 0, 100).await.expect("read the agent's events");
            for e in events.iter().filter(|e| e.kind == "offer_withdrawn") {
                assert_ne!(agent, winner);
                assert_eq!(e.payload["winner_id"], winner.get());
                withdrawn += 1;
            }
        }
        tx.commit().await.expect("commit");
        assert_eq!(withdrawn, 49, "every other agent is told the offer is withdrawn");
    }
}

app_test! {
    async fn a_losing_pin_call_on_a_broadcast_is_told_who_won_like_a_losing_accept(app) {
        let racers = agents(&app, 2).await;
        let everyone: Vec<_> = racers.iter().map(|(u, _)| *u).collect();
        let g = app.group("everyone", &everyone).await;
        app.rule("shark tank", Conditions::default(), plan(Strategy::Broadcast, Some(g), Some(600), Fallback::Queue)).await;
        let (_, key) = app.source("Portal").await;
        let lead = app.intake(&key, json!({ "name": "Contested Lead" })).await.body["lead"].clone();
        let lead_id = lead["id"].as_i64().expect("the lead's id");
        let offers = app.get("/api/v1/offers", &racers[0].1).await;
        let pin = offers.body["offers"][0]["pin"].as_str().expect("the offer's PIN").to_owned();
        let call = json!({ "lead_id": lead_id, "pin": pin });
        let won = app.post("/api/v1/calls", &racers[0].1, call.clone()).await;
        assert_eq!(won.status, StatusCode::OK, "{}", won.body);
        let lost = app.post("/api/v1/calls", &racers[1].1, call).await;
        assert_eq!(lost.status, StatusCode::CONFLICT, "{}", lost.body);
        assert_eq!(lost.body["error"]["code"], "already_taken", "{}", lost.body);
        assert_eq!(lost.body["error"]["details"]["owner_id"], racers[0].0.get(), "{}", lost.body);
        assert_eq!(lost.body["error"]["details"]["owner_name"], "Racer 0", "{}", lost.body);
    }
}
