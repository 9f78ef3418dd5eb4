//! The lead list (checkboxes on the left, the filter panel on the right, the Move menu above)
//! and a lead's detail page with its timeline. The list's filters, "Load more" and Move
//! actions answer htmx with fragments, so the page never reloads whole.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::Member;
use leadpool_app::models::TimelineRecord;
use leadpool_domain::{Lead, Owner, Role, SourceId, TeamId, Timestamp, UserId};
use serde_json::Value;

use super::directory::Directory;
use super::error::UiError;
use super::filters::{FilterView, Filters, More};
use super::flash::Flash;
use super::moves::MovePanel;
use super::session::Signed;
use super::view::{Chrome, Row, elapsed};
use super::work::WorkPanel;
use super::{render, render_page};
use crate::AppState;

#[derive(Template)]
#[template(path = "leads.html", blocks = ["results"])]
struct LeadsPage {
    chrome: Chrome,
    heading: &'static str,
    filters: FilterView,
    actions: MovePanel,
    rows: Vec<Row>,
    /// Where the next rows are, when there are more.
    more: Option<More>,
    /// Whether the viewer may see sources (the column shows only then).
    sources: bool,
}

#[derive(Template)]
#[template(path = "rows.html")]
struct RowsFragment {
    rows: Vec<Row>,
    more: Option<More>,
    sources: bool,
}

/// One page of the list in the filters of `query`, with the names its rows need.
struct Listed {
    filters: Filters,
    dir: Directory,
    rows: RowsFragment,
}

async fn listed(s: &AppState, m: &Member, query: Option<&str>) -> Result<Listed, UiError> {
    let filters = Filters::from_query(query)?;
    let page = s.app.list_leads(m, &filters.query()?).await?;
    let dir = Directory::load(&s.app, m).await?;
    let rows = RowsFragment {
        rows: page.leads.iter().map(|l| Row::new(l, &dir)).collect(),
        more: page.next_cursor.map(|c| filters.more(&c)),
        sources: !dir.sources.is_empty(),
    };
    Ok(Listed { filters, dir, rows })
}

/// `GET /leads`: the list, filtered by the query string. An htmx request (the filter panel
/// changing) gets the results fragment only.
pub async fn list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let Listed { filters, dir, rows } = listed(&s, m, query.as_deref()).await?;
    // An all-leads agent's list holds everyone's leads, not only theirs.
    let heading = match (filters.in_pool(), m.user.role) {
        (true, _) => "Lead pool",
        (false, Role::Agent) => "My leads",
        (false, _) => "Leads",
    };
    let view = LeadsPage {
        chrome: Chrome::signed_in(heading, m, &signed.csrf),
        heading,
        filters: filters.view(&dir),
        actions: MovePanel::load(&s.app, m, &dir, filters.in_pool()).await?,
        rows: rows.rows,
        more: rows.more,
        sources: rows.sources,
    };
    render_page(&view, &view.as_results())
}

/// `GET /leads/rows`: the next rows of a list ("Load more"), with the button for the ones
/// after.
pub async fn more_rows(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    let listed = listed(&s, &signed.member, query.as_deref()).await?;
    render(StatusCode::OK, &listed.rows)
}

/// A lead as its detail page shows it.
#[derive(Debug)]
struct LeadView {
    name: String,
    emails: Vec<String>,
    phones: Vec<String>,
    status: String,
    owner: String,
    in_pool: bool,
    source: String,
    tags: Vec<String>,
    fields: Vec<(String, String)>,
    created: String,
    updated: String,
}

/// One timeline entry in words.
#[derive(Debug)]
struct EntryView {
    at: String,
    actor: String,
    what: String,
    reason: Option<String>,
    changes: Vec<String>,
}

/// A lead's page: its details, what the viewer may do to it, why it is where it is, and
/// its timeline.
#[derive(Template)]
#[template(path = "lead.html", blocks = ["lead"])]
pub struct LeadPage {
    chrome: Chrome,
    flash: Option<Flash>,
    lead: LeadView,
    work: WorkPanel,
    tasks: super::tasks::TaskPanel,
    routing: super::routing::RoutingPanel,
    timeline: Vec<EntryView>,
}

/// A value on a timeline, in words: owners by name, lists joined, nothing as a dash.
fn show(v: &Value, dir: &Directory) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| show(i, dir))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => serde_json::from_value::<Owner>(v.clone())
            .map_or_else(|_| v.to_string(), |o| dir.owner(o)),
        other => other.to_string(),
    }
}

/// A timeline fact's name, in words.
fn field_label(key: &str) -> String {
    match key {
        "source_id" => "source".to_owned(),
        "team_id" => "team".to_owned(),
        "assignee_id" => "task for".to_owned(),
        "first_contact_after_ms" => "first contact after".to_owned(),
        other => other.replace('_', " "),
    }
}

/// A timeline fact's value, in words: ids as the names the viewer may see.
fn fact(key: &str, v: &Value, dir: &Directory) -> String {
    match (key, v) {
        ("source_id", Value::Number(n)) => n
            .as_i64()
            .and_then(|id| dir.source(SourceId::new(id)))
            .map_or_else(|| "a lead source".to_owned(), str::to_owned),
        ("team_id", Value::Number(n)) => n
            .as_i64()
            .map_or_else(|| show(v, dir), |id| dir.team(TeamId::new(id))),
        ("assignee_id" | "offered_to", Value::Number(n)) => n
            .as_i64()
            .map_or_else(|| show(v, dir), |id| dir.user(UserId::new(id))),
        ("offered_to", Value::Array(items)) => items
            .iter()
            .map(|i| fact(key, i, dir))
            .collect::<Vec<_>>()
            .join(", "),
        ("first_contact_after_ms", Value::Number(n)) => {
            n.as_i64().map_or_else(|| show(v, dir), elapsed)
        }
        ("contact" | "outcome", Value::String(s)) => s.replace('_', " "),
        ("task", Value::Object(t)) => {
            let due = t
                .get("due_at")
                .and_then(|d| serde_json::from_value::<Timestamp>(d.clone()).ok())
                .map_or_else(String::new, |d| format!(", due {}", dir.zone.when(d)));
            let to = t.get("assignee_id").map_or_else(String::new, |a| {
                format!(", for {}", fact("assignee_id", a, dir))
            });
            let title = t.get("title").and_then(Value::as_str).unwrap_or_default();
            format!("{title}{due}{to}")
        }
        _ => show(v, dir),
    }
}

/// Each change of an entry as `field: from → to` (or `field: value` for initial values).
fn changes(v: &Value, dir: &Directory) -> Vec<String> {
    v.as_object()
        .map(|fields| {
            fields
                .iter()
                // A routing trace is the "Why here?" panel's to explain, not a change; an
                // absent outcome says nothing.
                .filter(|(k, v)| k.as_str() != "trace" && !(k.as_str() == "outcome" && v.is_null()))
                .map(|(k, v)| {
                    let field = field_label(k);
                    match (v.get("from"), v.get("to")) {
                        (Some(from), Some(to)) => {
                            format!("{field}: {} → {}", fact(k, from, dir), fact(k, to, dir))
                        }
                        _ => format!("{field}: {}", fact(k, v, dir)),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn entry(r: &TimelineRecord, dir: &Directory) -> EntryView {
    let kind = r.entry.kind.as_str().replace('_', " ");
    let mut what = kind.clone();
    if let Some(first) = what.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    EntryView {
        at: dir.zone.when(r.entry.at),
        actor: dir.actor(r.entry.actor),
        what,
        reason: r.entry.reason.clone(),
        changes: changes(&r.entry.changes, dir),
    }
}

/// The page of `lead` for the signed-in viewer, saying what the last form did.
pub async fn lead_page(
    s: &AppState,
    signed: &Signed,
    lead: &Lead,
    flash: Option<Flash>,
) -> Result<LeadPage, UiError> {
    let m = &signed.member;
    let mut timeline = s.app.lead_timeline(m, lead.id).await?;
    timeline.reverse();
    let dir = Directory::load(&s.app, m).await?;
    let routing = super::routing::RoutingPanel::load(&s.app, m, lead).await?;
    let work = WorkPanel::load(&s.app, m, lead).await?;
    let tasks = super::tasks::TaskPanel::load(&s.app, m, lead, &dir, work.work).await?;
    let row = Row::new(lead, &dir);
    Ok(LeadPage {
        routing,
        work,
        tasks,
        flash,
        chrome: Chrome::signed_in(row.name.clone(), m, &signed.csrf),
        lead: LeadView {
            name: row.name,
            emails: lead.emails.iter().map(|e| e.as_str().to_owned()).collect(),
            phones: lead.phones.iter().map(|p| p.as_str().to_owned()).collect(),
            status: row.status,
            owner: row.owner,
            in_pool: row.in_pool,
            source: row.source,
            tags: row.tags,
            fields: lead
                .fields
                .as_map()
                .iter()
                .map(|(k, v)| (k.clone(), show(v, &dir)))
                .collect(),
            created: row.created,
            updated: dir.zone.when(lead.updated_at),
        },
        timeline: timeline.iter().map(|r| entry(r, &dir)).collect(),
    })
}

/// `GET /leads/{id}`: a lead, what the viewer may do to it, and its timeline, newest first.
pub async fn detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = super::routing::lead_id(&id);
    let lead = s.app.get_lead(&signed.member, id).await?;
    let page = lead_page(&s, &signed, &lead, None).await?;
    render(StatusCode::OK, &page)
}
