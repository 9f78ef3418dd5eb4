//! What the templates are given: the frame every page shares (who is signed in, the CSRF
//! token, the asset URLs) and a lead as one row of a list.

use std::cell::RefCell;
use std::future::Future;

use leadpool_app::{App, AppError, Member};
use leadpool_domain::{Lead, LeadId, Owner, Timestamp};

use super::Wants;
use super::assets::{self, Urls};
use super::directory::{Directory, role_label};
use super::error::UiError;

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Their name.
    pub name: String,
    /// Their role, in words.
    pub role: &'static str,
    /// They have settings to open (the navigation links them).
    pub settings: bool,
}

/// What the layout needs on every page.
#[derive(Debug)]
pub struct Chrome {
    /// The page title.
    pub title: String,
    /// Who is signed in, if anyone.
    pub person: Option<Person>,
    /// The session's CSRF token, sent with every unsafe request (empty when signed out).
    pub csrf: String,
    /// Where the stylesheet and scripts are.
    pub assets: &'static Urls,
}

impl Person {
    fn of(m: &Member) -> Self {
        Self {
            name: m.user.name.clone(),
            role: role_label(m.user.role),
            settings: super::settings::any_section(m),
        }
    }
}

tokio::task_local! {
    /// Who the request being served comes from, once their session is known (with its CSRF
    /// token): an error page then keeps the header and navigation of the pages around it.
    static VIEWER: RefCell<Option<(Person, String)>>;
}

/// Serves `request` with room to remember its viewer (see [`remember_viewer`]).
pub async fn serving<F: Future>(request: F) -> F::Output {
    VIEWER.scope(RefCell::new(None), request).await
}

/// Remembers who the request being served comes from, for [`Chrome::of_viewer`].
pub fn remember_viewer(m: &Member, csrf: &str) {
    // Outside a UI request (an API call) nobody draws a page, so there is nothing to keep.
    let _outside_ui = VIEWER.try_with(|v| *v.borrow_mut() = Some((Person::of(m), csrf.to_owned())));
}

impl Chrome {
    /// The frame of a page for a signed-in member.
    pub fn signed_in(title: impl Into<String>, m: &Member, csrf: &str) -> Self {
        Self {
            title: title.into(),
            person: Some(Person::of(m)),
            csrf: csrf.to_owned(),
            assets: assets::urls(),
        }
    }

    /// The frame of a page for whoever the request being served comes from: signed in once
    /// their session was read, else signed out.
    pub fn of_viewer(title: impl Into<String>) -> Self {
        let viewer = VIEWER.try_with(|v| v.borrow().clone()).ok().flatten();
        match viewer {
            Some((person, csrf)) => Self {
                title: title.into(),
                person: Some(person),
                csrf,
                assets: assets::urls(),
            },
            None => Self::anonymous(title),
        }
    }

    /// The frame of a page nobody is signed in to (or whose viewer is unknown).
    pub fn anonymous(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            person: None,
            csrf: String::new(),
            assets: assets::urls(),
        }
    }

    /// The `hx-headers` value that sends the CSRF token with every htmx request.
    pub fn csrf_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}

/// One option of a select, checkbox group or radio group.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What people read.
    pub label: String,
    /// Whether it is selected now.
    pub checked: bool,
}

impl Choice {
    /// An option, selected when `checked`.
    pub fn new(value: impl ToString, label: impl ToString, checked: bool) -> Self {
        Self {
            value: value.to_string(),
            label: label.to_string(),
            checked,
        }
    }
}

/// What became of one lead after a Move action.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The action happened.
    pub done: bool,
    /// What to tell the person ("Claimed", "Already claimed by Ana Silva").
    pub text: String,
    /// The lead no longer belongs in the list being looked at.
    pub leaves: bool,
    /// The lead may be picked again (the refusal may pass: over a cap, cooling down).
    pub selectable: bool,
}

/// One ticked lead's answer to a bulk action: its row redrawn when the action went through;
/// a refusal rewrites only the row's result (the viewer may not see a lead someone else won).
#[derive(Debug)]
pub struct Answer<R> {
    /// The lead's id.
    pub id: i64,
    /// Its row, when the action went through.
    pub row: Option<R>,
    /// What became of it.
    pub outcome: Outcome,
    /// A refused lead's name where the viewer still sees it, for the page a browser without
    /// scripts gets (see [`name_refused`]).
    pub name: Option<String>,
}

impl<R> Answer<R> {
    /// A lead the action went through for, with its row.
    pub fn done(id: i64, row: R, outcome: Outcome) -> Self {
        Self {
            id,
            row: Some(row),
            outcome,
            name: None,
        }
    }

    /// A lead the action was refused for.
    pub fn refused(id: i64, outcome: Outcome) -> Self {
        Self {
            id,
            row: None,
            outcome,
            name: None,
        }
    }
}

/// Names the refused leads of `answers` that the viewer still sees, when the answer is a page
/// of its own (a browser without scripts); htmx rewrites rows that already name them.
pub async fn name_refused<R>(
    app: &App,
    m: &Member,
    answers: &mut [Answer<R>],
) -> Result<(), UiError> {
    if Wants::current().fragment {
        return Ok(());
    }
    for a in answers.iter_mut().filter(|a| a.row.is_none()) {
        match app.get_lead(m, LeadId::new(a.id)).await {
            Ok(lead) => a.name = Some(lead.display_name()),
            Err(AppError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The line above per-lead answers: "Claimed 2 of 3 leads." (`to` follows "leads",
/// such as " to Ana Silva"), and a pointer to the rows that say why.
pub fn summary(verb: &str, done: usize, total: usize, to: &str) -> String {
    let mut s = format!(
        "{verb} {done} of {total} lead{}{to}.",
        if total == 1 { "" } else { "s" }
    );
    if done < total {
        s.push_str(" Each lead that was not says why in its row.");
    }
    s
}

/// A lead as a row of the list.
#[derive(Debug)]
pub struct Row {
    /// Its id.
    pub id: i64,
    /// The person's name.
    pub name: String,
    /// The first email, else the first phone (empty in a blind pool).
    pub contact: String,
    /// Its status.
    pub status: String,
    /// Where it came from (empty when the viewer may not see sources).
    pub source: String,
    /// Who holds it.
    pub owner: String,
    /// Whether it sits in a pool.
    pub in_pool: bool,
    /// Its tags.
    pub tags: Vec<String>,
    /// When it came in.
    pub created: String,
    /// What the last Move action did to it, if this row answers one.
    pub outcome: Option<Outcome>,
}

impl Row {
    /// A lead as a row, names taken from `dir`.
    pub fn new(lead: &Lead, dir: &Directory) -> Self {
        Self {
            id: lead.id.get(),
            name: lead.display_name(),
            contact: lead
                .emails
                .first()
                .map(|e| e.as_str().to_owned())
                .or_else(|| lead.phones.first().map(|p| p.as_str().to_owned()))
                .unwrap_or_default(),
            status: lead.status.name.clone(),
            source: dir.source(lead.source_id).unwrap_or_default().to_owned(),
            owner: dir.owner(lead.owner),
            in_pool: matches!(lead.owner, Owner::Pool { .. }),
            tags: lead.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            created: dir.zone.when(lead.created_at),
            outcome: None,
        }
    }

    /// Whether the row shows a checkbox.
    pub fn selectable(&self) -> bool {
        self.outcome.as_ref().is_none_or(|o| o.selectable)
    }
}

/// The viewer's time zone: every instant a page shows reads on their clocks, and every time
/// they type is read on them.
#[derive(Debug, Clone)]
pub struct Zone(jiff::tz::TimeZone);

impl Zone {
    /// The zone `m` chose (UTC when they chose none).
    pub fn of(m: &Member) -> Self {
        Self(leadpool_app::directory::zone_of(&m.user))
    }

    /// Its IANA name, as the time-zone field shows it.
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// An instant as people read it: `2026-11-25 09:03 EST`.
    pub fn when(&self, t: Timestamp) -> String {
        t.to_minute_in(&self.0)
    }

    /// An instant as a `datetime-local` input's value, on this zone's clocks to the minute.
    pub fn input(&self, t: Timestamp) -> String {
        jiff::Timestamp::from_millisecond(t.as_millis())
            .map(|t| {
                t.to_zoned_datetime(self.0.clone())
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// A `datetime-local` value (`2026-12-05T17:30`, seconds optional) read on this zone's
    /// clocks; a time the clocks skip (spring forward) reads as the instant just after.
    pub fn read_input(&self, s: &str) -> Option<Timestamp> {
        let local: jiff::civil::DateTime = s.trim().parse().ok()?;
        let at = local.to_zoned_datetime(self.0.clone()).ok()?;
        Some(Timestamp::from_millis(at.timestamp().as_millisecond()))
    }
}

/// A span of time as people round it: "45 s", "12 min", "3 h 5 min", "2 d 4 h".
pub fn elapsed(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_reads_in_its_two_largest_units() {
        let read: Vec<String> = [45_000, 720_000, 11_100_000, 187_200_000, 86_400_000]
            .into_iter()
            .map(elapsed)
            .collect();
        assert_eq!(read, ["45 s", "12 min", "3 h 5 min", "2 d 4 h", "1 d"]);
    }

    #[test]
    fn an_instant_reads_and_is_typed_on_the_viewers_clocks() {
        let t = Timestamp::parse_rfc3339("2026-11-25T14:03:59.123Z")
            .unwrap_or(Timestamp::from_millis(0));
        let utc = Zone(jiff::tz::TimeZone::UTC);
        assert_eq!(utc.when(t), "2026-11-25 14:03 UTC");
        let sao_paulo = jiff::tz::TimeZone::get("America/Sao_Paulo").map(Zone);
        let Ok(sp) = sao_paulo else {
            panic!("the bundled time-zone database has America/Sao_Paulo");
        };
        assert_eq!(sp.name(), "America/Sao_Paulo");
        assert_eq!(sp.when(t), "2026-11-25 11:03 -03");
        assert_eq!(sp.input(t), "2026-11-25T11:03");
        assert_eq!(
            sp.read_input("2026-11-25T11:03"),
            Timestamp::parse_rfc3339("2026-11-25T14:03:00Z")
        );
        assert_eq!(sp.read_input("tomorrow"), None);
    }
}
