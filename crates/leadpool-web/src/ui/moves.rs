//! The Move menu of the lead list: Claim and Reject for agents, Assign to… and Move to pool
//! for admins and ISAs. Each action takes the ticked leads one by one and answers per lead;
//! the answer rewrites those rows in place (a lost race names the winner) and marks the rows
//! that no longer belong to the list being looked at, which then leave it.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use leadpool_app::pool::{ClaimAnswer, ClaimResult, RejectInput};
use leadpool_app::wording::{Asker, claim_refusal};
use leadpool_app::{App, AppError, Member};
use leadpool_domain::{Lead, LeadId, Owner, Permission, PoolId, UserId};
use serde::Deserialize;

use super::directory::Directory;
use super::error::UiError;
use super::session::Posted;
use super::view::{Answer, Choice, Chrome, Outcome, Row, name_refused, summary};
use super::{Wants, render_page};
use crate::AppState;

/// The Move menu: which actions the viewer has, and the choices they need.
#[derive(Debug)]
pub struct MovePanel {
    /// Take pool leads (agents).
    pub claim: bool,
    /// Give own leads back to the pool with a reason (agents).
    pub reject: bool,
    /// Hand leads to an agent (admins and ISAs).
    pub assign: bool,
    /// Put leads into a pool (admins and ISAs).
    pub to_pool: bool,
    /// The organization's rejection reasons.
    pub reasons: Vec<Choice>,
    /// Agents leads may be assigned to.
    pub agents: Vec<Choice>,
    /// Pools leads may be moved to.
    pub pools: Vec<Choice>,
}

impl MovePanel {
    /// The menu for `m` over a list of pool leads (`in_pool`) or of leads in no pool: an
    /// agent claims only pool leads and gives back only leads outside a pool.
    pub async fn load(
        app: &App,
        m: &Member,
        dir: &Directory,
        in_pool: bool,
    ) -> Result<Self, AppError> {
        let agent = m.user.role.is_agent();
        let staff = m.may(Permission::Staff("assign leads"));
        let reasons = if agent && !in_pool {
            reject_reasons(app, m).await?
        } else {
            Vec::new()
        };
        Ok(Self {
            claim: agent && in_pool,
            reject: agent && !in_pool,
            assign: staff,
            to_pool: staff,
            reasons,
            agents: if staff {
                dir.agents()
                    .into_iter()
                    .map(|u| Choice::new(u.id, &u.name, false))
                    .collect()
            } else {
                Vec::new()
            },
            pools: if staff {
                dir.pools
                    .iter()
                    .map(|(id, name)| Choice::new(id, name, false))
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    /// Whether the viewer has any action at all.
    pub fn any(&self) -> bool {
        self.claim || self.reject || self.assign || self.to_pool
    }
}

/// The organization's reasons for giving a lead back, as choices.
pub async fn reject_reasons(app: &App, m: &Member) -> Result<Vec<Choice>, AppError> {
    Ok(app
        .reject_reasons(m)
        .await?
        .into_iter()
        .map(|r| Choice::new(r.id, r.label, false))
        .collect())
}

/// The Move form as posted: the action, the ticked leads and the action's own fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    action: String,
    id: Vec<String>,
    reason_id: String,
    note: String,
    agent: String,
    override_cap: String,
    pool_id: String,
    reason: String,
    /// The list being looked at (`yes`: the pool), to tell which rows leave it.
    pool: String,
}

/// The action chosen in the Move menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Claim,
    Reject,
    Assign,
    ToPool,
}

#[derive(Template)]
#[template(path = "moved.html", blocks = ["answer"])]
struct MovedPage {
    chrome: Chrome,
    summary: String,
    answers: Vec<Answer<Row>>,
    /// Whether rows show the source column (as the list they replace does).
    sources: bool,
    /// Answer htmx: rows as partial swaps into the list, not a table of their own.
    fragment: bool,
}

fn number<T>(what: &str, raw: &str, make: fn(i64) -> T) -> Result<T, UiError> {
    raw.trim()
        .parse()
        .map(make)
        .map_err(|_| UiError::bad_input(format!("Pick {what} from the list.")))
}

/// A text field's value, trimmed; empty is none.
pub fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Builds the answers of one action.
struct Answers<'a> {
    dir: &'a Directory,
    action: Action,
    /// The list being looked at shows pool leads.
    pool_view: bool,
    agent_name: String,
    /// Who is asking.
    me: UserId,
    list: Vec<Answer<Row>>,
}

impl Answers<'_> {
    fn done(&mut self, lead: &Lead, text: String) {
        let in_pool = matches!(lead.owner, Owner::Pool { .. });
        let outcome = Outcome {
            done: true,
            text,
            leaves: in_pool != self.pool_view,
            selectable: false,
        };
        let mut row = Row::new(lead, self.dir);
        row.outcome = Some(outcome.clone());
        self.list.push(Answer::done(lead.id.get(), row, outcome));
    }

    fn refused(&mut self, id: LeadId, text: String, selectable: bool) {
        self.list.push(Answer::refused(
            id.get(),
            Outcome {
                done: false,
                text,
                leaves: false,
                selectable,
            },
        ));
    }

    fn bulk(&mut self, answers: Vec<ClaimAnswer>) {
        for a in answers {
            match &a.result {
                ClaimResult::Claimed { lead } => {
                    self.done(lead, "Claimed — it is in your leads now".to_owned());
                }
                ClaimResult::Moved { lead } => {
                    let text = match self.action {
                        Action::Assign => format!("Assigned to {}", self.agent_name),
                        _ => format!("Moved to {}", self.dir.owner(lead.owner)),
                    };
                    self.done(lead, text);
                }
                ClaimResult::Unchanged { lead } => {
                    self.done(lead, "Already there; nothing changed".to_owned());
                }
                other => {
                    let asker = match self.action {
                        Action::Assign => Asker::Assigner(&self.agent_name),
                        Action::ToPool => Asker::Mover,
                        Action::Claim | Action::Reject => Asker::Claimer(self.me),
                    };
                    let (text, selectable) = claim_refusal(other, asker).unwrap_or_default();
                    self.refused(a.lead_id, text, selectable);
                }
            }
        }
    }
}

/// `POST /leads/move`: applies the chosen action to the ticked leads.
pub async fn apply(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<MoveForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let action = match form.action.as_str() {
        "claim" => Action::Claim,
        "reject" => Action::Reject,
        "assign" => Action::Assign,
        "pool" => Action::ToPool,
        other => {
            return Err(UiError::bad_input(format!(
                "“{other}” is not something the Move menu does."
            )));
        }
    };
    let ids = form
        .id
        .iter()
        .map(|raw| number("the leads", raw, LeadId::new))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err(UiError::bad_input(
            "Tick the leads first, then choose what to do with them.",
        ));
    }
    let dir = Directory::load(&s.app, m).await?;
    let mut answers = Answers {
        dir: &dir,
        action,
        pool_view: form.pool == "yes",
        agent_name: String::new(),
        me: m.user.id,
        list: Vec::with_capacity(ids.len()),
    };
    match action {
        Action::Claim => answers.bulk(s.app.claim(m, &ids).await?),
        Action::Assign => {
            let agent = number("an agent", &form.agent, UserId::new)?;
            answers.agent_name = dir.user(agent);
            let override_cap = form.override_cap == "yes";
            answers.bulk(
                s.app
                    .assign(m, &ids, agent, override_cap, optional(&form.reason), false)
                    .await?,
            );
        }
        Action::ToPool => {
            let pool = optional(&form.pool_id)
                .map(|p| number("a pool", &p, PoolId::new))
                .transpose()?;
            answers.bulk(
                s.app
                    .move_to_pool(m, &ids, pool, optional(&form.reason))
                    .await?,
            );
        }
        Action::Reject => {
            let input = RejectInput {
                reason_id: Some(number("a reason", &form.reason_id, |r| r)?),
                note: optional(&form.note),
            };
            // A rejection is one lead at a time in the app; a refusal of one lead does not
            // stop the others, but a bad reason is the same for all and stops them all.
            for id in ids {
                match s.app.reject(m, id, input.clone()).await {
                    Ok(lead) => answers.done(&lead, "Given back to the pool".to_owned()),
                    Err(e @ (AppError::Invalid(_) | AppError::Internal(_))) => {
                        return Err(e.into());
                    }
                    Err(e @ (AppError::Conflict { .. } | AppError::Busy)) => {
                        answers.refused(id, e.to_string(), true);
                    }
                    Err(AppError::NotFound { .. }) => {
                        answers.refused(id, "You can no longer see this lead".to_owned(), false);
                    }
                    Err(e) => answers.refused(id, e.to_string(), false),
                }
            }
        }
    }
    let mut list = answers.list;
    name_refused(&s.app, m, &mut list).await?;
    let done = list.iter().filter(|a| a.row.is_some()).count();
    let verb = match action {
        Action::Claim => "Claimed",
        Action::Reject => "Gave back",
        Action::Assign => "Assigned",
        Action::ToPool => "Moved",
    };
    let summary = summary(verb, done, list.len(), "");
    let page = MovedPage {
        chrome: Chrome::signed_in("Move", m, &signed.csrf),
        summary,
        answers: list,
        sources: !dir.sources.is_empty(),
        fragment: Wants::current().fragment,
    };
    render_page(&page, &page.as_answer())
}
