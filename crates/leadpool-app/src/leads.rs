//! Leads: intake from sources, reading, editing and listing within the actor's visibility.

use leadpool_domain::Permission;
use leadpool_domain::lead::{LeadDraft, LeadInput, LeadPatch, LeadPatchInput};
use leadpool_domain::timer::TimerFacts;
use leadpool_domain::validate::Tag;
use leadpool_domain::{Actor, Lead, LeadId, Owner, Role, SourceId, StatusId, UserId};
use leadpool_store::leads::{After, LeadFilter, LeadSort, TimelineRecord};
use leadpool_store::sources::Source;
use leadpool_store::{StoreError, Tx};

use crate::intake::NewLeadRequest;
use crate::secret;
use crate::transitions::Step;
use crate::{App, AppError, Member};

/// Most leads one page may hold.
pub const MAX_PAGE: u32 = 500;
/// Leads per page when the client does not say.
pub const DEFAULT_PAGE: u32 = 50;

/// What came of an intake.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The lead.
    pub lead: Lead,
    /// `false` when the source had already sent this external id (nothing was written).
    pub created: bool,
}

/// A lead list request.
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    /// Which leads (tags are checked and normalized; an agent's list defaults to their own).
    pub filter: LeadFilter,
    /// Order.
    pub sort: LeadSort,
    /// Where the previous page ended (`next_cursor` of that page).
    pub cursor: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

/// A page of leads.
#[derive(Debug, Clone)]
pub struct LeadPage {
    /// The leads.
    pub leads: Vec<Lead>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The stable wire name of a sort order.
pub fn sort_name(s: LeadSort) -> &'static str {
    match s {
        LeadSort::CreatedDesc => "-created_at",
        LeadSort::CreatedAsc => "created_at",
        LeadSort::UpdatedDesc => "-updated_at",
        LeadSort::NameAsc => "name",
    }
}

/// Parses a sort order's wire name.
pub fn parse_sort(s: &str) -> Result<LeadSort, AppError> {
    [
        LeadSort::CreatedDesc,
        LeadSort::CreatedAsc,
        LeadSort::UpdatedDesc,
        LeadSort::NameAsc,
    ]
    .into_iter()
    .find(|x| sort_name(*x) == s)
    .ok_or_else(|| {
        AppError::invalid(
            "sort",
            format!("`{s}` is not a sort order; use -created_at, created_at, -updated_at or name"),
        )
    })
}

fn encode_cursor(sort: LeadSort, after: &After) -> String {
    let v = match after {
        After::Int(k, id) => serde_json::json!([sort_name(sort), k, id]),
        After::Text(k, id) => serde_json::json!([sort_name(sort), k, id]),
    };
    v.to_string().bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(sort: LeadSort, cursor: &str) -> Result<After, AppError> {
    let bad = || {
        AppError::invalid(
            "cursor",
            "not a cursor from this list; pass the next_cursor of the previous page unchanged",
        )
    };
    if !cursor.len().is_multiple_of(2) || cursor.len() > 2048 {
        return Err(bad());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v.get(0).and_then(|s| s.as_str()) != Some(sort_name(sort)) {
        return Err(AppError::invalid(
            "cursor",
            "this cursor belongs to another sort order; start again without a cursor",
        ));
    }
    let id = v
        .get(2)
        .and_then(serde_json::Value::as_i64)
        .map(LeadId::new)
        .ok_or_else(bad)?;
    match (sort, v.get(1)) {
        (LeadSort::NameAsc, Some(serde_json::Value::String(s))) => Ok(After::Text(s.clone(), id)),
        (LeadSort::NameAsc, _) => Err(bad()),
        (_, Some(k)) => k.as_i64().map(|k| After::Int(k, id)).ok_or_else(bad),
        (_, None) => Err(bad()),
    }
}

impl App {
    /// Takes a lead from a source presenting its intake key. Idempotent on the external id:
    /// a retry returns the lead already stored and writes nothing.
    #[tracing::instrument(name = "intake", skip_all, err(level = "debug"))]
    pub async fn intake(&self, key: &str, input: LeadInput) -> Result<Intake, AppError> {
        let source = self.source_for_key(key).await?;
        let draft = LeadDraft::parse(input)?;
        let external_id = draft.external_id.clone();
        let request = NewLeadRequest {
            actor: Actor::Source {
                source_id: source.id,
            },
            team: source.team_id,
            source: source.clone(),
            draft,
            owner: Owner::Queue,
            reason: None,
        };
        match self.inner.new_leads.submit(self, request).await {
            Err(AppError::Conflict { .. }) => {
                // Another instance stored it first: answer with that lead.
                let lead = self
                    .existing_lead(&source, external_id.as_deref())
                    .await?
                    .ok_or(AppError::Busy)?;
                Ok(Intake {
                    lead,
                    created: false,
                })
            }
            other => other.map(|(lead, created)| Intake { lead, created }),
        }
    }

    async fn source_for_key(&self, key: &str) -> Result<Source, AppError> {
        let mut tx = self.store().read().await?;
        let source = match tx.source_by_key(&secret::digest(key)).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => {
                return Err(AppError::Unauthenticated("the intake key is not valid"));
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        if !source.active {
            return Err(AppError::Forbidden(format!(
                "the source `{}` is turned off",
                source.name
            )));
        }
        Ok(source)
    }

    async fn existing_lead(
        &self,
        source: &Source,
        external_id: Option<&str>,
    ) -> Result<Option<Lead>, AppError> {
        let Some(x) = external_id else {
            return Ok(None);
        };
        let mut tx = self.store().read().await?;
        let lead = tx.lead_by_external_id(source.org, source.id, x).await?;
        tx.commit().await?;
        Ok(lead)
    }

    /// Adds a lead by hand. An agent's lead is theirs; an admin's or ISA's goes to the
    /// agent named, or to the manual assignment queue.
    #[tracing::instrument(name = "create_lead", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_lead(
        &self,
        m: &Member,
        source_id: SourceId,
        input: LeadInput,
        assignee: Option<UserId>,
    ) -> Result<Lead, AppError> {
        let draft = LeadDraft::parse(input)?;
        let mut tx = self.store().read().await?;
        let source = tx
            .source(m.viewer.org, source_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    "source_id",
                    format!("no source {source_id} in this organization"),
                ),
                e => e.into(),
            })?;
        let (owner, team) = match (m.viewer.role, assignee) {
            (Role::Agent | Role::AllLeadsAgent, None) => (
                Owner::Agent { user_id: m.user.id },
                m.user.teams.first().copied(),
            ),
            (Role::Agent | Role::AllLeadsAgent, Some(_)) => {
                return Err(AppError::Forbidden(
                    "agents may not assign leads to others".into(),
                ));
            }
            (_, None) => (Owner::Queue, source.team_id),
            (_, Some(u)) => {
                let agent = tx.user(m.viewer.org, u).await.map_err(|_| {
                    AppError::invalid("assignee_id", format!("no user {u} in this organization"))
                })?;
                if !agent.active || !agent.role.is_agent() {
                    return Err(AppError::invalid(
                        "assignee_id",
                        format!("{} is not an active agent", agent.name),
                    ));
                }
                let team = agent.teams.first().copied();
                if !m.viewer.scope.covers(team) {
                    return Err(AppError::Forbidden(format!(
                        "{} is outside your scope",
                        agent.name
                    )));
                }
                (Owner::Agent { user_id: agent.id }, team)
            }
        };
        tx.commit().await?;
        let external_id = draft.external_id.clone();
        let request = NewLeadRequest {
            source: source.clone(),
            draft,
            owner,
            team,
            actor: Actor::User { user_id: m.user.id },
            reason: Some("created by hand".into()),
        };
        let (lead, created) = self.inner.new_leads.submit(self, request).await?;
        if !created {
            return Err(AppError::Conflict {
                code: "already_exists",
                message: format!(
                    "source `{}` already has a lead with external_id `{}`",
                    source.name,
                    external_id.unwrap_or_default()
                ),
            });
        }
        Ok(lead)
    }

    /// A lead the actor may see.
    #[tracing::instrument(name = "get_lead", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_lead(&self, m: &Member, id: LeadId) -> Result<Lead, AppError> {
        let mut tx = self.store().read().await?;
        let lead = tx
            .lead(m.viewer.org, id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        tx.commit().await?;
        Ok(Self::shown_to(m, lead))
    }

    /// Changes a lead's contact details, tags, fields or status, with its timeline entry.
    #[tracing::instrument(name = "update_lead", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_lead(
        &self,
        m: &Member,
        id: LeadId,
        input: LeadPatchInput,
        status: Option<StatusId>,
        reason: Option<String>,
    ) -> Result<Lead, AppError> {
        let mut patch = LeadPatch::parse(input)?;
        if let Some(r) = &reason
            && r.chars().count() > 1000
        {
            return Err(AppError::invalid("reason", "at most 1000 characters"));
        }
        // A concurrent edit between our read and write bumps the version; read again and
        // re-apply rather than overwrite it.
        for _ in 0..3 {
            let mut tx = self.store().write().await?;
            let lead = lead_to_work(&mut tx, m, id, "change this lead").await?;
            if let Some(s) = status {
                let st = tx.status(m.viewer.org, s).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::invalid(
                        "status_id",
                        format!("no status {s} in this organization"),
                    ),
                    e => e.into(),
                })?;
                patch.status = Some(st.to_ref());
            }
            let Some(t) = lead.apply(
                &patch,
                Actor::User { user_id: m.user.id },
                reason.clone(),
                self.now(),
            )?
            else {
                return Ok(lead);
            };
            // The new status's expiry rule; a status that stays keeps its timer.
            let rule = match t.lead.status.id {
                s if s == lead.status.id => None,
                s => tx.status_expiry(m.viewer.org, s).await?,
            };
            let step = Step {
                facts: TimerFacts {
                    status_rule: rule.as_ref(),
                    ..TimerFacts::default()
                },
                ..Step::plain(&lead, &t)
            };
            if let Some(timer_set) = self
                .write_steps(&mut tx, m.viewer.org, &[step], t.entry.at)
                .await?
            {
                tx.commit().await?;
                self.timers_changed(timer_set);
                return Ok(t.lead);
            }
        }
        Err(AppError::edit_conflict())
    }

    /// A page of the leads the actor may see.
    #[tracing::instrument(name = "list_leads", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_leads(&self, m: &Member, q: &LeadQuery) -> Result<LeadPage, AppError> {
        let limit = crate::page::page_limit(q.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let tags = q
            .filter
            .tags
            .iter()
            .map(|t| Tag::parse(t).map(|t| t.as_str().to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::invalid("tags", e))?;
        if q.filter
            .search
            .as_ref()
            .is_some_and(|s| s.chars().count() > 200)
        {
            return Err(AppError::invalid("q", "at most 200 characters"));
        }
        let after = q
            .cursor
            .as_deref()
            .map(|c| decode_cursor(q.sort, c))
            .transpose()?;
        // An agent's list is their own leads unless they ask for the pool ("Lead pool: yes").
        let in_pool = match (m.viewer.role, q.filter.in_pool) {
            (Role::Agent, None) => Some(false),
            (_, p) => p,
        };
        let filter = LeadFilter {
            in_pool,
            tags,
            ..q.filter.clone()
        };
        let mut tx = self.store().read().await?;
        let leads = tx
            .leads(
                m.viewer.org,
                &m.viewer.lead_visibility(),
                &filter,
                q.sort,
                after.as_ref(),
                limit + 1,
            )
            .await?;
        tx.commit().await?;
        let more = leads.len() > limit as usize;
        let mut leads: Vec<Lead> = leads.into_iter().map(|l| Self::shown_to(m, l)).collect();
        leads.truncate(limit as usize);
        let next_cursor = if more {
            leads
                .last()
                .map(|l| encode_cursor(q.sort, &After::from_lead(l, q.sort)))
        } else {
            None
        };
        Ok(LeadPage { leads, next_cursor })
    }

    /// The timeline of a lead the actor may see, oldest first.
    #[tracing::instrument(name = "lead_timeline", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn lead_timeline(
        &self,
        m: &Member,
        id: LeadId,
    ) -> Result<Vec<TimelineRecord>, AppError> {
        let mut tx = self.store().read().await?;
        tx.lead(m.viewer.org, id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        let t = tx.timeline(m.viewer.org, id).await?;
        tx.commit().await?;
        Ok(t)
    }
}

/// Lead `id` as `m` may work it, read in `tx`: missing when they may not see it, refused
/// (naming `what` they tried) when they may see but not work it.
pub(crate) async fn lead_to_work(
    tx: &mut Tx,
    m: &Member,
    id: LeadId,
    what: &'static str,
) -> Result<Lead, AppError> {
    let lead = tx
        .lead(m.viewer.org, id, &m.viewer.lead_visibility())
        .await
        .map_err(AppError::from_store("lead"))?;
    m.require(Permission::WorkLead {
        what,
        org: lead.org,
        team: lead.team_id,
        owner: lead.owner,
    })?;
    Ok(lead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_another_sort() {
        let after = After::Text("Ana".into(), LeadId::new(9));
        let c = encode_cursor(LeadSort::NameAsc, &after);
        assert_eq!(decode_cursor(LeadSort::NameAsc, &c).ok(), Some(after));
        assert_eq!(
            decode_cursor(LeadSort::CreatedDesc, &c)
                .err()
                .map(|e| e.code()),
            Some("invalid_input")
        );
        assert!(decode_cursor(LeadSort::NameAsc, "zz").is_err());
    }
}
