//! Storing new leads, from a source's intake or added by hand, through the group-commit
//! writer: every lead waiting is stored and routed in one transaction. The rules, groups,
//! agents and round-robin positions are read (and on PostgreSQL locked) once for the batch,
//! and the leads are decided in arrival order, each seeing where the ones before it went.

use std::collections::HashMap;
use std::future::Future;

use leadpool_domain::lead::{LeadDraft, NewLead};
use leadpool_domain::timer::{TimerChanges, TimerFacts, timer_changes};
use leadpool_domain::{Actor, EventKind, Lead, LeadId, OrgId, Owner, SourceId, TeamId, Timestamp};
use leadpool_store::Tx;
use leadpool_store::sources::Source;

use crate::group_commit::Batched;
use crate::transitions::write_timers;
use crate::{App, AppError};

/// Most leads one transaction stores; more wait for the next.
const MAX_BATCH: usize = 500;

/// A lead to store.
pub(crate) struct NewLeadRequest {
    /// Where it came from.
    pub(crate) source: Source,
    /// What it says.
    pub(crate) draft: LeadDraft,
    /// Who holds it; `Owner::Queue` sends it through the routing rules.
    pub(crate) owner: Owner,
    /// Its team.
    pub(crate) team: Option<TeamId>,
    /// Who added it.
    pub(crate) actor: Actor,
    /// Why, for the timeline.
    pub(crate) reason: Option<String>,
}

impl Batched for NewLeadRequest {
    /// The lead as stored and routed, and `false` when the source had already sent its
    /// external id (nothing was written).
    type Answer = (Lead, bool);
    const MAX_WEIGHT: usize = MAX_BATCH;

    fn weight(&self) -> usize {
        1
    }

    fn write(
        app: &App,
        batch: &[&Self],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, AppError>>, AppError>> + Send {
        app.store_new_leads(batch)
    }
}

/// Where one request of a batch stands.
enum Stored {
    /// Stored now as the lead with this id.
    Created(LeadId),
    /// Already stored: an earlier lead with the same external id.
    Known(Box<Lead>),
    /// Sent twice in this batch: the answer is the first one's lead.
    Again(LeadId),
}

impl App {
    /// Stores and routes new leads in one transaction.
    async fn store_new_leads(
        &self,
        batch: &[&NewLeadRequest],
    ) -> Result<Vec<Result<(Lead, bool), AppError>>, AppError> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let mut orgs: Vec<OrgId> = batch.iter().map(|r| r.source.org).collect();
        orgs.sort_unstable();
        orgs.dedup();
        let mut stored: Vec<Option<Stored>> = batch.iter().map(|_| None).collect();
        let mut leads: HashMap<LeadId, Lead> = HashMap::new();
        let mut timer_set = false;
        for org in orgs {
            let here: Vec<usize> = (0..batch.len())
                .filter(|&i| batch[i].source.org == org)
                .collect();
            let (created, set) = self
                .store_in_org(&mut tx, org, batch, &here, &mut stored, now)
                .await?;
            timer_set |= set;
            leads.extend(created.into_iter().map(|l| (l.id, l)));
        }
        tx.commit().await?;
        self.timers_changed(timer_set);
        metrics::counter!("leadpool_leads_created_total").increment(leads.len() as u64);
        Ok(stored
            .into_iter()
            .map(|s| match s {
                Some(Stored::Created(id)) => lead_of(&leads, id).map(|l| (l, true)),
                Some(Stored::Again(id)) => lead_of(&leads, id).map(|l| (l, false)),
                Some(Stored::Known(l)) => Ok((*l, false)),
                None => Err(AppError::Internal("a new lead was left out".into())),
            })
            .collect())
    }

    /// Stores the requests `here` (all of organization `org`), routes those without an
    /// owner, and sets their status timers. Returns the leads as they now are and whether a
    /// timer was set.
    async fn store_in_org(
        &self,
        tx: &mut Tx,
        org: OrgId,
        batch: &[&NewLeadRequest],
        here: &[usize],
        stored: &mut [Option<Stored>],
        now: Timestamp,
    ) -> Result<(Vec<Lead>, bool), AppError> {
        // Checked inside the write transaction: a retry finds the lead its first try stored.
        let keys: Vec<(SourceId, &str)> = here
            .iter()
            .filter_map(|&i| {
                let r = batch[i];
                r.draft.external_id.as_deref().map(|x| (r.source.id, x))
            })
            .collect();
        let known: HashMap<(SourceId, String), Lead> = tx
            .leads_by_external_ids(org, &keys)
            .await?
            .into_iter()
            .filter_map(|l| Some(((l.source_id, l.external_id.clone()?), l)))
            .collect();
        let setup = self.setup(tx, org).await?;
        let (status, expiry) = setup
            .default_status
            .as_ref()
            .ok_or_else(|| AppError::Internal(format!("organization {org} has no status")))?;
        // Which requests are new, each external id once; the repeats answer with the first.
        let mut fresh: Vec<usize> = Vec::new();
        let mut news: Vec<NewLead> = Vec::new();
        let mut first_of: HashMap<(SourceId, String), usize> = HashMap::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        for &i in here {
            let r = batch[i];
            let key = r.draft.external_id.clone().map(|x| (r.source.id, x));
            if let Some(k) = &key {
                if let Some(l) = known.get(k) {
                    stored[i] = Some(Stored::Known(Box::new(l.clone())));
                    continue;
                }
                if let Some(&first) = first_of.get(k) {
                    repeats.push((i, first));
                    continue;
                }
            }
            if let Some(k) = key {
                first_of.insert(k, i);
            }
            fresh.push(i);
            news.push(r.draft.clone().create(
                org,
                r.source.id,
                status.to_ref(),
                r.owner,
                r.team,
                r.actor,
                r.reason.clone(),
                now,
            ));
        }
        let created: Vec<(usize, Lead)> = fresh
            .into_iter()
            .zip(tx.insert_leads(&news).await?)
            .collect();
        for (i, lead) in &created {
            stored[*i] = Some(Stored::Created(lead.id));
        }
        for (i, first) in repeats {
            if let Some(Stored::Created(id)) = stored[first] {
                stored[i] = Some(Stored::Again(id));
            }
        }
        // Leads that arrive without an owner go through the routing rules at once.
        let unowned: Vec<(&Lead, &str)> = created
            .iter()
            .filter(|(_, l)| l.owner == Owner::Queue)
            .map(|(i, lead)| (lead, batch[*i].source.name.as_str()))
            .collect();
        let (mut routed, offered) = self.route_new_leads(tx, org, &setup, &unowned, now).await?;
        let leads: Vec<Lead> = created
            .into_iter()
            .map(|(_, l)| routed.remove(&l.id).unwrap_or(l))
            .collect();
        // Set on the leads as routed, so each timer is for the version it will find.
        let facts = TimerFacts {
            status_rule: expiry.as_ref(),
            ..TimerFacts::default()
        };
        let changes: Vec<(&Lead, TimerChanges)> = leads
            .iter()
            .map(|l| (l, timer_changes(None, l, EventKind::Created, &facts, now)))
            .collect();
        let expiring = write_timers(tx, org, &changes, now).await?;
        Ok((leads, offered || expiring))
    }
}

fn lead_of(leads: &HashMap<LeadId, Lead>, id: LeadId) -> Result<Lead, AppError> {
    leads
        .get(&id)
        .cloned()
        .ok_or_else(|| AppError::Internal(format!("lead {id} was stored but not kept")))
}
