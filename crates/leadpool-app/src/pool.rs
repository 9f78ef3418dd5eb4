//! The lead pool: what its use cases share. The answer a bulk claim, move or assignment
//! gives per lead, the inputs of a rejection and of a pool's settings, the checks on a bulk
//! list of leads and on free-text reasons, and what one transaction reads of an
//! organization's pools. The use cases themselves live by what they do:
//! - `claim`: agents claiming pool leads, decided many at a time by the group-commit writer;
//! - `hand_over`: rejecting a lead, moving leads into a pool, assigning them, logging a
//!   contact;
//! - `settings`: the pools, the organization's caps and rejection pool, rejection reasons.

mod claim;
mod hand_over;
mod settings;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

use leadpool_domain::calendar::Calendar;
use leadpool_domain::pool::{self as rules, Refusal, reserve_due};
use leadpool_domain::validate::{Lines, check_text};
use leadpool_domain::{Lead, LeadId, OrgId, PoolId, TeamId, Timestamp, UserId};
use leadpool_store::Tx;
use leadpool_store::claims::OrgPoolSettings;
use leadpool_store::pools::Pool;

use crate::{App, AppError, Member};

pub(crate) use claim::ClaimRequest;

/// Most leads one bulk claim, move or assignment may name.
pub const MAX_BULK: usize = 500;

/// What came of one lead in a bulk claim, move or assignment.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimResult {
    /// The claimer holds it now.
    Claimed {
        /// The lead as it now is.
        lead: Lead,
    },
    /// It was moved or assigned as asked.
    Moved {
        /// The lead as it now is.
        lead: Lead,
    },
    /// It already was where it was asked to go; nothing was written.
    Unchanged {
        /// The lead.
        lead: Lead,
    },
    /// Another agent holds it.
    AlreadyClaimed {
        /// Who.
        by: UserId,
        /// Their name.
        by_name: String,
    },
    /// The agent is at their cap of open new leads.
    OverCap {
        /// The cap.
        max: u32,
    },
    /// No such lead, or not one the actor may see.
    NotVisible,
    /// The lead is not in a pool (or is being offered, for a move).
    NotInPool,
    /// An assignment from the manual queue found the lead gone from it (and not to an agent).
    NotInQueue,
    /// The claimer rejected this lead and may not take it back yet.
    CoolingDown {
        /// When they may.
        until: Timestamp,
    },
}

impl ClaimResult {
    /// The stable wire name.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Claimed { .. } => "claimed",
            Self::Moved { .. } => "moved",
            Self::Unchanged { .. } => "unchanged",
            Self::AlreadyClaimed { .. } => "already_claimed",
            Self::OverCap { .. } => "over_cap",
            Self::NotVisible => "not_visible",
            Self::NotInPool => "not_in_pool",
            Self::NotInQueue => "not_in_queue",
            Self::CoolingDown { .. } => "cooling_down",
        }
    }

    fn refused(r: Refusal) -> Self {
        match r {
            Refusal::AlreadyClaimed { by } => Self::AlreadyClaimed {
                by,
                by_name: String::new(),
            },
            Refusal::OverCap { max } => Self::OverCap { max },
            Refusal::NotVisible => Self::NotVisible,
            Refusal::NotInPool => Self::NotInPool,
            Refusal::CoolingDown { until } => Self::CoolingDown { until },
        }
    }
}

/// One lead's answer in a bulk operation, in the order the leads were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAnswer {
    /// The lead asked for.
    pub lead_id: LeadId,
    /// What came of it.
    pub result: ClaimResult,
}

/// Why an agent rejects a lead.
#[derive(Debug, Clone, Default)]
pub struct RejectInput {
    /// One of the organization's rejection reasons.
    pub reason_id: Option<i64>,
    /// The agent's own words.
    pub note: Option<String>,
}

/// A pool's settings as an admin gives them.
#[derive(Debug, Clone, Default)]
pub struct PoolInput {
    /// Its name.
    pub name: String,
    /// Only this team's members see it.
    pub team_id: Option<TeamId>,
    /// Hide phone and email until claimed.
    pub blind: bool,
    /// Reserve time after a claim, in open hours of the pool's calendar.
    pub reserve: Option<Duration>,
    /// The calendar counting the reserve time (default: the organization's).
    pub calendar_id: Option<i64>,
    /// How long a rejecter may not claim the lead back (default 24 h).
    pub reject_cooldown: Option<Duration>,
}

/// Changes to a pool's settings: each field given replaces that setting, the others stay.
#[derive(Debug, Clone, Default)]
pub struct PoolChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new team; `Some(None)`: every agent of the organization.
    pub team_id: Option<Option<TeamId>>,
    /// Hide phone and email until claimed, or not.
    pub blind: Option<bool>,
    /// A new reserve time; `Some(None)`: none.
    pub reserve: Option<Option<Duration>>,
    /// A new calendar; `Some(None)`: the organization's.
    pub calendar_id: Option<Option<i64>>,
    /// A new cooldown after a rejection.
    pub reject_cooldown: Option<Duration>,
}

impl PoolChanges {
    /// The settings `pool` has with these changes made.
    fn applied_to(self, pool: &Pool) -> PoolInput {
        PoolInput {
            name: self.name.unwrap_or_else(|| pool.name.clone()),
            team_id: self.team_id.unwrap_or(pool.team_id),
            blind: self.blind.unwrap_or(pool.blind),
            reserve: self.reserve.unwrap_or(pool.reserve),
            calendar_id: self.calendar_id.unwrap_or(pool.calendar_id),
            reject_cooldown: Some(self.reject_cooldown.unwrap_or(pool.reject_cooldown)),
        }
    }
}

fn bulk_ids(ids: &[LeadId]) -> Result<Vec<LeadId>, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("lead_ids", "name at least one lead"));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "lead_ids",
            format!("at most {MAX_BULK} leads at once"),
        ));
    }
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(id) {
            seen.push(*id);
        }
    }
    Ok(seen)
}

fn reason_text(field: &str, text: Option<String>) -> Result<Option<String>, AppError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 1000 => {
            Err(AppError::invalid(field, "at most 1000 characters"))
        }
        Some(t) => check_text(t, Lines::Many)
            .map(|()| Some(t.to_owned()))
            .map_err(|m| AppError::invalid(field, m)),
    }
}

/// What one group-commit transaction needs per organization, read once.
struct OrgState {
    settings: OrgPoolSettings,
    pools: HashMap<PoolId, Pool>,
    calendars: HashMap<Option<i64>, Option<Calendar>>,
}

impl OrgState {
    async fn load(tx: &mut Tx, org: OrgId) -> Result<Self, AppError> {
        Ok(Self {
            settings: tx.org_pool_settings(org).await?,
            pools: tx
                .pools(org)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect(),
            calendars: HashMap::new(),
        })
    }

    fn default_pool(&self) -> Result<&Pool, AppError> {
        self.pools
            .values()
            .find(|p| p.is_default)
            .ok_or_else(|| AppError::Internal("the organization has no default pool".into()))
    }

    /// Where rejected leads go: the organization's choice, else the default pool.
    fn reject_pool(&self) -> Result<&Pool, AppError> {
        match self.settings.reject_pool.and_then(|p| self.pools.get(&p)) {
            Some(p) => Ok(p),
            None => self.default_pool(),
        }
    }

    /// When the reserve time of a claim from `pool` at `now` ends, if the pool has one.
    async fn reserve_due(
        &mut self,
        tx: &mut Tx,
        org: OrgId,
        pool: PoolId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, AppError> {
        let Some((reserve, calendar_id)) = self
            .pools
            .get(&pool)
            .and_then(|p| p.reserve.map(|r| (r, p.calendar_id)))
        else {
            return Ok(None);
        };
        if let Entry::Vacant(slot) = self.calendars.entry(calendar_id) {
            let stored = match calendar_id {
                Some(id) => Some(tx.calendar(org, id).await?),
                None => tx.default_calendar(org).await?,
            };
            slot.insert(stored.map(|c| c.to_calendar()).transpose()?);
        }
        let calendar = self.calendars.get(&calendar_id).and_then(Option::as_ref);
        match reserve_due(calendar, now, reserve) {
            Ok(due) => Ok(Some(due)),
            Err(e) => {
                // A calendar that never opens again cannot end a reserve; count wall time
                // rather than hold the lead forever.
                tracing::warn!(error = %e, pool = %pool, "reserve time counted in wall-clock time");
                Ok(reserve_due(None, now, reserve).ok())
            }
        }
    }
}

impl App {
    /// The leads as `m` may see them: a blind pool's leads without phone and email.
    pub(crate) fn shown_to(m: &Member, lead: Lead) -> Lead {
        if m.viewer.contact_hidden(lead.owner) {
            rules::blind(&lead)
        } else {
            lead
        }
    }
}
