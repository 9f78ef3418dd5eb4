//! The manual assignment queue for admins and ISAs: the leads no rule, offer or person has
//! placed, in the order they entered the queue (the longest waiting first unless asked
//! otherwise), each with why and since when it waits; filters by source, reason and waiting
//! time (`queue_filters`). Tick leads, pick an agent and Assign: each lead answers in its
//! own row (assigned rows leave the queue), and "Load more" brings the next page.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::distribute::{AgentLoad, QueueQuery, QueuedLead};
use leadpool_app::models::Tally;
use leadpool_app::pool::ClaimResult;
use leadpool_app::wording::{Asker, claim_refusal};
use leadpool_app::{App, Member};
use leadpool_domain::{Lead, LeadId, UserId};
use serde::Deserialize;

use super::directory::Directory;
use super::error::UiError;
use super::filters::More;
use super::queue_filters::{QueueFilterView, QueueFilters};
use super::session::{Posted, Signed};
use super::view::{Answer, Choice, Chrome, Outcome, Row, name_refused, summary};
use super::{Wants, render, render_page};
use crate::AppState;

/// A queued lead as a row: the lead's own columns, and why and since when it waits.
#[derive(Debug)]
pub struct QueueRow {
    /// The lead as the lead list shows it (its outcome answers an Assign).
    pub row: Row,
    /// Why it is in the queue.
    pub why: String,
    /// Since when.
    pub since: String,
}

impl QueueRow {
    fn new(q: &QueuedLead, dir: &Directory) -> Self {
        Self {
            row: Row::new(&q.lead, dir),
            why: q
                .reason
                .clone()
                .unwrap_or_else(|| "no reason was recorded".to_owned()),
            since: dir.zone.when(q.since),
        }
    }

    /// A lead that just left the queue, with what became of it.
    fn answered(lead: &Lead, dir: &Directory, outcome: Outcome) -> Self {
        let mut row = Row::new(lead, dir);
        row.outcome = Some(outcome);
        Self {
            row,
            why: String::new(),
            since: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "queue_rows.html")]
struct RowsFragment {
    rows: Vec<QueueRow>,
    next: Option<More>,
    sources: bool,
}

/// One page of the queue as `filters` ask for it.
async fn rows(
    app: &App,
    m: &Member,
    filters: &QueueFilters,
    dir: &Directory,
) -> Result<RowsFragment, UiError> {
    let queued = app.queue(m, &filters.query()?).await?;
    // A full page may have more after it; the next page is then at worst empty.
    let next = queued
        .last()
        .filter(|_| queued.len() >= super::queue_filters::PAGE as usize)
        .map(|q| filters.more(q));
    Ok(RowsFragment {
        rows: queued.iter().map(|q| QueueRow::new(q, dir)).collect(),
        next,
        sources: !dir.sources.is_empty(),
    })
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    agents: Vec<Choice>,
    /// How many leads wait (and how many of them match the filters), in words.
    waiting: String,
    /// The filter form.
    filters: QueueFilterView,
    /// Filters narrow the queue.
    narrowed: bool,
    /// On a later page, the first one in the same filters.
    first_page: Option<String>,
    rows: Vec<QueueRow>,
    next: Option<More>,
    sources: bool,
}

/// An agent as the picker names them: paused (and why, when they said; `paused` is `None`
/// when they are not) or at their cap first, then what they hold, so the one handing out
/// leads sees who can take one without opening another page.
pub fn agent_label(name: &str, paused: Option<&str>, load: Option<AgentLoad>) -> String {
    let mut said = Vec::new();
    match paused.map(str::trim) {
        Some("") => said.push("paused".to_owned()),
        Some(why) => said.push(format!("paused ({why})")),
        None => {}
    }
    if let Some(l) = load {
        said.push(match l.open_leads {
            Tally::Exactly(1) => "1 open lead".to_owned(),
            Tally::Exactly(n) => format!("{} open leads", grouped(n)),
            Tally::MoreThan(n) => format!("more than {} open leads", grouped(n)),
        });
        if let Some(max) = l.caps.max_new {
            let at = if l.at_cap() { "at cap: " } else { "" };
            said.push(format!("{at}{} of {max} new", l.open_new));
        }
    }
    if said.is_empty() {
        name.to_owned()
    } else {
        format!("{name} — {}", said.join(", "))
    }
}

/// The line over the queue: how many leads wait, how many of them `filters` match, and in
/// which order they are shown.
async fn waiting(app: &App, m: &Member, filters: &QueueFilters) -> Result<String, UiError> {
    let all = app.queue_size(m, &QueueQuery::default()).await?;
    let matching = if filters.narrowed() {
        Some(app.queue_size(m, &filters.query()?).await?)
    } else {
        None
    };
    Ok(waiting_words(all, matching, filters.newest_first()))
}

/// The queue's size in words, how many of its leads match the filters when they narrow, and
/// the order of the ones shown.
fn waiting_words(n: Tally, matching: Option<Tally>, newest_first: bool) -> String {
    let mut line = match n {
        Tally::Exactly(0) => "No leads waiting".to_owned(),
        Tally::Exactly(1) => "1 lead waiting".to_owned(),
        Tally::Exactly(n) => format!("{} leads waiting", grouped(n)),
        Tally::MoreThan(n) => format!("More than {} leads waiting", grouped(n)),
    };
    match matching {
        None => {}
        Some(Tally::Exactly(1)) => line.push_str("; 1 matches these filters"),
        Some(Tally::Exactly(k)) => line.push_str(&format!("; {} match these filters", grouped(k))),
        Some(Tally::MoreThan(k)) => {
            line.push_str(&format!("; more than {} match these filters", grouped(k)));
        }
    }
    if matching.unwrap_or(n) != Tally::Exactly(0) {
        line.push_str(if newest_first {
            ", the latest to arrive in the queue first"
        } else {
            ", the longest waiting first"
        });
    }
    line.push('.');
    line
}

/// A number with its thousands grouped by commas, as the pages print counts.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `GET /queue`: the queue's first page (or the page after `after`) as the filters ask, with
/// the Assign form.
pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let filters = QueueFilters::from_query(query.as_deref())?;
    let dir = Directory::load(&s.app, m).await?;
    let fragment = rows(&s.app, m, &filters, &dir).await?;
    let agents = dir.agents();
    let loads = s.app.agent_loads(m, &agents).await?;
    // Nobody is preselected: a lead sent to whoever sorts first is a lead sent wrong.
    let picker = std::iter::once(Choice::new("", "Pick an agent", true))
        .chain(agents.iter().map(|u| {
            let paused = u
                .paused
                .then(|| u.pause_reason.as_deref().unwrap_or_default());
            let label = agent_label(&u.name, paused, loads.get(&u.id).copied());
            Choice::new(u.id, label, false)
        }))
        .collect();
    let page = QueuePage {
        chrome: Chrome::signed_in("Assignment queue", m, &signed.csrf),
        agents: picker,
        waiting: waiting(&s.app, m, &filters).await?,
        filters: filters.view(&dir, s.app.queue_reasons(m).await?),
        narrowed: filters.narrowed(),
        first_page: filters.first_page(),
        rows: fragment.rows,
        next: fragment.next,
        sources: fragment.sources,
    };
    render(StatusCode::OK, &page)
}

/// `GET /queue/rows`: the next rows of the queue ("Load more"), with the button for the ones
/// after.
pub async fn more_rows(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let filters = QueueFilters::from_query(query.as_deref())?;
    let dir = Directory::load(&s.app, m).await?;
    render(StatusCode::OK, &rows(&s.app, m, &filters, &dir).await?)
}

/// The Assign form as posted: the ticked leads, the agent and the assignment's details.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    id: Vec<String>,
    agent: String,
    override_cap: String,
    reason: String,
    /// The queue's filters on the page it was sent from, as a query string.
    view: String,
}

#[derive(Template)]
#[template(path = "queue_assigned.html", blocks = ["answer"])]
struct AssignedPage {
    chrome: Chrome,
    summary: String,
    /// The line over the queue, recounted (htmx swaps it in).
    waiting: String,
    answers: Vec<Answer<QueueRow>>,
    sources: bool,
    /// Answer htmx: rows as partial swaps into the queue, not a table of their own.
    fragment: bool,
}

/// `POST /queue/assign`: hands the ticked leads to the chosen agent, one by one.
pub async fn assign(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<AssignForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let ids = form
        .id
        .iter()
        .map(|raw| raw.trim().parse().map(LeadId::new))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| UiError::bad_input("Pick the leads from the queue."))?;
    if ids.is_empty() {
        return Err(UiError::bad_input(
            "Tick the leads first, then choose who gets them.",
        ));
    }
    let agent = form
        .agent
        .trim()
        .parse()
        .map(UserId::new)
        .map_err(|_| UiError::bad_input("Pick an agent from the list."))?;
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let results = s
        .app
        .assign(m, &ids, agent, form.override_cap == "yes", reason, true)
        .await?;
    let dir = Directory::load(&s.app, m).await?;
    let agent_name = dir.user(agent);
    let mut answers = Vec::with_capacity(results.len());
    for a in results {
        let id = a.lead_id.get();
        match a.result {
            ClaimResult::Moved { lead } | ClaimResult::Unchanged { lead } => {
                let outcome = Outcome {
                    done: true,
                    text: format!("Assigned to {agent_name}"),
                    leaves: true,
                    selectable: false,
                };
                answers.push(Answer::done(
                    id,
                    QueueRow::answered(&lead, &dir, outcome.clone()),
                    outcome,
                ));
            }
            other => {
                let (text, selectable) =
                    claim_refusal(&other, Asker::Assigner(&agent_name)).unwrap_or_default();
                answers.push(Answer::refused(
                    id,
                    Outcome {
                        done: false,
                        text,
                        leaves: false,
                        selectable,
                    },
                ));
            }
        }
    }
    name_refused(&s.app, m, &mut answers).await?;
    let done = answers.iter().filter(|a| a.row.is_some()).count();
    let summary = summary(
        "Assigned",
        done,
        answers.len(),
        &format!(" to {agent_name}"),
    );
    let page = AssignedPage {
        chrome: Chrome::signed_in("Assignment queue", m, &signed.csrf),
        summary,
        waiting: waiting(&s.app, m, &QueueFilters::from_query(Some(&form.view))?).await?,
        answers,
        sources: !dir.sources.is_empty(),
        fragment: Wants::current().fragment,
    };
    render_page(&page, &page.as_answer())
}

#[cfg(test)]
mod tests {
    use leadpool_domain::pool::Caps;

    use super::*;

    fn load(open_new: u32, open_leads: u64, max_new: Option<u32>) -> Option<AgentLoad> {
        Some(AgentLoad {
            caps: Caps {
                max_new,
                min_new: 0,
            },
            open_new,
            open_leads: Tally::Exactly(open_leads),
        })
    }

    #[test]
    fn the_picker_says_who_is_paused_at_cap_or_holding_what() {
        assert_eq!(
            agent_label("Ana", None, load(1, 3, None)),
            "Ana — 3 open leads"
        );
        assert_eq!(
            agent_label("Bob", Some(""), load(0, 1, Some(5))),
            "Bob — paused, 1 open lead, 0 of 5 new"
        );
        assert_eq!(
            agent_label("Eve", Some("on vacation until Monday"), load(0, 0, None)),
            "Eve — paused (on vacation until Monday), 0 open leads"
        );
        assert_eq!(
            agent_label("Cy", None, load(5, 7, Some(5))),
            "Cy — 7 open leads, at cap: 5 of 5 new"
        );
        assert_eq!(agent_label("Di", None, None), "Di");
        assert_eq!(
            agent_label("Flo", None, load(0, 4_512, None)),
            "Flo — 4,512 open leads"
        );
        let busy = load(0, 0, None).map(|l| AgentLoad {
            open_leads: Tally::MoreThan(10_000),
            ..l
        });
        assert_eq!(
            agent_label("Gus", None, busy),
            "Gus — more than 10,000 open leads"
        );
    }

    #[test]
    fn the_count_reads_as_words() {
        use Tally::{Exactly, MoreThan};
        assert_eq!(waiting_words(Exactly(0), None, false), "No leads waiting.");
        assert_eq!(
            waiting_words(Exactly(1), None, false),
            "1 lead waiting, the longest waiting first."
        );
        assert_eq!(
            waiting_words(Exactly(1200), None, true),
            "1,200 leads waiting, the latest to arrive in the queue first."
        );
        assert_eq!(
            waiting_words(Exactly(12), Some(Exactly(1)), false),
            "12 leads waiting; 1 matches these filters, the longest waiting first."
        );
        assert_eq!(
            waiting_words(Exactly(12), Some(Exactly(0)), false),
            "12 leads waiting; 0 match these filters."
        );
        assert_eq!(
            waiting_words(MoreThan(10_000), Some(MoreThan(10_000)), false),
            "More than 10,000 leads waiting; more than 10,000 match these filters, the longest waiting first."
        );
        assert_eq!(
            waiting_words(MoreThan(10_000), Some(Exactly(0)), true),
            "More than 10,000 leads waiting; 0 match these filters."
        );
    }

    #[test]
    fn counts_group_their_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (123_456, "123,456"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }
}
