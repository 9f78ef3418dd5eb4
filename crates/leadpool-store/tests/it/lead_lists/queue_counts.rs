//! The queue page's count: exact up to [`COUNT_UP_TO`] leads, "more than" beyond, for every
//! viewer and filter the page offers.

use leadpool_domain::{Owner, Visibility};
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_store::leads::{COUNT_UP_TO, LeadFilter, LeadSort, QueueFilter, Tally};
use leadpool_testkit::both_backends;

use super::office;
use crate::fixtures::{at, commit, read, write};

both_backends! {
    async fn the_queue_is_counted_exactly_up_to_the_cap_and_then_said_to_be_longer(db) {
        let o = office(&db).await;
        let mut tx = write(&db).await;
        // No agent to hold them: all but the one pool lead wait in the queue.
        tx.bench_seed_pool_view(&PoolViewSeed {
            org: o.acme.id(),
            sources: &[o.acme.source.id, o.zillow.id],
            statuses: &[o.acme.new.id],
            agents: &[],
            teams: &[o.north.id, o.south.id],
            pool: o.acme.pool.id,
            leads: COUNT_UP_TO + 2,
            pool_leads: 1,
            now: at(0),
        })
        .await
        .expect("leads are seeded");
        commit(tx).await;

        let mut tx = read(&db).await;
        let all = tx
            .leads(
                o.acme.id(),
                &Visibility::Organization,
                &LeadFilter::default(),
                LeadSort::CreatedDesc,
                None,
                100_000,
            )
            .await
            .expect("every lead is listed");
        let queued: Vec<_> = all.iter().filter(|l| l.owner == Owner::Queue).collect();
        assert_eq!(
            i64::try_from(queued.len()).ok(),
            Some(COUNT_UP_TO + 1),
            "all but the pool's lead are queued"
        );
        let exactly = |n: usize| Tally::Exactly(u64::try_from(n).expect("small"));
        let cap = Tally::MoreThan(COUNT_UP_TO.unsigned_abs());
        let north = Visibility::Teams {
            teams: vec![o.north.id],
            pools: vec![o.north_pool.id],
        };
        let zillow = QueueFilter {
            sources: vec![o.zillow.id],
            ..QueueFilter::default()
        };
        let cases = [
            ("everyone's queue", Visibility::Organization, QueueFilter::default(), cap),
            (
                "north's queue",
                north.clone(),
                QueueFilter::default(),
                exactly(queued.iter().filter(|l| l.team_id == Some(o.north.id)).count()),
            ),
            (
                "zillow's leads",
                Visibility::Organization,
                zillow.clone(),
                exactly(queued.iter().filter(|l| l.source_id == o.zillow.id).count()),
            ),
            (
                "north's zillow leads",
                north,
                zillow,
                exactly(
                    queued
                        .iter()
                        .filter(|l| l.source_id == o.zillow.id && l.team_id == Some(o.north.id))
                        .count(),
                ),
            ),
            (
                "a reason none entered with",
                Visibility::Organization,
                QueueFilter {
                    reason: Some("no such reason".into()),
                    ..QueueFilter::default()
                },
                Tally::Exactly(0),
            ),
            (
                "none waiting that long",
                Visibility::Organization,
                QueueFilter {
                    queued_by: Some(at(-COUNT_UP_TO * 60_000)),
                    ..QueueFilter::default()
                },
                Tally::Exactly(0),
            ),
        ];
        for (what, v, f, want) in cases {
            let got = tx.queue_size(o.acme.id(), &v, &f).await.expect("the queue is counted");
            assert_eq!(got, want, "{what}");
        }
        commit(tx).await;
    }
}
