use proptest::prelude::*;

use super::*;
use crate::ids::{PoolId, UserId};

fn input(name: &str, email: &str) -> LeadInput {
    LeadInput {
        name: Some(name.into()),
        emails: if email.is_empty() {
            vec![]
        } else {
            vec![email.into()]
        },
        ..LeadInput::default()
    }
}

fn status(id: i64, name: &str) -> StatusRef {
    StatusRef {
        id: StatusId::new(id),
        name: name.into(),
        category: StatusCategory::New,
        shark_tank: false,
    }
}

fn lead() -> Lead {
    let draft = LeadDraft::parse(input("Ana Lima", "ana@example.com")).expect("parse the draft");
    let mut lead = draft
        .create(
            OrgId::new(1),
            SourceId::new(1),
            status(1, "New"),
            Owner::Queue,
            None,
            Actor::System,
            None,
            Timestamp::from_millis(0),
        )
        .lead;
    lead.id = LeadId::new(1);
    lead
}

#[test]
fn a_draft_reports_every_bad_field_at_once() {
    let bad = LeadInput {
        emails: vec!["ok@example.com".into(), "nope".into()],
        phones: vec!["12".into()],
        ..LeadInput::default()
    };
    let fields: Vec<String> = LeadDraft::parse(bad)
        .err()
        .map(|e| e.0.into_iter().map(|f| f.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["emails[1]", "phones[0]"]);
}

#[test]
fn a_lead_needs_some_way_to_reach_the_person() {
    let err = LeadDraft::parse(LeadInput::default())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("name: a lead needs a name, an email or a phone")
    );
}

#[test]
fn a_patch_that_changes_nothing_writes_nothing() {
    let patch = LeadPatch {
        name: Some(PersonName::parse("Ana Lima").ok()),
        ..LeadPatch::default()
    };
    assert_eq!(
        lead().apply(&patch, Actor::System, None, Timestamp::from_millis(5)),
        Ok(None)
    );
}

#[test]
fn a_status_change_is_named_in_the_entry() {
    let patch = LeadPatch {
        status: Some(status(2, "Working")),
        ..LeadPatch::default()
    };
    let t = lead()
        .apply(
            &patch,
            Actor::System,
            Some("called".into()),
            Timestamp::from_millis(5),
        )
        .ok()
        .flatten();
    let t = t.expect("a transition");
    assert_eq!(t.entry.kind, EventKind::StatusChanged);
    assert_eq!(
        t.entry.changes,
        json!({"status": {"from": "New", "to": "Working"}})
    );
    assert_eq!(t.lead.version, 2);
}

#[derive(Debug, Clone)]
enum Step {
    Rename(Option<String>),
    Tags(Vec<String>),
    Status(i64),
    Reassign(Owner),
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        proptest::option::of("[A-Z][a-z]{1,8}").prop_map(Step::Rename),
        proptest::collection::vec("[a-c]", 0..3).prop_map(Step::Tags),
        (1i64..4).prop_map(Step::Status),
        prop_oneof![
            (1i64..4).prop_map(|u| Owner::Agent {
                user_id: UserId::new(u)
            }),
            (1i64..3).prop_map(|p| Owner::Pool {
                pool_id: PoolId::new(p)
            }),
            Just(Owner::Queue),
        ]
        .prop_map(Step::Reassign),
    ]
}

proptest! {
    #[test]
    fn every_transition_has_exactly_one_entry_naming_what_changed(steps in proptest::collection::vec(any_step(), 1..40)) {
        let mut current = lead();
        for (i, step) in steps.into_iter().enumerate() {
            let now = Timestamp::from_millis(i64::try_from(i).unwrap_or(0) + 1);
            let (result, expected_change) = match step {
                Step::Rename(n) => {
                    let name = n.map(|n| PersonName::parse(&n).expect("parse the name"));
                    let changes = name != current.name;
                    let patch = LeadPatch { name: Some(name), ..LeadPatch::default() };
                    (current.apply(&patch, Actor::System, None, now).unwrap_or(None), changes)
                }
                Step::Tags(t) => {
                    let tags = parse_tags(&t).unwrap_or_default();
                    let changes = tags != current.tags;
                    let patch = LeadPatch { tags: Some(tags), ..LeadPatch::default() };
                    (current.apply(&patch, Actor::System, None, now).unwrap_or(None), changes)
                }
                Step::Status(s) => {
                    let patch = LeadPatch { status: Some(status(s, &format!("S{s}"))), ..LeadPatch::default() };
                    (current.apply(&patch, Actor::System, None, now).unwrap_or(None), StatusId::new(s) != current.status.id)
                }
                Step::Reassign(o) => (current.reassign(o, None, Actor::System, Some(format!("step {i}")), now), o != current.owner),
            };
            prop_assert_eq!(result.is_some(), expected_change, "a transition exactly when something changes");
            if let Some(t) = result {
                prop_assert_eq!(t.lead.version, current.version + 1);
                prop_assert_eq!(t.entry.at, now);
                let changed = t.entry.changes.as_object().map_or(0, Map::len);
                prop_assert!(changed > 0, "an entry that names no change");
                if t.lead.owner != current.owner {
                    prop_assert_eq!(t.entry.kind, EventKind::OwnerChanged);
                    prop_assert_eq!(&t.entry.changes["owner"]["to"], &json!(t.lead.owner));
                }
                let c = t.lead.owner.to_columns();
                prop_assert_eq!(Owner::from_columns(c.kind, c.user_id, c.pool_id, c.offer_id), Ok(t.lead.owner));
                // A queued lead carries when and why the move that queued it was made.
                match (t.lead.owner == Owner::Queue, current.owner == Owner::Queue) {
                    (true, false) => {
                        prop_assert_eq!(t.lead.queued_at, Some(now));
                        prop_assert_eq!(&t.lead.queue_reason, &t.entry.reason);
                    }
                    (true, true) => {
                        prop_assert_eq!(t.lead.queued_at, current.queued_at);
                        prop_assert_eq!(&t.lead.queue_reason, &current.queue_reason);
                    }
                    (false, _) => {
                        prop_assert_eq!(t.lead.queued_at, None);
                        prop_assert_eq!(&t.lead.queue_reason, &None);
                    }
                }
                current = t.lead;
            }
        }
    }
}

fn repeat(
    emails: &[String],
    phones: &[String],
    tags: &[String],
    field: Option<(&str, &str)>,
) -> LeadDraft {
    LeadDraft::parse(LeadInput {
        name: Some("Someone Else".into()),
        emails: emails.to_vec(),
        phones: phones.to_vec(),
        tags: tags.to_vec(),
        fields: field
            .map(|(k, v)| Map::from_iter([(k.to_owned(), Value::from(v))]))
            .unwrap_or_default(),
        ..LeadInput::default()
    })
    .expect("a repeat")
}

#[test]
fn a_merged_repeat_adds_only_what_the_lead_lacks() {
    let mut before = lead();
    before.fields =
        CustomFields::parse(&Map::from_iter([("budget".into(), Value::from(1))])).expect("fields");
    let r = repeat(
        &["ANA@example.com".into(), "ana@work.example".into()],
        &["+1 303 555 0101".into()],
        &["vip".into()],
        Some(("budget", "2")),
    );
    let patch = before.absorb(&r);
    let after = before
        .apply(&patch, Actor::System, None, Timestamp::from_millis(5))
        .expect("a valid patch")
        .expect("a change")
        .lead;
    let emails: Vec<&str> = after.emails.iter().map(Email::as_str).collect();
    assert_eq!(emails, ["ana@example.com", "ana@work.example"]);
    assert_eq!(after.phones.len(), 1);
    assert_eq!(after.tags.len(), 1);
    assert_eq!(
        after.fields.as_map().get("budget"),
        Some(&Value::from(1)),
        "a value it has stays"
    );
    assert_eq!(
        after.name, before.name,
        "the repeat's name does not replace the lead's"
    );
    assert!(
        after
            .apply(
                &after.absorb(&r),
                Actor::System,
                None,
                Timestamp::from_millis(6)
            )
            .expect("valid")
            .is_none(),
        "merging the same repeat again changes nothing"
    );
}

proptest! {
    #[test]
    fn merging_keeps_every_value_and_stays_within_a_leads_limits(
        emails in proptest::collection::vec(0..30u32, 0..10),
        phones in proptest::collection::vec(0..30u32, 0..10),
        rounds in 1..4usize,
    ) {
        let mut l = lead();
        for round in 0..rounds {
            let r = repeat(
                &emails.iter().map(|n| format!("p{}@example.com", n + round as u32)).collect::<Vec<_>>(),
                &phones.iter().map(|n| format!("+1303555{:04}", n + round as u32)).collect::<Vec<_>>(),
                &[],
                None,
            );
            let patch = l.absorb(&r);
            let next = match l.apply(&patch, Actor::System, None, Timestamp::from_millis(1)).expect("valid") {
                Some(t) => t.lead,
                None => l.clone(),
            };
            prop_assert!(l.emails.iter().all(|e| next.emails.contains(e)));
            prop_assert!(l.phones.iter().all(|p| next.phones.contains(p)));
            prop_assert!(next.emails.len() <= 10 && next.phones.len() <= 10);
            let distinct: std::collections::HashSet<&Email> = next.emails.iter().collect();
            prop_assert_eq!(distinct.len(), next.emails.len());
            l = next;
        }
    }
}
