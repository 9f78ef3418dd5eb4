//! PRODUCT.md's invariants checked over a whole database once a run has settled: every
//! lead's owner is what its timeline says (invariants 1 and 5), timers agree with owners and
//! none is left overdue or fired twice (invariant 4), every offer ended once, every webhook
//! delivery was delivered. Read with plain SQL, not through the store, so a bug in the store's
//! own reads cannot hide one in its writes.

use std::collections::{BTreeMap, HashMap, HashSet};

use leadpool_domain::Owner;
use serde_json::Value;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{SqlitePoolOptions, SqliteRow};

/// One timeline entry, as much of it as the checks read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its id (the order entries were written in).
    pub id: i64,
    /// The acting user, when a user acted.
    pub user: Option<i64>,
    /// Its kind's stored name (`claimed`, `offer_accepted`, ..).
    pub kind: String,
    /// What changed.
    pub changes: Value,
}

/// A pending timer.
#[derive(Debug, Clone)]
pub struct Timer {
    /// The lead it is for.
    pub lead: i64,
    /// Its kind's stored name.
    pub kind: String,
    /// When it is due (epoch milliseconds).
    pub due_at: i64,
    /// The instance that took it, if one did.
    pub lease_owner: Option<String>,
}

/// An offer row.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The lead offered.
    pub lead: i64,
    /// `open`, `accepted`, `moved_on` or `cancelled`.
    pub state: String,
    /// Who accepted it.
    pub winner: Option<i64>,
}

/// A webhook delivery row.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The outbox event it carries.
    pub event: i64,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts started.
    pub attempts: i64,
    /// The instance holding it, while one does.
    pub lease_owner: Option<String>,
}

/// Everything the checks read, from one database at one moment.
#[derive(Debug)]
pub struct Snapshot {
    /// Each lead's owner.
    pub owners: BTreeMap<i64, Owner>,
    /// Each lead's timeline, oldest first.
    pub timelines: BTreeMap<i64, Vec<Entry>>,
    /// Pending timers.
    pub timers: Vec<Timer>,
    /// Offers by id.
    pub offers: BTreeMap<i64, Offer>,
    /// Webhook deliveries.
    pub deliveries: Vec<Delivery>,
    /// Outbox event ids.
    pub events: Vec<i64>,
}

enum Db {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Db {
    async fn rows<T>(&self, sql: &'static str) -> Vec<T>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow> + for<'r> sqlx::FromRow<'r, SqliteRow>,
    {
        match self {
            Self::Pg(p) => sqlx::query_as::<_, T>(sql).fetch_all(p).await,
            Self::Sqlite(p) => sqlx::query_as::<_, T>(sql).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

type LeadRow = (i64, String, Option<i64>, Option<i64>, Option<i64>);
type EntryRow = (i64, i64, Option<i64>, String, String, String);
type TimerRow = (i64, String, i64, Option<String>);
type OfferRow = (i64, i64, String, Option<i64>);
type DeliveryRow = (i64, i64, String, i64, Option<String>);

impl Snapshot {
    /// Reads the database at `url` (a test store's URL, SQLite or PostgreSQL).
    pub async fn read(url: &str) -> Self {
        let db = if url.starts_with("sqlite:") {
            Db::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("open the SQLite database to check it"),
            )
        } else {
            Db::Pg(
                PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("open the PostgreSQL database to check it"),
            )
        };
        let leads: Vec<LeadRow> = db
            .rows("SELECT id, owner_kind, owner_user_id, owner_pool_id, owner_offer_id FROM leads")
            .await;
        let owners = leads
            .into_iter()
            .map(|(id, kind, user, pool, offer)| {
                let owner = Owner::from_columns(&kind, user, pool, offer)
                    .unwrap_or_else(|e| panic!("lead {id}: {e}"));
                (id, owner)
            })
            .collect();
        let entries: Vec<EntryRow> = db
            .rows("SELECT id, lead_id, actor_id, actor_kind, kind, changes FROM timeline ORDER BY lead_id, id")
            .await;
        let mut timelines: BTreeMap<i64, Vec<Entry>> = BTreeMap::new();
        for (id, lead, actor, actor_kind, kind, changes) in entries {
            timelines.entry(lead).or_default().push(Entry {
                id,
                user: actor.filter(|_| actor_kind == "user"),
                kind,
                changes: serde_json::from_str(&changes).unwrap_or(Value::Null),
            });
        }
        let timers = db
            .rows::<TimerRow>("SELECT lead_id, kind, due_at, lease_owner FROM timers")
            .await
            .into_iter()
            .map(|(lead, kind, due_at, lease_owner)| Timer {
                lead,
                kind,
                due_at,
                lease_owner,
            })
            .collect();
        let offers = db
            .rows::<OfferRow>("SELECT id, lead_id, state, winner_id FROM offers")
            .await
            .into_iter()
            .map(|(id, lead, state, winner)| {
                (
                    id,
                    Offer {
                        lead,
                        state,
                        winner,
                    },
                )
            })
            .collect();
        let deliveries = db
            .rows::<DeliveryRow>(
                "SELECT id, event_id, state, attempts, lease_owner FROM deliveries ORDER BY id",
            )
            .await
            .into_iter()
            .map(|(id, event, state, attempts, lease_owner)| Delivery {
                id,
                event,
                state,
                attempts,
                lease_owner,
            })
            .collect();
        let events = db
            .rows::<(i64,)>("SELECT id FROM outbox ORDER BY id")
            .await
            .into_iter()
            .map(|(id,)| id)
            .collect();
        match db {
            Db::Pg(p) => p.close().await,
            Db::Sqlite(p) => p.close().await,
        }
        Self {
            owners,
            timelines,
            timers,
            offers,
            deliveries,
            events,
        }
    }

    /// Every agent who held `lead` at some point, by its timeline.
    pub fn holders(&self, lead: i64) -> HashSet<i64> {
        let mut out = HashSet::new();
        for e in self.timelines.get(&lead).into_iter().flatten() {
            if let Some(Owner::Agent { user_id }) = owner_after(e) {
                out.insert(user_id.get());
            }
        }
        out
    }

    /// How many entries of `kind` by `user` the timeline of `lead` has.
    pub fn entries_by(&self, lead: i64, kind: &str, user: i64) -> usize {
        self.timelines
            .get(&lead)
            .into_iter()
            .flatten()
            .filter(|e| e.kind == kind && e.user == Some(user))
            .count()
    }

    /// How many entries of `kind` the whole database has.
    pub fn count(&self, kind: &str) -> usize {
        self.timelines
            .values()
            .flatten()
            .filter(|e| e.kind == kind)
            .count()
    }

    /// Everything that breaks an invariant, one sentence each; empty when all hold. `now`
    /// is the current time in epoch milliseconds and `grace` how late (in milliseconds) a
    /// due timer may still be pending.
    pub fn violations(&self, now: i64, grace: i64) -> Vec<String> {
        let mut out = Vec::new();
        for (lead, owner) in &self.owners {
            self.check_timeline(*lead, *owner, &mut out);
        }
        self.check_timers(now, grace, &mut out);
        self.check_offers(&mut out);
        self.check_deliveries(&mut out);
        out
    }

    /// The timeline alone explains the owner: each change starts from the owner the one
    /// before left, and the last leaves the lead's owner. A reserve time ends once per
    /// claim and never after a contact ended it.
    fn check_timeline(&self, lead: i64, owner: Owner, out: &mut Vec<String>) {
        let entries = self.timelines.get(&lead).map_or(&[][..], Vec::as_slice);
        let mut held: Option<Owner> = None;
        // Whether the current hold still has a reserve time running out.
        let mut reserve_open = false;
        for e in entries {
            if e.kind == "created" {
                held = serde_json::from_value(e.changes["owner"].clone()).ok();
                continue;
            }
            if let Some(from) = e.changes["owner"].get("from") {
                let from: Option<Owner> = serde_json::from_value(from.clone()).ok();
                if from != held {
                    out.push(format!(
                        "lead {lead}: entry {} ({}) moves it from {from:?}, but the timeline before left it with {held:?}",
                        e.id, e.kind
                    ));
                }
                held = owner_after(e);
            }
            match e.kind.as_str() {
                "reserve_expired" if !reserve_open => out.push(format!(
                    "lead {lead}: entry {} ends a reserve time no claim started or a contact already ended (fired twice?)",
                    e.id
                )),
                "claimed" => reserve_open = true,
                "contact_logged" | "status_changed" | "reserve_expired" | "rejected" => {
                    reserve_open = false;
                }
                _ if e.changes.get("owner").is_some() => reserve_open = false,
                _ => {}
            }
        }
        if held != Some(owner) {
            out.push(format!(
                "lead {lead}: owned by {owner:?}, but its timeline ends with {held:?}"
            ));
        }
    }

    /// No timer is overdue past `grace`; timers agree with the owner: an offer window only
    /// on a lead on that offer, a reserve time only on a lead an agent holds.
    fn check_timers(&self, now: i64, grace: i64, out: &mut Vec<String>) {
        for t in &self.timers {
            if t.due_at < now - grace {
                out.push(format!(
                    "lead {}: its {} timer was due {} ms ago and has not fired (lease {:?})",
                    t.lead,
                    t.kind,
                    now - t.due_at,
                    t.lease_owner
                ));
            }
            let owner = self.owners.get(&t.lead);
            let fits = match t.kind.as_str() {
                "offer_window" => matches!(owner, Some(Owner::Offer { .. })),
                "reserve_expiry" | "reserve_warning" => matches!(owner, Some(Owner::Agent { .. })),
                _ => true,
            };
            if !fits {
                out.push(format!(
                    "lead {}: a pending {} timer while owned by {owner:?}",
                    t.lead, t.kind
                ));
            }
        }
        let windows: HashSet<i64> = self
            .timers
            .iter()
            .filter(|t| t.kind == "offer_window")
            .map(|t| t.lead)
            .collect();
        for (lead, owner) in &self.owners {
            if matches!(owner, Owner::Offer { .. }) && !windows.contains(lead) {
                out.push(format!(
                    "lead {lead}: on an offer with no response window running"
                ));
            }
        }
    }

    /// An offer is open exactly while its lead is on it, and ended once: accepted with one
    /// acceptance by its winner, or moved on or cancelled with none; its window expired at
    /// most once.
    fn check_offers(&self, out: &mut Vec<String>) {
        let mut ends: HashMap<(i64, &str), Vec<Option<i64>>> = HashMap::new();
        for e in self.timelines.values().flatten() {
            if let Some(offer) = e.changes["offer_id"].as_i64() {
                ends.entry((offer, e.kind.as_str()))
                    .or_default()
                    .push(e.user);
            }
        }
        for (id, o) in &self.offers {
            let on_it = self.owners.get(&o.lead)
                == Some(&Owner::Offer {
                    offer_id: leadpool_domain::OfferId::new(*id),
                });
            if (o.state == "open") != on_it {
                out.push(format!(
                    "offer {id} is {} but lead {} is owned by {:?}",
                    o.state,
                    o.lead,
                    self.owners.get(&o.lead)
                ));
            }
            let accepted = ends
                .get(&(*id, "offer_accepted"))
                .cloned()
                .unwrap_or_default();
            let want = match o.state.as_str() {
                "accepted" => vec![o.winner],
                _ => Vec::new(),
            };
            if accepted != want || (o.state == "accepted" && o.winner.is_none()) {
                out.push(format!(
                    "offer {id} is {} (winner {:?}) but its lead's timeline has acceptances by {accepted:?}",
                    o.state, o.winner
                ));
            }
            let expired = ends.get(&(*id, "offer_expired")).map_or(0, Vec::len);
            if expired > 1 || (expired == 1 && o.state != "moved_on") {
                out.push(format!("offer {id} ({}) expired {expired} times", o.state));
            }
        }
    }

    /// Every delivery was delivered: none pending, dead or still held by an instance.
    fn check_deliveries(&self, out: &mut Vec<String>) {
        for d in self.deliveries.iter().filter(|d| d.state != "delivered") {
            out.push(format!(
                "delivery {} of event {} is {} after {} attempts (held by {:?})",
                d.id, d.event, d.state, d.attempts, d.lease_owner
            ));
        }
    }
}

/// The owner an entry leaves the lead with, when it changes (or sets) the owner.
fn owner_after(e: &Entry) -> Option<Owner> {
    let owner = &e.changes["owner"];
    let to = if e.kind == "created" {
        owner
    } else {
        owner.get("to")?
    };
    serde_json::from_value(to.clone()).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Backend, TestApp};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_owner_its_timeline_does_not_explain_is_reported() {
        let app = TestApp::spawn(Backend::Sqlite)
            .await
            .expect("an app on SQLite");
        let (_, key) = app.source("Portal").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await.body["lead"]["id"]
            .as_i64()
            .expect("the lead's id");
        let now = app.app.now().as_millis();
        let whole = Snapshot::read(&app.db.url).await.violations(now, 0);
        assert!(whole.is_empty(), "{whole:?}");

        // Moved into the pool behind its timeline's back.
        let db = SqlitePoolOptions::new()
            .connect(&app.db.url)
            .await
            .expect("open the database");
        sqlx::query("UPDATE leads SET owner_kind = 'pool', owner_pool_id = (SELECT MIN(id) FROM pools) WHERE id = $1")
            .bind(lead)
            .execute(&db)
            .await
            .expect("move the lead");
        db.close().await;
        let broken = Snapshot::read(&app.db.url).await.violations(now, 0);
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(
            broken[0].starts_with(&format!("lead {lead}: owned by Pool")),
            "{broken:?}"
        );
    }
}
