//! The settings pages, where admins run the organization from the browser instead of the
//! API: a hub at `/settings` listing the sections the viewer may open, and one module per
//! section. Each section's forms post to their own path and the answer redraws the section
//! in place (htmx swaps `#settings`) with a line saying what happened, as the lead page
//! does; every rule stays the app's, the pages only offer what the viewer may change.

mod deliveries;
mod people;
mod pools;
mod routing;
mod rules;
mod statuses;
mod time;

use std::time::Duration;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::{AppError, Member};
use leadpool_domain::Permission;

use super::error::UiError;
use super::flash::{Flash, Said};
use super::render;
use super::session::Signed;
use super::view::{Choice, Chrome};
use crate::AppState;

pub use deliveries::{page as deliveries_page, retry as retry_delivery};
pub use people::{
    create_team, create_user, make_token, page as people_page, revoke_token, update_team,
    update_user,
};
pub use pools::{
    add_reason, create_pool, page as pools_page, remove_reason, save_settings, update_pool,
};
pub use routing::{create_source, page as routing_page, rotate_key, try_rules, update_source};
pub use rules::{
    create_group, create_reassignment, create_rule, delete_group, delete_reassignment, delete_rule,
    move_rule, toggle_rule, try_changed_rule, try_new_rule, update_group, update_reassignment,
    update_rule,
};
pub use statuses::{
    create_status, move_status, page as statuses_page, remove_expiry, set_expiry, update_status,
};
pub use time::{
    add_holiday, create_calendar, delete_calendar, page as time_page, preview, remove_holiday,
    update_calendar,
};

/// A section of the settings, as the hub lists it.
#[derive(Debug)]
pub struct Section {
    /// Where it is.
    pub href: &'static str,
    /// Its name.
    pub title: &'static str,
    /// What is set there.
    pub about: &'static str,
}

/// The sections `m` may open.
fn sections(m: &Member) -> Vec<Section> {
    let mut out = Vec::new();
    if people::may_open(m) {
        out.push(Section {
            href: "/settings/people",
            title: "People",
            about: "Users with their role, teams, reach, pause, pool access and caps; the \
                    teams as a tree.",
        });
    }
    if pools::may_open(m) {
        out.push(Section {
            href: "/settings/pools",
            title: "Pools and caps",
            about: "Pools with their reserve time and cooldown, caps on new leads, which calls \
                    make the caller the owner, and the reasons agents give leads back.",
        });
    }
    if routing::may_open(m) {
        out.push(Section {
            href: "/settings/routing",
            title: "Routing",
            about: "Lead sources with their intake keys, agent groups, the rules that route \
                    new leads in priority order (and a panel to try them on a sample lead), \
                    and reassignment groups for leads already in.",
        });
    }
    if statuses::may_open(m) {
        out.push(Section {
            href: "/settings/statuses",
            title: "Statuses",
            about: "Lead stages by category in their order, the one new leads start in, when a \
                    status expires into another (and back to the pool), and shark tanks.",
        });
    }
    if time::may_open(m) {
        out.push(Section {
            href: "/settings/time",
            title: "Time",
            about: "Calendars with their weekly hours, holidays and time zone, the default \
                    that rules and pools without a calendar count in, and when a lead \
                    arriving now would be due.",
        });
    }
    if deliveries::may_open(m) {
        out.push(Section {
            href: "/settings/deliveries",
            title: "Deliveries",
            about: "Webhook events and emails that failed or died, with the receiver's answer \
                    and a retry; whether this server sends email.",
        });
    }
    out
}

/// Whether `m` has any settings section (the navigation shows Settings then).
pub fn any_section(m: &Member) -> bool {
    !sections(m).is_empty()
}

#[derive(Template)]
#[template(path = "settings.html")]
struct HubPage {
    chrome: Chrome,
    sections: Vec<Section>,
}

/// `GET /settings`: the sections the viewer may open.
pub async fn hub(signed: Signed) -> Result<Response, UiError> {
    let m = &signed.member;
    let sections = sections(m);
    if sections.is_empty() {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Only admins change the organization's settings.",
        ));
    }
    let page = HubPage {
        chrome: Chrome::signed_in("Settings", m, &signed.csrf),
        sections,
    };
    render(StatusCode::OK, &page)
}

/// A section's page: it loads itself for the viewer, with what the last form did, and
/// renders whole or, for htmx, as the `#settings` fragment.
trait SectionPage: Sized {
    /// The page for `signed`, saying `flash` at its top.
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError>;

    /// The page, or its fragment for htmx, with `status`.
    fn render(&self, status: StatusCode) -> Result<Response, UiError>;
}

/// Shows section `P`, after a form with what it did.
async fn show<P: SectionPage>(
    s: &AppState,
    signed: &Signed,
    said: Option<Said>,
) -> Result<Response, UiError> {
    let (status, flash) = said.map_or((StatusCode::OK, None), |d| (d.status, Some(d.flash)));
    P::load(s, signed, flash).await?.render(status)
}

/// Refuses a settings page to a viewer without `permission`, in the app's words.
fn require(m: &Member, permission: Permission<'_>) -> Result<(), UiError> {
    m.viewer
        .may(permission)
        .map_err(|denied| UiError::new(StatusCode::FORBIDDEN, "Not allowed", denied.0))
}

/// The units a duration is entered in, with their length in seconds.
const UNITS: [(&str, u64); 4] = [
    ("minutes", 60),
    ("hours", 3600),
    ("days", 86_400),
    ("seconds", 1),
];

/// A duration as a form shows it: the largest unit that divides it.
#[derive(Debug, Default)]
pub struct DurationView {
    /// The amount (empty: none).
    pub amount: String,
    /// The unit's choices, the one shown selected.
    pub units: Vec<Choice>,
}

impl DurationView {
    /// `d` in the largest whole unit; `None` shows an empty amount in minutes.
    pub fn of(d: Option<Duration>) -> Self {
        let secs = d.map(|d| d.as_secs());
        let (amount, unit) = match secs {
            None => (String::new(), "minutes"),
            Some(s) => {
                let (name, len) = [UNITS[2], UNITS[1], UNITS[0]]
                    .into_iter()
                    .find(|(_, len)| s > 0 && s % len == 0)
                    .unwrap_or(UNITS[3]);
                ((s / len).to_string(), name)
            }
        };
        Self {
            amount,
            units: UNITS
                .iter()
                .map(|(name, _)| Choice::new(name, name, *name == unit))
                .collect(),
        }
    }
}

/// A duration in words: "2 hours", "1 day", "none".
fn words(d: Option<Duration>) -> String {
    let v = DurationView::of(d);
    let unit = v
        .units
        .iter()
        .find(|u| u.checked)
        .map_or("", |u| u.label.as_str());
    match v.amount.as_str() {
        "" => "none".to_owned(),
        "1" => format!("1 {}", unit.trim_end_matches('s')),
        n => format!("{n} {unit}"),
    }
}

/// What a form field could not be read as, said on the page like the app's refusals.
type Unread = String;

/// A duration typed as an amount and a unit; an empty amount is none.
fn duration(label: &str, amount: &str, unit: &str) -> Result<Option<Duration>, Unread> {
    let amount = amount.trim();
    if amount.is_empty() {
        return Ok(None);
    }
    let n: u64 = amount
        .parse()
        .map_err(|_| format!("{label}: give a whole number, or leave it empty."))?;
    let len = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, len)| *len)
        .ok_or_else(|| format!("{label}: pick a unit from the list."))?;
    n.checked_mul(len)
        .map(|s| Some(Duration::from_secs(s)))
        .ok_or_else(|| format!("{label}: that is far too long."))
}

/// The id in a settings path, made into its kind: one that is no number names nothing, so it
/// is answered as an id that does not exist rather than as a malformed request.
fn path_id<T>(raw: &str, make: fn(i64) -> T) -> T {
    make(raw.parse().unwrap_or(-1))
}

/// An id picked from a select; empty is none.
fn picked<T>(label: &str, raw: &str, make: fn(i64) -> T) -> Result<Option<T>, Unread> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(|n| Some(make(n)))
        .map_err(|_| format!("{label}: pick one from the list."))
}

/// A whole number from 0 typed into a field; empty is none.
fn count(label: &str, raw: &str) -> Result<Option<u32>, Unread> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| format!("{label}: give a whole number from 0, or leave it empty."))
}

/// Does what a form asks once its fields are read, and says how it went: a field that
/// could not be read is refused like the app's own refusals of bad input.
async fn said<T, F>(read: Result<T, Unread>, act: impl FnOnce(T) -> F) -> Result<Said, UiError>
where
    F: Future<Output = Result<String, AppError>>,
{
    match read {
        Ok(input) => Said::of(act(input).await),
        Err(text) => Ok(Said::refused(StatusCode::UNPROCESSABLE_ENTITY, text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_in_their_largest_whole_unit_and_read_back() {
        let cases = [
            (90, "90", "seconds"),
            (120, "2", "minutes"),
            (7200, "2", "hours"),
            (172_800, "2", "days"),
        ];
        for (secs, amount, unit) in cases {
            let v = DurationView::of(Some(Duration::from_secs(secs)));
            let shown = v.units.iter().find(|u| u.checked).map(|u| u.value.clone());
            assert_eq!((v.amount.as_str(), shown.as_deref()), (amount, Some(unit)));
            assert_eq!(
                duration("x", amount, unit).ok().flatten(),
                Some(Duration::from_secs(secs))
            );
        }
        assert_eq!(DurationView::of(None).amount, "");
        assert!(duration("x", "", "hours").is_ok_and(|d| d.is_none()));
        assert!(duration("x", "-1", "hours").is_err());
        assert!(duration("x", "1", "fortnights").is_err());
        assert!(duration("x", &u64::MAX.to_string(), "days").is_err());
    }
}
