//! Listing leads: what each viewer may see, every filter part, every sort, and cursor pages.

mod at_scale;
mod filters;
mod pages;
mod queue_counts;
mod visibility;

use leadpool_domain::{Lead, OrgId, Role, Visibility};
use leadpool_store::Tx;
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_store::pools::Pool;
use leadpool_store::sources::Source;
use leadpool_store::teams::Team;
use leadpool_store::users::User;
use leadpool_testkit::TestStore;

use crate::fixtures::{
    LeadSpec, Seeded, add_user, at, commit, insert, pool_settings, read, seed, write,
};

/// An organization with two agents, two teams, a second pool and a second source.
#[derive(Debug)]
struct Office {
    acme: Seeded,
    ana: User,
    bob: User,
    north: Team,
    south: Team,
    north_pool: Pool,
    zillow: Source,
}

impl Office {
    /// A lead of this office named `name`, created `t` milliseconds into the story.
    fn lead(&self, name: &str, t: i64) -> LeadSpec {
        LeadSpec::of(&self.acme).name(name).created_at(at(t))
    }
}

async fn office(db: &TestStore) -> Office {
    let mut tx = write(db).await;
    let acme = seed(&mut tx, "acme").await;
    let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
    let bob = add_user(&mut tx, acme.id(), "bob@acme.test", Role::Agent).await;
    let north = tx
        .insert_team(acme.id(), None, "North", at(0))
        .await
        .expect("north is created");
    let south = tx
        .insert_team(acme.id(), None, "South", at(0))
        .await
        .expect("south is created");
    let north_pool = tx
        .insert_pool(acme.id(), &pool_settings("North Shore"), false, at(0))
        .await
        .expect("north pool is created");
    let zillow = tx
        .insert_source(acme.id(), "Zillow", None, "digest-zillow", "z", at(0))
        .await
        .expect("zillow is created");
    commit(tx).await;
    Office {
        acme,
        ana,
        bob,
        north,
        south,
        north_pool,
        zillow,
    }
}

/// Inserts one lead per spec, in order, and commits them.
async fn insert_leads<const N: usize>(db: &TestStore, specs: [LeadSpec; N]) -> [Lead; N] {
    let mut tx = write(db).await;
    let mut leads = Vec::with_capacity(N);
    for spec in specs {
        leads.push(insert(&mut tx, spec).await);
    }
    commit(tx).await;
    leads.try_into().expect("one lead per spec")
}

/// A filter with the parts `set` gives; everything else left open.
fn filter(set: impl FnOnce(&mut LeadFilter)) -> LeadFilter {
    let mut f = LeadFilter::default();
    set(&mut f);
    f
}

/// What a list shows of a lead: its name, or its first email when it has none.
fn label(lead: &Lead) -> String {
    match (&lead.name, lead.emails.first()) {
        (Some(n), _) => n.as_str().to_owned(),
        (None, Some(e)) => e.as_str().to_owned(),
        (None, None) => format!("lead {}", lead.id),
    }
}

/// Reads one organization's lead lists and answers with labels, oldest first, so an
/// expectation reads as the data the test set up.
#[derive(Debug)]
struct Reader {
    tx: Tx,
    org: OrgId,
}

impl Reader {
    async fn new(db: &TestStore, org: OrgId) -> Self {
        Self {
            tx: read(db).await,
            org,
        }
    }

    /// The leads `visibility` shows that match `filter`.
    async fn seen(&mut self, visibility: &Visibility, filter: &LeadFilter) -> Vec<String> {
        let leads = self
            .tx
            .leads(
                self.org,
                visibility,
                filter,
                LeadSort::CreatedAsc,
                None,
                1_000,
            )
            .await
            .expect("leads are listed");
        leads.iter().map(label).collect()
    }

    /// Every lead of the organization matching `filter`.
    async fn matching(&mut self, filter: LeadFilter) -> Vec<String> {
        self.seen(&Visibility::Organization, &filter).await
    }
}
