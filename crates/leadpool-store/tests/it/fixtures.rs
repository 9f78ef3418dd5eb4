//! Set-up shared by the store tests: fixed instants, an organization seeded with what
//! every lead needs, a lead builder that goes through the domain's own parsing, and
//! assertions on [`StoreError`]s.

use std::fmt::Debug;

use leadpool_domain::lead::{LeadInput, NewLead, StatusRef};
use leadpool_domain::{
    Actor, Lead, LeadDraft, LeadId, OrgId, Owner, PoolId, Role, SourceId, StatusCategory, TeamId,
    Timestamp, UserId,
};
use leadpool_store::orgs::Organization;
use leadpool_store::pools::Pool;
use leadpool_store::sources::Source;
use leadpool_store::statuses::Status;
use leadpool_store::users::{NewUser, User};
use leadpool_store::{StoreError, Tx};
use leadpool_testkit::TestStore;

/// The instant every test's story starts at (2026-11-18T11:06:40Z): fixed, never the clock.
const T0: i64 = 1_795_000_000_000;

/// `offset_ms` milliseconds after the start of the test's story.
pub(crate) fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

/// Starts a write transaction.
pub(crate) async fn write(db: &TestStore) -> Tx {
    db.store.write().await.expect("a write transaction begins")
}

/// Starts a read transaction.
pub(crate) async fn read(db: &TestStore) -> Tx {
    db.store.read().await.expect("a read transaction begins")
}

/// Commits a transaction.
pub(crate) async fn commit(tx: Tx) {
    tx.commit().await.expect("the transaction commits");
}

/// Asserts that a write was refused by the named unique constraint.
#[track_caller]
pub(crate) fn assert_conflict<T: Debug>(result: Result<T, StoreError>, constraint: &str) {
    match result {
        Err(StoreError::Conflict { constraint: c }) if c == constraint => {}
        other => panic!("expected Conflict {{ constraint: {constraint:?} }}, got {other:?}"),
    }
}

/// Asserts that a read or write found no row.
#[track_caller]
pub(crate) fn assert_not_found<T: Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// The ids of some leads, in the order given.
pub(crate) fn ids(leads: &[Lead]) -> Vec<LeadId> {
    leads.iter().map(|l| l.id).collect()
}

/// An organization with a default status "New", a status "Working", a source
/// "Website" and its default pool "Lead Pool".
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub(crate) org: Organization,
    pub(crate) new: Status,
    pub(crate) working: Status,
    pub(crate) source: Source,
    pub(crate) pool: Pool,
}

impl Seeded {
    /// The organization's id.
    pub(crate) fn id(&self) -> OrgId {
        self.org.id
    }
}

/// Creates an organization with `slug` and what every lead needs.
pub(crate) async fn seed(tx: &mut Tx, slug: &str) -> Seeded {
    let org = tx
        .insert_org(slug, &format!("{slug} Realty"), at(0))
        .await
        .expect("the organization is created");
    let new = tx
        .insert_status(org.id, "New", StatusCategory::New, true, at(0))
        .await
        .expect("status New is created");
    let working = tx
        .insert_status(org.id, "Working", StatusCategory::Working, false, at(0))
        .await
        .expect("status Working is created");
    let source = tx
        .insert_source(
            org.id,
            "Website",
            None,
            &format!("digest-{slug}-website"),
            "bsit",
            at(0),
        )
        .await
        .expect("source Website is created");
    let pool = tx
        .insert_pool(org.id, &pool_settings("Lead Pool"), true, at(0))
        .await
        .expect("the default pool is created");
    Seeded {
        org,
        new,
        working,
        source,
        pool,
    }
}

/// What a test says about a user it adds; everything else has a plain default.
pub(crate) fn new_user(org: OrgId, email: &str, role: Role) -> NewUser {
    NewUser {
        org,
        email: email.to_owned(),
        name: email.split('@').next().unwrap_or(email).to_owned(),
        role,
        scope_team_id: None,
        password_hash: None,
    }
}

/// Adds a user.
pub(crate) async fn add_user(tx: &mut Tx, org: OrgId, email: &str, role: Role) -> User {
    tx.insert_user(&new_user(org, email, role), at(0))
        .await
        .expect("the user is added")
}

/// A lead to insert: client input parsed by [`LeadDraft::parse`] and made by
/// [`LeadDraft::create`], exactly as intake does it.
#[derive(Debug, Clone)]
pub(crate) struct LeadSpec {
    org: OrgId,
    input: LeadInput,
    source: SourceId,
    status: StatusRef,
    owner: Owner,
    team: Option<TeamId>,
    created_at: Timestamp,
}

impl LeadSpec {
    /// A lead of `world` from its source, in its default status, in the assignment queue,
    /// created at the start of the story.
    pub(crate) fn of(world: &Seeded) -> Self {
        Self {
            org: world.id(),
            input: LeadInput::default(),
            source: world.source.id,
            status: world.new.to_ref(),
            owner: Owner::Queue,
            team: None,
            created_at: at(0),
        }
    }

    /// The person's name.
    pub(crate) fn name(mut self, name: &str) -> Self {
        self.input.name = Some(name.to_owned());
        self
    }

    /// Adds an email address.
    pub(crate) fn email(mut self, email: &str) -> Self {
        self.input.emails.push(email.to_owned());
        self
    }

    /// Adds a phone number.
    pub(crate) fn phone(mut self, phone: &str) -> Self {
        self.input.phones.push(phone.to_owned());
        self
    }

    /// Sets the tags.
    pub(crate) fn tags(mut self, tags: &[&str]) -> Self {
        self.input.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Sets a custom field.
    pub(crate) fn field(mut self, key: &str, value: serde_json::Value) -> Self {
        self.input.fields.insert(key.to_owned(), value);
        self
    }

    /// Sets the source's own id.
    pub(crate) fn external_id(mut self, id: &str) -> Self {
        self.input.external_id = Some(id.to_owned());
        self
    }

    /// Comes from `source`.
    pub(crate) fn source(mut self, source: SourceId) -> Self {
        self.source = source;
        self
    }

    /// Starts in `status`.
    pub(crate) fn status(mut self, status: &Status) -> Self {
        self.status = status.to_ref();
        self
    }

    /// Held by an agent.
    pub(crate) fn agent(mut self, user: UserId) -> Self {
        self.owner = Owner::Agent { user_id: user };
        self
    }

    /// Sitting in a pool.
    pub(crate) fn pool(mut self, pool: PoolId) -> Self {
        self.owner = Owner::Pool { pool_id: pool };
        self
    }

    /// In a team's scope.
    pub(crate) fn team(mut self, team: TeamId) -> Self {
        self.team = Some(team);
        self
    }

    /// Came in at `t`.
    pub(crate) fn created_at(mut self, t: Timestamp) -> Self {
        self.created_at = t;
        self
    }

    /// The new lead and its `created` entry, as the domain makes them.
    pub(crate) fn build(self) -> NewLead {
        LeadDraft::parse(self.input)
            .expect("the test lead is valid input")
            .create(
                self.org,
                self.source,
                self.status,
                self.owner,
                self.team,
                Actor::Source {
                    source_id: self.source,
                },
                None,
                self.created_at,
            )
    }
}

/// Inserts a lead built from `spec`.
pub(crate) async fn insert(tx: &mut Tx, spec: LeadSpec) -> Lead {
    tx.insert_lead(&spec.build())
        .await
        .expect("the lead is inserted")
}

/// A pool's settings with every option at its default.
pub fn pool_settings(name: &str) -> leadpool_store::pools::PoolSettings {
    leadpool_store::pools::PoolSettings {
        name: name.into(),
        team_id: None,
        blind: false,
        reserve: None,
        calendar_id: None,
        reject_cooldown: leadpool_domain::pool::DEFAULT_REJECT_COOLDOWN,
    }
}
