//! Settings → Time: the organization's working-hours calendars (weekly hours, holidays whole
//! or partial, time zone), which one is the default and what that default decides, which
//! rules count in each, and a deadline preview per calendar. The app checks every change;
//! the page shows every time on the calendar's own clocks, labelled with its zone.

use std::collections::HashMap;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::calendars::{
    CALENDARS, CalendarChanges, CalendarInput, DeadlinePreview, calendar_in_force,
};
use leadpool_app::models::StoredCalendar;
use leadpool_app::{AppError, Member};
use leadpool_domain::Timestamp;
use leadpool_domain::calendar::{Calendar, Holiday, OpenRange, WeeklyHours, parse_hours, to_jiff};
use leadpool_domain::routing::Rule;
use serde::Deserialize;

use std::convert::identity;

use super::{DurationView, SectionPage, Unread, duration, path_id, require, said, show, words};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::offers::NoFields;
use crate::ui::render_status;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::Chrome;

/// Whether `m` may open this section.
pub fn may_open(m: &Member) -> bool {
    m.may(CALENDARS)
}

/// The days of the grid, Monday first: the hours syntax's name and the label.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// Days as the hours in words name them, Monday first.
const SHORT: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The window the preview counts until the admin asks for another.
const PREVIEW: Duration = Duration::from_secs(15 * 60);

/// One day of the weekly grid.
#[derive(Debug)]
pub struct DayView {
    /// The hours syntax's name, which prefixes the day's fields (`mon_open`, `mon_from`, ..).
    pub key: &'static str,
    /// Its name for people.
    pub label: &'static str,
    /// It opens that day.
    pub open: bool,
    /// When its first range opens, `HH:MM`.
    pub from: String,
    /// When its first range closes.
    pub to: String,
    /// Its further ranges in the hours syntax (`13:00-18:00`), kept as they are.
    pub more: String,
    /// Those ranges in words; empty when there are none.
    pub more_words: String,
}

/// A calendar's fields as its form shows them.
#[derive(Debug)]
pub struct FormView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its zone.
    pub time_zone: String,
    /// It is the default.
    pub is_default: bool,
    /// The grid, Monday first.
    pub days: Vec<DayView>,
}

/// A holiday as its row shows it.
#[derive(Debug)]
pub struct HolidayView {
    /// Its date, `YYYY-MM-DD`, as the remove form sends it.
    pub date: String,
    /// Its date and hours in words.
    pub words: String,
}

/// A calendar's deadline preview: its window form and what it says.
#[derive(Debug)]
pub struct PreviewView {
    /// The window counted.
    pub window: DurationView,
    /// When a lead arriving now would be due, or why that cannot be said.
    pub text: String,
}

/// A calendar as the page shows it.
#[derive(Debug)]
pub struct CalendarView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its zone.
    pub time_zone: String,
    /// It is the organization's default.
    pub is_default: bool,
    /// Its weekly hours in words.
    pub hours: String,
    /// Its holidays by date.
    pub holidays: Vec<HolidayView>,
    /// The rules that count in its hours, in words; empty when none does.
    pub rules: String,
    /// Its form.
    pub form: FormView,
    /// Its deadline preview.
    pub preview: PreviewView,
}

#[derive(Template)]
#[template(path = "settings_time.html", blocks = ["settings"])]
struct TimePage {
    chrome: Chrome,
    flash: Option<Flash>,
    calendars: Vec<CalendarView>,
    new_calendar: FormView,
}

/// Minutes since midnight as `HH:MM`.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Ranges in words: "09:00–12:00 and 13:00–18:00".
fn ranges_words(ranges: &[OpenRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}–{}", clock(r.start()), clock(r.end())))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A week in words: "Mon–Fri 09:00–17:00, Sat 10:00–14:00".
fn hours_words(week: &WeeklyHours) -> String {
    let runs: Vec<String> = week
        .runs()
        .into_iter()
        .filter(|(_, _, ranges)| !ranges.is_empty())
        .map(|(i, j, ranges)| {
            let days = if j > i {
                format!("{}–{}", SHORT[i], SHORT[j])
            } else {
                SHORT[i].to_owned()
            };
            format!("{days} {}", ranges_words(ranges))
        })
        .collect();
    if runs.is_empty() {
        "closed every day".to_owned()
    } else {
        runs.join(", ")
    }
}

/// The grid of `week` (empty: the add form's Monday to Friday, 09:00 to 17:00).
fn days_view(week: Option<&WeeklyHours>) -> Vec<DayView> {
    DAYS.iter()
        .enumerate()
        .map(|(i, (key, label))| {
            let ranges = week.map_or(&[][..], |w| w.days()[i].as_slice());
            let (open, from, to) = match (week, ranges.first()) {
                (_, Some(r)) => (true, clock(r.start()), clock(r.end())),
                (None, None) => (i < 5, "09:00".to_owned(), "17:00".to_owned()),
                (Some(_), None) => (false, String::new(), String::new()),
            };
            let rest = ranges.get(1..).unwrap_or_default();
            DayView {
                key,
                label,
                open,
                from,
                to,
                more: rest
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                more_words: ranges_words(rest),
            }
        })
        .collect()
}

/// A holiday in words: "Thu 24 Dec 2026, open only 09:00–12:00".
fn holiday_view(h: &Holiday) -> HolidayView {
    let day = h.date().strftime("%a %-d %b %Y");
    HolidayView {
        date: h.date().to_string(),
        words: if h.open().is_empty() {
            format!("{day}, closed all day")
        } else {
            format!("{day}, open only {}", ranges_words(h.open()))
        },
    }
}

/// An instant on `calendar`'s clocks: "Wed 25 Nov 2026, 09:15 EST".
fn local(calendar: &Calendar, t: Timestamp) -> Result<String, UiError> {
    let t = to_jiff(t).map_err(|e| UiError::internal(e.to_string()))?;
    Ok(t.to_zoned_datetime(calendar.time_zone().clone())
        .strftime("%a %-d %b %Y, %H:%M %Z")
        .to_string())
}

/// The preview said in words.
fn preview_words(
    calendar: &Calendar,
    p: &DeadlinePreview,
    window: Duration,
) -> Result<String, UiError> {
    Ok(format!(
        "A lead arriving now ({}) with a {} window would have until {} ({}).",
        local(calendar, p.from)?,
        words(Some(window)).replace(' ', "-").trim_end_matches('s'),
        local(calendar, p.due)?,
        p.time_zone
    ))
}

/// The rules counting in `c`'s hours, in words; a rule naming none counts in the default's.
fn rules_words(c: &StoredCalendar, rules: &[Rule], all: &[StoredCalendar]) -> String {
    rules
        .iter()
        .filter(|r| r.plan.uses_hours())
        .filter(|r| calendar_in_force(r.plan.calendar_id, all).is_some_and(|x| x.id == c.id))
        .map(|r| {
            if r.plan.calendar_id == Some(c.id) {
                format!("“{}”", r.name)
            } else {
                format!("“{}” (names no calendar, so the default)", r.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A calendar's texts parsed back for showing; they were stored only after parsing, so a
/// failure is a server fault.
fn parsed(c: &StoredCalendar) -> Result<Calendar, UiError> {
    c.to_calendar()
        .map_err(|e| UiError::internal(format!("calendar {}: {e}", c.id)))
}

impl TimePage {
    /// The page, with the preview of calendar `asked.0` counting window `asked.1`.
    async fn build(
        s: &AppState,
        signed: &Signed,
        flash: Option<Flash>,
        asked: Option<(i64, Duration)>,
    ) -> Result<Self, UiError> {
        let m = &signed.member;
        require(m, CALENDARS)?;
        let all = s.app.list_calendars(m).await?;
        let rules = s.app.list_rules(m).await?;
        let now = s.app.now().to_string();
        let mut calendars = Vec::with_capacity(all.len());
        for c in &all {
            let calendar = parsed(c)?;
            let window = match asked {
                Some((id, w)) if id == c.id => w,
                _ => PREVIEW,
            };
            let text = match s.app.deadline_preview(m, c.id, &now, window).await {
                Ok(p) => preview_words(&calendar, &p, window)?,
                Err(e) => Said::of(Err(e))?.flash.text,
            };
            calendars.push(CalendarView {
                id: c.id,
                name: c.name.clone(),
                time_zone: c.time_zone.clone(),
                is_default: c.is_default,
                hours: hours_words(calendar.week()),
                holidays: calendar.holidays().iter().map(holiday_view).collect(),
                rules: rules_words(c, &rules, &all),
                form: FormView {
                    id: c.id,
                    name: c.name.clone(),
                    time_zone: c.time_zone.clone(),
                    is_default: c.is_default,
                    days: days_view(Some(calendar.week())),
                },
                preview: PreviewView {
                    window: DurationView::of(Some(window)),
                    text,
                },
            });
        }
        Ok(Self {
            chrome: Chrome::signed_in("Time", m, &signed.csrf),
            flash,
            calendars,
            new_calendar: FormView {
                id: 0,
                name: String::new(),
                time_zone: String::new(),
                is_default: false,
                days: days_view(None),
            },
        })
    }
}

impl SectionPage for TimePage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        Self::build(s, signed, flash, None).await
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

/// `GET /settings/time`: the section.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    show::<TimePage>(&s, &signed, None).await
}

/// A calendar's form as posted: the grid's fields are `{day}_open`, `{day}_from`,
/// `{day}_to` and `{day}_more` for each day of [`DAYS`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalendarForm {
    name: String,
    time_zone: String,
    is_default: String,
    #[serde(flatten)]
    grid: HashMap<String, String>,
}

impl CalendarForm {
    /// The grid in the hours syntax. Each day is parsed on its own first so a bad range is
    /// said with its day; the app parses the whole again.
    fn hours(&self) -> Result<String, Unread> {
        let mut segments = Vec::new();
        for (key, label) in DAYS {
            let field = |f: &str| {
                self.grid
                    .get(&format!("{key}_{f}"))
                    .map_or("", |v| v.trim())
            };
            if field("open") != "yes" {
                continue;
            }
            let (from, to) = (field("from"), field("to"));
            if from.is_empty() || to.is_empty() {
                return Err(format!(
                    "{label}: give the time it opens and the time it closes, or untick it."
                ));
            }
            let mut segment = format!("{key} {from}-{to}");
            if !field("more").is_empty() {
                segment = format!("{segment},{}", field("more"));
            }
            parse_hours(&segment).map_err(|e| format!("{label}: {e}."))?;
            segments.push(segment);
        }
        Ok(segments.join("; "))
    }
}

/// What making `c` the default means, said after a form made it so.
fn default_words(c: &StoredCalendar) -> String {
    if c.is_default {
        format!(
            " It is the organization's default: rules and pools that name no calendar count \
             their windows and reserve times in its hours ({}).",
            c.time_zone
        )
    } else {
        String::new()
    }
}

/// `POST /settings/time`: adds a calendar.
pub async fn create_calendar(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<CalendarForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.hours(), |hours| async move {
        let input = CalendarInput {
            name: form.name,
            time_zone: form.time_zone,
            hours,
            holidays: Vec::new(),
            is_default: form.is_default == "yes",
        };
        app.create_calendar(m, &input)
            .await
            .map(|c| format!("Calendar “{}” added.{}", c.name, default_words(&c)))
    })
    .await?;
    show::<TimePage>(&s, &signed, Some(said)).await
}

/// `POST /settings/time/{id}`: renames a calendar, changes its zone or hours, or makes it
/// the default. Holidays are kept.
pub async fn update_calendar(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<CalendarForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, identity);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.hours(), |hours| async move {
        let changes = CalendarChanges {
            name: Some(form.name),
            time_zone: Some(form.time_zone),
            hours: Some(hours),
            holidays: None,
            is_default: Some(form.is_default == "yes"),
        };
        app.update_calendar(m, id, changes)
            .await
            .map(|c| format!("Calendar “{}” saved.{}", c.name, default_words(&c)))
    })
    .await?;
    show::<TimePage>(&s, &signed, Some(said)).await
}

/// `POST /settings/time/{id}/delete`: removes a calendar no team names.
pub async fn delete_calendar(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, identity);
    let (app, m) = (&s.app, &signed.member);
    let said = Said::of(
        async {
            let c = app.get_calendar(m, id).await?;
            app.delete_calendar(m, id).await?;
            Ok::<_, AppError>(format!("Calendar “{}” deleted.", c.name))
        }
        .await,
    )?;
    show::<TimePage>(&s, &signed, Some(said)).await
}

/// A holiday as its form posts it: a date, and hours when it is open part of the day.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HolidayForm {
    date: String,
    closed: String,
    from: String,
    to: String,
}

impl HolidayForm {
    /// The holiday in the syntax the app reads.
    fn holiday(&self) -> Result<String, Unread> {
        let date = self.date.trim();
        if date.is_empty() {
            return Err("Date: give the day of the holiday.".to_owned());
        }
        if self.closed == "yes" {
            return Ok(date.to_owned());
        }
        let (from, to) = (self.from.trim(), self.to.trim());
        if from.is_empty() || to.is_empty() {
            return Err(
                "Open only: give the time it opens and closes that day, or choose closed all day."
                    .to_owned(),
            );
        }
        Ok(format!("{date} {from}-{to}"))
    }
}

/// `POST /settings/time/{id}/holidays`: adds a holiday, closed all day or open part of it.
pub async fn add_holiday(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<HolidayForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, identity);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.holiday(), |holiday| async move {
        let c = app.add_holiday(m, id, &holiday).await?;
        let h = Holiday::parse(&holiday).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok::<_, AppError>(format!(
            "Holiday added to “{}”: {}.",
            c.name,
            holiday_view(&h).words
        ))
    })
    .await?;
    show::<TimePage>(&s, &signed, Some(said)).await
}

/// Which holiday the remove button names.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DateForm {
    date: String,
}

/// `POST /settings/time/{id}/holidays/remove`: the date follows the weekly hours again.
pub async fn remove_holiday(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<DateForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, identity);
    let (app, m) = (&s.app, &signed.member);
    let said = Said::of(app.remove_holiday(m, id, &form.date).await.map(|c| {
        format!(
            "{} is no longer a holiday of “{}”; its weekly hours apply.",
            form.date.trim(),
            c.name
        )
    }))?;
    show::<TimePage>(&s, &signed, Some(said)).await
}

/// The window a preview counts, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewForm {
    window_amount: String,
    window_unit: String,
}

/// `POST /settings/time/{id}/preview`: when a lead arriving now would be due with this
/// window; the answer shows in the calendar's row.
pub async fn preview(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<PreviewForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, identity);
    let (app, m) = (&s.app, &signed.member);
    let window = duration("Window", &form.window_amount, &form.window_unit).and_then(|w| {
        w.ok_or_else(|| "Window: give how long a lead has, such as 15 minutes.".to_owned())
    });
    let asked = window.as_ref().ok().map(|w| (id, *w));
    let said = said(window, |window| async move {
        let c = app.get_calendar(m, id).await?;
        app.deadline_preview(m, id, &app.now().to_string(), window)
            .await
            .map(|_| {
                format!(
                    "The deadline preview of “{}” counts a {} window; its row says until when.",
                    c.name,
                    words(Some(window))
                )
            })
    })
    .await?;
    let (status, flash) = (said.status, said.flash);
    let asked = asked.filter(|_| flash.ok);
    let page = TimePage::build(&s, &signed, Some(flash), asked).await?;
    SectionPage::render(&page, status)
}
