//! Working a lead from its page: claim it from a pool, log a call or another contact, change
//! its status, edit its details, give it back to the pool. Each form posts to its own path
//! and the answer redraws the lead in place (htmx swaps `#lead`) with a line saying what
//! happened; a refusal says why, with the status of the refusal. Every decision is the
//! app's: the page offers only the forms that can apply, and the app checks them again.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use leadpool_app::distribute::{CallInput, CallKept, CallOutcome};
use leadpool_app::pool::{ClaimResult, RejectInput};
use leadpool_app::wording::{Asker, call_kept, claim_refusal, offer_refusal};
use leadpool_app::{App, AppError, Member};
use leadpool_domain::contact::{ContactInput, ContactKind, ContactOutcome};
use leadpool_domain::lead::LeadPatchInput;
use leadpool_domain::status::StatusCategory;
use leadpool_domain::{Lead, LeadId, Owner, Permission, StatusId};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::UiError;
use super::flash::{Flash, Said};
use super::leads::lead_page;
use super::moves::{optional, reject_reasons};
use super::offers::NoFields;
use super::render_status;
use super::routing::lead_id;
use super::session::{Posted, Signed};
use super::view::{Choice, Chrome};
use crate::AppState;

/// The contacts an agent logs, with the words the form shows.
const CONTACTS: [(ContactKind, &str); 4] = [
    (ContactKind::Call, "Call"),
    (ContactKind::Email, "Email"),
    (ContactKind::Text, "Text"),
    (ContactKind::Meeting, "Meeting"),
];

/// A group of the status select: a category and its statuses.
#[derive(Debug)]
pub struct StatusGroup {
    /// The category, in words.
    pub label: &'static str,
    /// Its statuses, the lead's own selected.
    pub statuses: Vec<Choice>,
}

/// The lead's details as the edit form fills them in.
#[derive(Debug, Default)]
pub struct EditView {
    /// The name.
    pub name: String,
    /// Emails, comma-separated.
    pub emails: String,
    /// Phones, comma-separated.
    pub phones: String,
    /// Tags, comma-separated.
    pub tags: String,
    /// Custom fields as text.
    pub fields: Vec<(String, String)>,
}

/// What the viewer may do to the lead from its page, and the choices the forms need.
#[derive(Debug)]
pub struct WorkPanel {
    /// The lead's id.
    pub lead_id: i64,
    /// Claim it from its pool (an agent, the lead in a pool).
    pub claim: bool,
    /// Logging a call takes the pool lead (the organization's ownership by call).
    pub call_takes: bool,
    /// Change its status, log contacts, edit its details: its agent, or staff who see it.
    pub work: bool,
    /// Give it back to the pool (the agent holding it).
    pub give_back: bool,
    /// The organization's statuses by category.
    pub statuses: Vec<StatusGroup>,
    /// The kinds of contact, as (value, label).
    pub contacts: Vec<(&'static str, &'static str)>,
    /// How a contact went, as (value, label); all but `connected` fit calls only.
    pub outcomes: Vec<(&'static str, &'static str)>,
    /// Reasons for giving it back.
    pub reasons: Vec<Choice>,
    /// The edit form's values.
    pub edit: EditView,
}

impl WorkPanel {
    /// The panel of `lead` for `m`.
    pub async fn load(app: &App, m: &Member, lead: &Lead) -> Result<Self, AppError> {
        let agent = m.user.role.is_agent() && m.user.active;
        let in_pool = matches!(lead.owner, Owner::Pool { .. });
        let mine = lead.owner == (Owner::Agent { user_id: m.user.id });
        let work = m.may(Permission::WorkLead {
            what: "work this lead",
            org: lead.org,
            team: lead.team_id,
            owner: lead.owner,
        });
        let claim = agent && in_pool;
        let call_takes = claim && app.pool_settings(m).await?.calls.outbound;
        let give_back = agent && mine;
        let statuses = if work {
            let all = app.list_statuses(m).await?;
            StatusCategory::ALL
                .into_iter()
                .map(|c| StatusGroup {
                    label: category_label(c),
                    statuses: all
                        .iter()
                        .filter(|s| s.category == c)
                        .map(|s| Choice::new(s.id, &s.name, s.id == lead.status.id))
                        .collect(),
                })
                .filter(|g| !g.statuses.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        let reasons = if give_back {
            reject_reasons(app, m).await?
        } else {
            Vec::new()
        };
        Ok(Self {
            lead_id: lead.id.get(),
            claim,
            call_takes,
            work,
            give_back,
            statuses,
            contacts: CONTACTS.iter().map(|(k, l)| (k.as_str(), *l)).collect(),
            outcomes: ContactOutcome::ALL
                .into_iter()
                .map(|o| (o.as_str(), outcome_label(o)))
                .collect(),
            reasons,
            edit: if work {
                EditView::of(lead)
            } else {
                EditView::default()
            },
        })
    }
}

/// How a contact went, in the form's words.
fn outcome_label(o: ContactOutcome) -> &'static str {
    match o {
        ContactOutcome::Connected => "Connected",
        ContactOutcome::LeftVoicemail => "Left a voicemail",
        ContactOutcome::NoAnswer => "No answer",
        ContactOutcome::Busy => "Busy",
        ContactOutcome::WrongNumber => "Wrong number",
    }
}

/// A status category's name for people.
pub fn category_label(c: StatusCategory) -> &'static str {
    match c {
        StatusCategory::New => "New",
        StatusCategory::Contacted => "Contacted",
        StatusCategory::Working => "Working",
        StatusCategory::Closed => "Closed",
    }
}

/// A custom field's value as the edit form shows it.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl EditView {
    fn of(lead: &Lead) -> Self {
        let join = |items: Vec<&str>| items.join(", ");
        Self {
            name: lead
                .name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            emails: join(lead.emails.iter().map(|e| e.as_str()).collect()),
            phones: join(lead.phones.iter().map(|p| p.as_str()).collect()),
            tags: join(lead.tags.iter().map(|t| t.as_str()).collect()),
            fields: lead
                .fields
                .as_map()
                .iter()
                .map(|(k, v)| (k.clone(), field_text(v)))
                .collect(),
        }
    }
}

/// The lead a form was posted about, once it has been told what happened to it.
#[derive(Template)]
#[template(path = "lead_gone.html", blocks = ["lead"])]
struct GonePage {
    chrome: Chrome,
    flash: Flash,
}

/// Redraws the lead with what the action did; a lead the viewer can no longer see (lost to
/// another agent, given back to a pool they do not see) is said so, with the way back.
pub(crate) async fn answer(
    s: &AppState,
    signed: &Signed,
    id: LeadId,
    said: Said,
) -> Result<Response, UiError> {
    match s.app.get_lead(&signed.member, id).await {
        Ok(lead) => {
            let page = lead_page(s, signed, &lead, Some(said.flash)).await?;
            render_status(said.status, &page, &page.as_lead())
        }
        Err(AppError::NotFound { .. }) => {
            let page = GonePage {
                chrome: Chrome::signed_in("Lead", &signed.member, &signed.csrf),
                flash: said.flash,
            };
            render_status(said.status, &page, &page.as_lead())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /leads/{id}/claim`: an agent takes the pool lead whose page they are on.
pub async fn claim(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let m = &signed.member;
    let said = match s.app.claim(m, &[id]).await {
        Ok(answers) => match answers.into_iter().next().map(|a| a.result) {
            Some(ClaimResult::Claimed { .. }) => Said::done("Claimed: the lead is yours now."),
            Some(other) => {
                let (text, _) = claim_refusal(&other, Asker::Claimer(m.user.id))
                    .unwrap_or_else(|| ("Nothing changed".to_owned(), false));
                Said::lost(text)
            }
            None => return Err(UiError::internal("a claim of one lead answered nothing")),
        },
        Err(e) => Said::of(Err(e))?,
    };
    answer(&s, &signed, id, said).await
}

/// The contact form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    kind: String,
    outcome: String,
    note: String,
}

/// `POST /leads/{id}/contact`: logs a call, email, text or meeting. An agent's call goes
/// through ownership by call, so a call on a pool lead takes it when the organization says
/// so, and a call on a lead someone else won says who.
pub async fn contact(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<ContactForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let m = &signed.member;
    let Some((kind, label)) = CONTACTS.into_iter().find(|(k, _)| k.as_str() == form.kind) else {
        return Err(UiError::bad_input("Pick call, email, text or meeting."));
    };
    let outcome = match form.outcome.as_str() {
        "" => None,
        o => Some(
            ContactOutcome::ALL
                .into_iter()
                .find(|c| c.as_str() == o)
                .ok_or_else(|| UiError::bad_input("Pick how the contact went from the list."))?,
        ),
    };
    let note = optional(&form.note);
    let said = if kind == ContactKind::Call && m.user.role.is_agent() {
        let input = CallInput {
            lead_id: Some(id),
            note,
            outcome,
            ..CallInput::default()
        };
        match s.app.record_call(m, input).await {
            Ok(outcome) => said_of_call(outcome, m),
            Err(e) => Said::of(Err(e))?,
        }
    } else {
        Said::of(
            s.app
                .log_contact(
                    m,
                    id,
                    ContactInput {
                        kind,
                        outcome,
                        note,
                    },
                )
                .await
                .map(|_| format!("{label} logged.")),
        )?
    };
    answer(&s, &signed, id, said).await
}

/// What an agent's own call did, in words.
fn said_of_call(outcome: CallOutcome, m: &Member) -> Said {
    match outcome {
        CallOutcome::Claimed { .. } => Said::done("Call logged: the lead is yours now."),
        CallOutcome::Logged {
            kept: CallKept::AlreadyTheirs,
            ..
        } => Said::done("Call logged."),
        CallOutcome::Logged { kept, .. } => Said::done(format!(
            "Call logged. The lead's owner did not change: {}.",
            call_kept(&kept, Asker::Claimer(m.user.id))
        )),
        CallOutcome::NotTaken { kept } => Said::lost(format!(
            "Your call did not take this lead: {}.",
            call_kept(&kept, Asker::Claimer(m.user.id))
        )),
        CallOutcome::Refused { refusal, by_name } => {
            Said::lost(offer_refusal(refusal, by_name.as_deref()))
        }
    }
}

/// The note form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

/// `POST /leads/{id}/note`: writes a note on the lead's timeline; unlike a contact it ends
/// no reserve time.
pub async fn note(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<NoteForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let said = Said::of(
        s.app
            .log_note(&signed.member, id, &form.text)
            .await
            .map(|_| "Note added.".to_owned()),
    )?;
    answer(&s, &signed, id, said).await
}

/// The status form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    reason: String,
}

/// `POST /leads/{id}/status`: moves the lead to another of the organization's statuses.
pub async fn status(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<StatusForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let status = form
        .status
        .trim()
        .parse()
        .map(StatusId::new)
        .map_err(|_| UiError::bad_input("Pick a status from the list."))?;
    let before = s.app.get_lead(&signed.member, id).await?.status.id;
    let said = Said::of(
        s.app
            .update_lead(
                &signed.member,
                id,
                LeadPatchInput::default(),
                Some(status),
                optional(&form.reason),
            )
            .await
            .map(|lead| {
                if lead.status.id == before {
                    format!("The status was already {}.", lead.status.name)
                } else {
                    format!("Status changed to {}.", lead.status.name)
                }
            }),
    )?;
    answer(&s, &signed, id, said).await
}

/// The edit form as posted: the details, each existing custom field by name, and one new
/// field.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    name: String,
    emails: String,
    phones: String,
    tags: String,
    field_name: Vec<String>,
    field_value: Vec<String>,
    new_field_name: String,
    new_field_value: String,
}

/// A comma-separated list, items trimmed, empty ones dropped.
fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A field's new value as typed: cleared removes it; a number or a yes/no stays one when
/// it was one before (a zip code typed into a new field stays text).
fn typed(before: Option<&Value>, text: &str) -> Value {
    let text = text.trim();
    if text.is_empty() {
        return Value::Null;
    }
    match before {
        Some(Value::Number(_)) => serde_json::from_str::<serde_json::Number>(text)
            .map_or_else(|_| Value::String(text.to_owned()), Value::Number),
        Some(Value::Bool(_)) if matches!(text, "true" | "false") => Value::Bool(text == "true"),
        _ => Value::String(text.to_owned()),
    }
}

impl EditForm {
    /// The changes this form makes to `lead`: only what differs, so the timeline shows
    /// what the person changed.
    fn patch(&self, lead: &Lead) -> Result<LeadPatchInput, UiError> {
        let now = EditView::of(lead);
        let changed = |new: &str, old: &str| (list(new) != list(old)).then(|| list(new));
        let mut fields = Map::new();
        if self.field_name.len() != self.field_value.len() {
            return Err(UiError::bad_input(
                "The custom fields could not be read; reload the page and try again.",
            ));
        }
        for (name, text) in self.field_name.iter().zip(&self.field_value) {
            let before = lead.fields.as_map().get(name);
            let value = typed(before, text);
            if before.is_none_or(|b| *b != value) {
                fields.insert(name.clone(), value);
            }
        }
        if let Some(name) = optional(&self.new_field_name) {
            if optional(&self.new_field_value).is_none() {
                return Err(UiError::bad_input(format!(
                    "Give the new field “{name}” a value."
                )));
            }
            fields.insert(name, typed(None, &self.new_field_value));
        }
        Ok(LeadPatchInput {
            name: (self.name.trim() != now.name).then(|| self.name.trim().to_owned()),
            emails: changed(&self.emails, &now.emails),
            phones: changed(&self.phones, &now.phones),
            tags: changed(&self.tags, &now.tags),
            fields: (!fields.is_empty()).then_some(fields),
        })
    }
}

/// `POST /leads/{id}/edit`: changes the lead's name, emails, phones, tags and custom fields.
pub async fn edit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<EditForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let m = &signed.member;
    let lead = s.app.get_lead(m, id).await?;
    let patch = form.patch(&lead)?;
    let said = if patch == LeadPatchInput::default() {
        Said::done("Nothing to save: the details are as they were.")
    } else {
        Said::of(
            s.app
                .update_lead(m, id, patch, None, None)
                .await
                .map(|_| "Details saved.".to_owned()),
        )?
    };
    answer(&s, &signed, id, said).await
}

/// The give-back form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GiveBackForm {
    reason_id: String,
    note: String,
}

/// `POST /leads/{id}/give-back`: the agent holding the lead rejects it back to the pool.
pub async fn give_back(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<GiveBackForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let reason_id = form
        .reason_id
        .trim()
        .parse()
        .map_err(|_| UiError::bad_input("Pick a reason from the list."))?;
    let input = RejectInput {
        reason_id: Some(reason_id),
        note: optional(&form.note),
    };
    let said = Said::of(
        s.app
            .reject(&signed.member, id, input)
            .await
            .map(|_| "Given back to the pool.".to_owned()),
    )?;
    answer(&s, &signed, id, said).await
}
