//! Sorts and cursor pagination: every order is total (ties broken by id), so pages
//! resumed with [`After::from_lead`] meet every lead exactly once.

use std::cmp::Reverse;
use std::collections::HashSet;

use leadpool_domain::lead::LeadPatch;
use leadpool_domain::{Actor, Lead, LeadId, Visibility};
use leadpool_store::Tx;
use leadpool_store::leads::{After, LeadFilter, LeadSort};
use leadpool_testkit::{TestStore, both_backends};

use super::{Office, office};
use crate::fixtures::{LeadSpec, at, commit, ids, insert, read, write};

const ALL_SORTS: [LeadSort; 4] = [
    LeadSort::CreatedDesc,
    LeadSort::CreatedAsc,
    LeadSort::UpdatedDesc,
    LeadSort::NameAsc,
];

/// The order a sort must produce, worked out here independently of the SQL.
fn sorted(leads: &[Lead], sort: LeadSort) -> Vec<LeadId> {
    let mut v: Vec<&Lead> = leads.iter().collect();
    match sort {
        LeadSort::CreatedDesc => v.sort_by_key(|l| Reverse((l.created_at, l.id))),
        LeadSort::CreatedAsc => v.sort_by_key(|l| (l.created_at, l.id)),
        LeadSort::UpdatedDesc => v.sort_by_key(|l| Reverse((l.updated_at, l.id))),
        LeadSort::NameAsc => {
            v.sort_by_key(|l| (l.name.as_ref().map(|n| n.as_str().to_owned()), l.id))
        }
    }
    v.into_iter().map(|l| l.id).collect()
}

/// Twenty-five leads whose ids run against their creation times, created in threes at
/// one instant, with repeated names and five without a name, a handful of them changed
/// later (all at one instant), so every sort meets ties it must break by id.
async fn crowd(db: &TestStore, o: &Office) -> Vec<Lead> {
    const NAMES: [Option<&str>; 5] = [
        Some("Bruno Costa"),
        Some("Ana Lima"),
        None,
        Some("Davi Rocha"),
        Some("Carla Dias"),
    ];
    let mut tx = write(db).await;
    let mut leads = Vec::new();
    for (i, name) in (0..25_i64).zip(NAMES.into_iter().cycle()) {
        let mut spec = LeadSpec::of(&o.acme)
            .email(&format!("lead{i}@crowd.test"))
            .created_at(at((24 - i) / 3 * 1_000));
        if let Some(name) = name {
            spec = spec.name(name);
        }
        leads.push(insert(&mut tx, spec).await);
    }
    let working = LeadPatch {
        status: Some(o.acme.working.to_ref()),
        ..LeadPatch::default()
    };
    for lead in leads.iter_mut().filter(|l| l.id.get() % 4 == 0) {
        let t = lead
            .apply(&working, Actor::System, None, at(100_000))
            .expect("valid")
            .expect("a change");
        assert!(tx.update_lead(lead.version, &t).await.expect("written"));
        *lead = t.lead;
    }
    commit(tx).await;
    leads
}

/// Every page of leads `visibility` shows that match `filter`, `size` at a time, each
/// resumed after the last lead of the one before.
async fn pages(
    tx: &mut Tx,
    o: &Office,
    visibility: &Visibility,
    filter: &LeadFilter,
    sort: LeadSort,
    size: u32,
) -> Vec<Vec<LeadId>> {
    let mut pages = Vec::new();
    let mut after: Option<After> = None;
    loop {
        let page = tx
            .leads(o.acme.id(), visibility, filter, sort, after.as_ref(), size)
            .await
            .expect("a page is listed");
        let Some(last) = page.last() else {
            return pages;
        };
        after = Some(After::from_lead(last, sort));
        pages.push(ids(&page));
        assert!(pages.len() <= 100, "{sort:?}: pagination does not end");
    }
}

both_backends! {
    async fn each_sort_orders_leads_and_breaks_ties_by_id(db) {
        let o = office(&db).await;
        let leads = crowd(&db, &o).await;
        let mut tx = read(&db).await;
        let (org, everyone, all) = (o.acme.id(), Visibility::Organization, LeadFilter::default());
        for sort in ALL_SORTS {
            let listed = tx
                .leads(org, &everyone, &all, sort, None, 100)
                .await
                .expect("listed");
            assert_eq!(ids(&listed), sorted(&leads, sort), "{sort:?}");
        }

        // Check the expectations themselves, so a slip in `sorted` cannot hide one in the SQL.
        let newest = tx
            .leads(org, &everyone, &all, LeadSort::CreatedDesc, None, 4)
            .await
            .expect("listed");
        let times: Vec<_> = newest.iter().map(|l| l.created_at).collect();
        assert_eq!(times, [at(8_000), at(7_000), at(7_000), at(7_000)]);
        assert!(
            newest[1].id > newest[2].id && newest[2].id > newest[3].id,
            "ties descend by id"
        );
        let by_name = tx
            .leads(org, &everyone, &all, LeadSort::NameAsc, None, 100)
            .await
            .expect("listed");
        assert!(
            by_name[..5].iter().all(|l| l.name.is_none()),
            "nameless leads come first"
        );
        assert_eq!(
            by_name[5].name.as_ref().map(|n| n.as_str()),
            Some("Ana Lima")
        );
        let changed = tx
            .leads(org, &everyone, &all, LeadSort::UpdatedDesc, None, 100)
            .await
            .expect("listed");
        assert!(
            changed[..6]
                .iter()
                .all(|l| l.updated_at == at(100_000) && l.version == 2)
        );
    }
}

both_backends! {
    async fn cursor_pages_walk_every_lead_exactly_once_in_every_sort(db) {
        let o = office(&db).await;
        let leads = crowd(&db, &o).await;
        let mut tx = read(&db).await;
        for sort in ALL_SORTS {
            let pages = pages(
                &mut tx,
                &o,
                &Visibility::Organization,
                &LeadFilter::default(),
                sort,
                7,
            )
            .await;
            let sizes: Vec<_> = pages.iter().map(Vec::len).collect();
            assert_eq!(sizes, [7, 7, 7, 4], "{sort:?}");
            let seen: Vec<LeadId> = pages.concat();
            assert_eq!(
                seen.iter().collect::<HashSet<_>>().len(),
                25,
                "{sort:?}: a lead came twice"
            );
            assert_eq!(seen, sorted(&leads, sort), "{sort:?}");
        }
    }
}

both_backends! {
    async fn cursor_pages_keep_to_the_filter_and_the_visibility(db) {
        let o = office(&db).await;
        let mut tx = write(&db).await;
        let mut anas = Vec::new();
        for i in 0..10 {
            anas.push(insert(&mut tx, o.lead("Ana Lima", i / 2).agent(o.ana.id)).await);
            insert(&mut tx, o.lead("Ana Lima", i / 2).agent(o.bob.id)).await;
            insert(&mut tx, o.lead("Bia Lopes", i / 2).agent(o.ana.id)).await;
        }
        commit(tx).await;

        let mut tx = read(&db).await;
        let lima = LeadFilter {
            search: Some("lima".into()),
            ..LeadFilter::default()
        };
        for sort in ALL_SORTS {
            let pages = pages(&mut tx, &o, &Visibility::Own { user: o.ana.id, pools: vec![] }, &lima, sort, 3).await;
            assert_eq!(pages.len(), 4, "{sort:?}");
            assert_eq!(pages.concat(), sorted(&anas, sort), "{sort:?}");
        }
    }
}
