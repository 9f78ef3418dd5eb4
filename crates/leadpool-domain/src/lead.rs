//! Leads and their transitions. Every change to a lead goes through a function here that
//! returns the new lead together with the timeline entry explaining it, so a change
//! without its entry cannot be written (PRODUCT.md invariant 5).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ids::{LeadId, OrgId, PoolId, SourceId, StatusId, TeamId};
use crate::owner::Owner;
use crate::status::StatusCategory;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind, TimelineEntry};
use crate::validate::{
    CustomFields, Email, Errors, Invalid, Lines, MAX_FIELDS, MAX_TAGS, PersonName, Phone, Tag,
    check_text, parse_tags,
};

const MAX_CONTACTS: usize = 10;
const MAX_EXTERNAL_ID: usize = 200;

/// A status as a lead carries it: its id, its name for people, its category for rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    /// The status.
    pub id: StatusId,
    /// Its name, e.g. "Working".
    pub name: String,
    /// Its stage.
    pub category: StatusCategory,
    /// Whether an agent's hold on a lead in it stays open to other agents until first
    /// contact (seed 002's shark tank; see [`Lead::held_temporarily`]).
    #[serde(default)]
    pub shark_tank: bool,
}

/// A lead as a client sends it, before any checking.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LeadInput {
    /// The person's name.
    pub name: Option<String>,
    /// Email addresses, first is primary.
    pub emails: Vec<String>,
    /// Phone numbers, first is primary.
    pub phones: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The organization's own fields.
    pub fields: Map<String, Value>,
    /// The source's own id for this lead; a repeat with the same id is the same lead.
    pub external_id: Option<String>,
}

/// A new lead's checked contents.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadDraft {
    /// The person's name, if known.
    pub name: Option<PersonName>,
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Custom fields.
    pub fields: CustomFields,
    /// The source's own id.
    pub external_id: Option<String>,
}

fn parse_list<T>(
    errors: &mut Errors,
    field: &str,
    items: &[String],
    parse: fn(&str) -> Result<T, String>,
) -> Vec<T> {
    if items.len() > MAX_CONTACTS {
        errors.push(field, format!("at most {MAX_CONTACTS} entries"));
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        if let Some(v) = errors.take(&format!("{field}[{i}]"), parse(s)) {
            out.push(v);
        }
    }
    out
}

fn dedup_keep_order<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

impl LeadDraft {
    /// Checks a lead from a client: every problem is reported, each naming its field.
    pub fn parse(input: LeadInput) -> Result<Self, Invalid> {
        let mut errors = Errors::default();
        let name = match input.name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => errors.take("name", PersonName::parse(n)),
        };
        let emails = dedup_keep_order(parse_list(
            &mut errors,
            "emails",
            &input.emails,
            Email::parse,
        ));
        let phones = dedup_keep_order(parse_list(
            &mut errors,
            "phones",
            &input.phones,
            Phone::parse,
        ));
        let tags = errors
            .take("tags", parse_tags(&input.tags))
            .unwrap_or_default();
        let fields = match CustomFields::parse(&input.fields) {
            Ok(f) => f,
            Err(e) => {
                errors.push(e.field, e.message);
                CustomFields::default()
            }
        };
        let external_id = match input.external_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(x) if x.chars().count() > MAX_EXTERNAL_ID => {
                errors.push(
                    "external_id",
                    format!("at most {MAX_EXTERNAL_ID} characters"),
                );
                None
            }
            Some(x) => errors.take(
                "external_id",
                check_text(x, Lines::One).map(|()| x.to_owned()),
            ),
        };
        let no_contact = input.name.as_deref().is_none_or(|n| n.trim().is_empty())
            && input.emails.is_empty()
            && input.phones.is_empty();
        if no_contact {
            errors.push("name", "a lead needs a name, an email or a phone");
        }
        errors.finish(|| Self {
            name,
            emails,
            phones,
            tags,
            fields,
            external_id,
        })
    }

    /// Makes the lead: it starts in `status`, held by `owner`, and its `created` entry says so.
    #[allow(
        clippy::too_many_arguments,
        reason = "every argument is a distinct fact of the new lead"
    )]
    pub fn create(
        self,
        org: OrgId,
        source_id: SourceId,
        status: StatusRef,
        owner: Owner,
        team_id: Option<TeamId>,
        actor: Actor,
        reason: Option<String>,
        now: Timestamp,
    ) -> NewLead {
        let changes = json!({
            "source_id": source_id,
            "status": status.name,
            "owner": owner,
            "external_id": self.external_id,
        });
        let mut new = NewLead {
            lead: Lead {
                id: LeadId::new(0),
                org,
                source_id,
                external_id: self.external_id,
                name: self.name,
                emails: self.emails,
                phones: self.phones,
                tags: self.tags,
                fields: self.fields,
                status,
                owner,
                from_pool: owner.pool(),
                team_id,
                assigned_at: owner.agent().map(|_| now),
                first_contact_at: None,
                queued_at: (owner == Owner::Queue).then_some(now),
                queue_reason: None,
                created_at: now,
                updated_at: now,
                version: 1,
            },
            entry: TimelineEntry {
                at: now,
                actor,
                kind: EventKind::Created,
                reason,
                changes,
            },
        };
        new.lead
            .keep_queue_reason(EventKind::Created, new.entry.reason.as_ref());
        new
    }
}

/// A lead not yet stored (its id is assigned on insert), with its first timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLead {
    /// The lead; `id` is a placeholder until stored.
    pub lead: Lead,
    /// Its `created` entry.
    pub entry: TimelineEntry,
}

/// A stored lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lead {
    /// Its id.
    pub id: LeadId,
    /// Its organization.
    pub org: OrgId,
    /// Where it came from.
    pub source_id: SourceId,
    /// The source's own id for it.
    pub external_id: Option<String>,
    /// The person's name.
    pub name: Option<PersonName>,
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Custom fields.
    pub fields: CustomFields,
    /// Its stage.
    pub status: StatusRef,
    /// Who holds it.
    pub owner: Owner,
    /// The pool it last sat in: a claim keeps it, so a lapsed reserve time knows where the
    /// lead goes back to and a lost race can name its winner to those who saw the pool.
    pub from_pool: Option<PoolId>,
    /// The team whose scope it is in; `None` is the organization level.
    pub team_id: Option<TeamId>,
    /// When an agent last got it (claim, call, offer, assignment): speed to lead counts
    /// from here. `None` until an agent first holds it.
    pub assigned_at: Option<Timestamp>,
    /// The first contact logged since `assigned_at`; `None` until then.
    pub first_contact_at: Option<Timestamp>,
    /// When it entered the manual queue, while it waits there: the queue's order.
    pub queued_at: Option<Timestamp>,
    /// Why it entered the manual queue (the reason of the move that put it there), while it
    /// waits there: what the queue shows and filters by.
    pub queue_reason: Option<String>,
    /// When it came in.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; stale timers and concurrent edits compare it.
    pub version: i64,
}

/// A change to a lead's contents. `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadPatch {
    /// A new name; `Some(None)` clears it.
    pub name: Option<Option<PersonName>>,
    /// New emails, replacing the old.
    pub emails: Option<Vec<Email>>,
    /// New phones, replacing the old.
    pub phones: Option<Vec<Phone>>,
    /// New tags, replacing the old.
    pub tags: Option<Vec<Tag>>,
    /// Custom fields to set (null removes one).
    pub fields: Option<Map<String, Value>>,
    /// A new status.
    pub status: Option<StatusRef>,
}

/// A client's raw patch, before checking; `status_id` is resolved by the caller.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LeadPatchInput {
    /// A new name; an empty string clears it.
    pub name: Option<String>,
    /// New emails.
    pub emails: Option<Vec<String>>,
    /// New phones.
    pub phones: Option<Vec<String>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Custom fields to set.
    pub fields: Option<Map<String, Value>>,
}

impl LeadPatch {
    /// Checks a client's patch; the status is set by the caller once it has looked it up.
    pub fn parse(input: LeadPatchInput) -> Result<Self, Invalid> {
        let mut errors = Errors::default();
        let name = input.name.map(|n| match n.trim() {
            "" => None,
            n => errors.take("name", PersonName::parse(n)),
        });
        let emails = input
            .emails
            .map(|e| dedup_keep_order(parse_list(&mut errors, "emails", &e, Email::parse)));
        let phones = input
            .phones
            .map(|p| dedup_keep_order(parse_list(&mut errors, "phones", &p, Phone::parse)));
        let tags = input
            .tags
            .map(|t| errors.take("tags", parse_tags(&t)).unwrap_or_default());
        if let Some(f) = &input.fields
            && let Err(e) = CustomFields::parse(f)
        {
            errors.push(e.field, e.message);
        }
        errors.finish(|| Self {
            name,
            emails,
            phones,
            tags,
            fields: input.fields,
            status: None,
        })
    }
}

/// A lead after a change, and the entry that explains the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The lead as it now is (version bumped).
    pub lead: Lead,
    /// Its timeline entry.
    pub entry: TimelineEntry,
}

fn change<T: Serialize + PartialEq>(
    changes: &mut Map<String, Value>,
    field: &str,
    from: &T,
    to: &T,
) {
    if from != to {
        changes.insert(field.to_owned(), json!({ "from": from, "to": to }));
    }
}

impl Lead {
    /// How people call the lead: its name, or `Lead #id` when it has none.
    pub fn display_name(&self) -> String {
        self.name
            .as_ref()
            .map_or_else(|| format!("Lead #{}", self.id), |n| n.as_str().to_owned())
    }

    /// Text the free-text search looks in: name, emails and phone digits, lower-cased.
    pub fn search_text(&self) -> String {
        let mut s = self
            .name
            .as_ref()
            .map(|n| n.as_str().to_lowercase())
            .unwrap_or_default();
        for e in &self.emails {
            s.push(' ');
            s.push_str(e.as_str());
        }
        for p in &self.phones {
            s.push(' ');
            s.push_str(p.as_str().trim_start_matches('+'));
        }
        s
    }

    /// What merging a repeat of this lead into it adds: the repeat's emails, phones and tags
    /// this lead lacks, and its custom fields this lead has no value for, each up to the
    /// most a lead holds (10 emails, 10 phones, 50 tags, 100 custom fields); values past
    /// that are not added. Nothing else of the repeat (its name, status, owner) changes this
    /// lead. [`Lead::apply`] of the patch changes nothing when the repeat adds nothing.
    pub fn absorb(&self, repeat: &LeadDraft) -> LeadPatch {
        fn add<T: PartialEq + Clone>(mine: &[T], theirs: &[T], max: usize) -> Option<Vec<T>> {
            let mut out = mine.to_vec();
            for t in theirs {
                if out.len() >= max {
                    break;
                }
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
            (out.len() > mine.len()).then_some(out)
        }
        let mine = self.fields.as_map();
        let room = MAX_FIELDS.saturating_sub(mine.len());
        let fields: Map<String, Value> = repeat
            .fields
            .as_map()
            .iter()
            .filter(|(k, _)| !mine.contains_key(*k))
            .take(room)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        LeadPatch {
            name: None,
            emails: add(&self.emails, &repeat.emails, MAX_CONTACTS),
            phones: add(&self.phones, &repeat.phones, MAX_CONTACTS),
            tags: add(&self.tags, &repeat.tags, MAX_TAGS),
            fields: (!fields.is_empty()).then_some(fields),
            status: None,
        }
    }

    /// Applies a patch. `Ok(None)` when it changes nothing (nothing to write, no entry).
    pub fn apply(
        &self,
        patch: &LeadPatch,
        actor: Actor,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Transition>, Invalid> {
        let mut next = self.clone();
        if let Some(n) = &patch.name {
            next.name.clone_from(n);
        }
        if let Some(e) = &patch.emails {
            next.emails.clone_from(e);
        }
        if let Some(p) = &patch.phones {
            next.phones.clone_from(p);
        }
        if let Some(t) = &patch.tags {
            next.tags.clone_from(t);
        }
        if let Some(f) = &patch.fields {
            next.fields = self.fields.merged(f);
        }
        if let Some(s) = &patch.status {
            next.status = s.clone();
        }
        if next.name.is_none() && next.emails.is_empty() && next.phones.is_empty() {
            return Err(Invalid::one(
                "name",
                "a lead needs a name, an email or a phone",
            ));
        }
        let mut changes = Map::new();
        change(&mut changes, "name", &self.name, &next.name);
        change(&mut changes, "emails", &self.emails, &next.emails);
        change(&mut changes, "phones", &self.phones, &next.phones);
        change(&mut changes, "tags", &self.tags, &next.tags);
        change(&mut changes, "fields", &self.fields, &next.fields);
        if self.status.id != next.status.id {
            changes.insert(
                "status".to_owned(),
                json!({ "from": self.status.name, "to": next.status.name }),
            );
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let kind = if self.status.id == next.status.id {
            EventKind::Updated
        } else {
            EventKind::StatusChanged
        };
        Ok(Some(self.finish(next, kind, changes, actor, reason, now)))
    }

    /// Hands the lead to a new owner (and the team whose scope it then falls in).
    /// `None` when it already has that owner.
    pub fn reassign(
        &self,
        to: Owner,
        team_id: Option<TeamId>,
        actor: Actor,
        reason: Option<String>,
        now: Timestamp,
    ) -> Option<Transition> {
        if self.owner == to && self.team_id == team_id {
            return None;
        }
        let mut next = self.clone();
        next.owner = to;
        next.team_id = team_id;
        if let Some(p) = to.pool() {
            next.from_pool = Some(p);
        }
        // A new agent starts a new speed-to-lead measure; a lead going back to a pool keeps
        // the last one for reports.
        if to.agent().is_some() && to != self.owner {
            next.assigned_at = Some(now);
            next.first_contact_at = None;
        }
        if to != self.owner {
            next.queued_at = (to == Owner::Queue).then_some(now);
        }
        let mut changes = Map::new();
        change(&mut changes, "owner", &self.owner, &to);
        change(&mut changes, "team_id", &self.team_id, &team_id);
        Some(self.finish(next, EventKind::OwnerChanged, changes, actor, reason, now))
    }

    /// A transition that changes nothing but the version (an event on the lead, such as a
    /// logged contact, whose kind the caller sets).
    pub(crate) fn touch(&self, actor: Actor, reason: Option<String>, now: Timestamp) -> Transition {
        self.finish(
            self.clone(),
            EventKind::Updated,
            Map::new(),
            actor,
            reason,
            now,
        )
    }

    /// Keeps why the lead waits in the queue after a move with an entry of `kind` giving
    /// `reason`: the reason of its latest entry of a kind that can queue a lead (what the
    /// queue shows and filters by), while it waits there, and none once it leaves.
    pub(crate) fn keep_queue_reason(&mut self, kind: EventKind, reason: Option<&String>) {
        if self.owner != Owner::Queue {
            self.queue_reason = None;
        } else if matches!(
            kind,
            EventKind::Created
                | EventKind::Routed
                | EventKind::OwnerChanged
                | EventKind::OfferCancelled
        ) {
            self.queue_reason = reason.cloned();
        }
    }

    fn finish(
        &self,
        mut next: Lead,
        kind: EventKind,
        changes: Map<String, Value>,
        actor: Actor,
        reason: Option<String>,
        now: Timestamp,
    ) -> Transition {
        next.version = self.version + 1;
        next.updated_at = now.max(self.updated_at);
        next.keep_queue_reason(kind, reason.as_ref());
        Transition {
            lead: next,
            entry: TimelineEntry {
                at: now,
                actor,
                kind,
                reason,
                changes: Value::Object(changes),
            },
        }
    }
}

#[cfg(test)]
mod tests;
