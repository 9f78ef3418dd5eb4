//! Settings → Statuses: the organization's lead stages grouped by category in their order,
//! the one new leads start in, each status's expiry (after how long, into which status,
//! back to the pool or not, held off by pending tasks, counted in a calendar's open hours)
//! and whether it is a shark tank (seed 002). The app checks every change; the page says
//! the rules in words.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::models::{Status, StoredCalendar};
use leadpool_app::statuses::{Direction, ExpiryInput, STATUSES};
use leadpool_app::{AppError, Member};
use leadpool_domain::StatusId;
use leadpool_domain::status::StatusCategory;
use leadpool_domain::timer::TaskHold;
use serde::Deserialize;

use super::{
    DurationView, SectionPage, Unread, duration, path_id, picked, require, said, show, words,
};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::offers::NoFields;
use crate::ui::render_status;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::{Choice, Chrome};
use crate::ui::work::category_label;

/// Whether `m` may open this section.
pub fn may_open(m: &Member) -> bool {
    m.may(STATUSES)
}

/// A status's expiry as its form shows it.
#[derive(Debug)]
pub struct ExpiryView {
    /// How long a lead may stay.
    pub after: DurationView,
    /// The statuses it may expire into, the current one selected.
    pub targets: Vec<Choice>,
    /// It also goes back to the default pool.
    pub to_pool: bool,
    /// How pending tasks hold it off: `none`, `pending` or `overdue`, one checked.
    pub holds: Vec<Choice>,
    /// How long tasks must be overdue, for the `overdue` hold.
    pub overdue: DurationView,
    /// The calendars to count it in ("" first: wall-clock time).
    pub calendars: Vec<Choice>,
}

/// A status as its row and forms show it.
#[derive(Debug)]
pub struct StatusView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// New leads start here.
    pub is_default: bool,
    /// Its leads stay claimable by others until their first logged contact.
    pub shark_tank: bool,
    /// The categories to choose from, its own selected.
    pub categories: Vec<Choice>,
    /// Its expiry in words; `None` when it has none.
    pub expiry_words: Option<String>,
    /// Its expiry's form (none in the add form: a new status never expires).
    pub expiry: Option<ExpiryView>,
    /// The ways it may move in its category (`up`, `down`): none past either end.
    pub moves: Vec<Choice>,
}

/// The statuses of one category, in order.
#[derive(Debug)]
pub struct CategoryView {
    /// The category's name.
    pub label: &'static str,
    /// Its statuses.
    pub statuses: Vec<StatusView>,
}

#[derive(Template)]
#[template(path = "settings_statuses.html", blocks = ["settings"])]
struct StatusesPage {
    chrome: Chrome,
    flash: Option<Flash>,
    categories: Vec<CategoryView>,
    new_status: StatusView,
}

/// The category choices, `chosen` selected.
fn category_choices(chosen: StatusCategory) -> Vec<Choice> {
    StatusCategory::ALL
        .into_iter()
        .map(|c| Choice::new(c.as_str(), category_label(c), c == chosen))
        .collect()
}

/// A stored length in milliseconds as a duration.
fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// `s`'s expiry in words ("after 3 days → Recycled, back to the pool, waits while a task
/// is pending, counted in Office hours"); `None` when it never expires.
fn expiry_words(s: &Status, all: &[Status], calendars: &[StoredCalendar]) -> Option<String> {
    let (Some(after), Some(to)) = (s.expires_after_ms, s.expires_to_status_id) else {
        return None;
    };
    let to = all.iter().find(|x| x.id == to).map_or("?", |x| &x.name);
    let mut out = format!("after {} → {to}", words(Some(millis(after))));
    if s.expires_to_pool {
        out.push_str(", back to the pool");
    }
    match s.task_hold() {
        Some(TaskHold::WhilePending) => out.push_str(", waits while a task is pending"),
        Some(TaskHold::UntilOverdueBy(d)) => {
            out.push_str(&format!(
                ", waits until tasks are overdue by {}",
                words(Some(d))
            ));
        }
        None => {}
    }
    match s
        .expires_calendar_id
        .and_then(|c| calendars.iter().find(|x| x.id == c))
    {
        Some(c) => out.push_str(&format!(", counted in {}", c.name)),
        None => out.push_str(", counted in wall-clock time"),
    }
    Some(out)
}

/// The expiry form of `s`: the statuses it may expire into are the others.
fn expiry_view(s: &Status, all: &[Status], calendars: &[StoredCalendar]) -> ExpiryView {
    let hold = s.task_hold();
    let calendar = s.expires_calendar_id;
    let target = s.expires_to_status_id;
    ExpiryView {
        after: DurationView::of(s.expires_after_ms.map(millis)),
        targets: all
            .iter()
            .filter(|x| x.id != s.id)
            .map(|x| Choice::new(x.id, &x.name, Some(x.id) == target))
            .collect(),
        to_pool: s.expires_to_pool,
        holds: vec![
            Choice::new("none", "Tasks do not hold it", hold.is_none()),
            Choice::new(
                "pending",
                "Wait while the lead has a pending task",
                hold == Some(TaskHold::WhilePending),
            ),
            Choice::new(
                "overdue",
                "Wait until every pending task is overdue by",
                matches!(hold, Some(TaskHold::UntilOverdueBy(_))),
            ),
        ],
        overdue: DurationView::of(match hold {
            Some(TaskHold::UntilOverdueBy(d)) => Some(d),
            _ => None,
        }),
        calendars: std::iter::once(Choice::new(
            "",
            "Wall-clock time (every hour counts)",
            calendar.is_none(),
        ))
        .chain(calendars.iter().map(|c| {
            Choice::new(
                c.id,
                format!("Open hours of {}", c.name),
                Some(c.id) == calendar,
            )
        }))
        .collect(),
    }
}

impl SectionPage for StatusesPage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        let m = &signed.member;
        require(m, STATUSES)?;
        let all = s.app.list_statuses(m).await?;
        let calendars = s.app.list_calendars(m).await?;
        let categories = StatusCategory::ALL
            .into_iter()
            .map(|c| {
                let here: Vec<&Status> = all.iter().filter(|x| x.category == c).collect();
                let statuses = here
                    .iter()
                    .enumerate()
                    .map(|(i, x)| StatusView {
                        id: x.id.get(),
                        name: x.name.clone(),
                        is_default: x.is_default,
                        shark_tank: x.shark_tank,
                        categories: category_choices(x.category),
                        expiry_words: expiry_words(x, &all, &calendars),
                        expiry: Some(expiry_view(x, &all, &calendars)),
                        moves: [("up", "Up", i > 0), ("down", "Down", i + 1 < here.len())]
                            .into_iter()
                            .filter(|(_, _, may)| *may)
                            .map(|(to, label, _)| Choice::new(to, label, false))
                            .collect(),
                    })
                    .collect();
                CategoryView {
                    label: category_label(c),
                    statuses,
                }
            })
            .collect();
        Ok(StatusesPage {
            chrome: Chrome::signed_in("Statuses", m, &signed.csrf),
            flash,
            categories,
            new_status: StatusView {
                id: 0,
                name: String::new(),
                is_default: false,
                shark_tank: false,
                categories: category_choices(StatusCategory::New),
                expiry_words: None,
                expiry: None,
                moves: Vec::new(),
            },
        })
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

/// `GET /settings/statuses`: the section.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    show::<StatusesPage>(&s, &signed, None).await
}

/// A status's form as posted (the add form has no `shark_tank`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    name: String,
    category: String,
    is_default: String,
    shark_tank: String,
}

impl StatusForm {
    fn category(&self) -> Result<StatusCategory, Unread> {
        StatusCategory::parse(&self.category)
            .ok_or_else(|| "Category: pick one from the list.".to_owned())
    }
}

/// `POST /settings/statuses`: adds a status at the end of its category.
pub async fn create_status(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<StatusForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let is_default = form.is_default == "yes";
    let said = said(form.category(), |category| async move {
        app.create_status(m, &form.name, category, is_default)
            .await
            .map(|st| {
                format!(
                    "Status “{}” added to {}.",
                    st.name,
                    category_label(st.category)
                )
            })
    })
    .await?;
    show::<StatusesPage>(&s, &signed, Some(said)).await
}

/// `POST /settings/statuses/{id}`: renames, recategorizes or makes a status the default,
/// and turns its shark tank on or off.
pub async fn update_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<StatusForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, StatusId::new);
    let (app, m) = (&s.app, &signed.member);
    let (is_default, shark_tank) = (form.is_default == "yes", form.shark_tank == "yes");
    let said = said(form.category(), |category| async move {
        let st = app
            .update_status(
                m,
                id,
                Some(&form.name),
                Some(category),
                None,
                Some(is_default),
            )
            .await?;
        let st = if st.shark_tank == shark_tank {
            st
        } else {
            app.set_shark_tank(m, id, shark_tank).await?
        };
        Ok::<_, AppError>(format!("Status “{}” saved.", st.name))
    })
    .await?;
    show::<StatusesPage>(&s, &signed, Some(said)).await
}

/// Which way the move buttons ask for.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    to: String,
}

/// `POST /settings/statuses/{id}/move`: one place up or down in its category.
pub async fn move_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<MoveForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, StatusId::new);
    let (app, m) = (&s.app, &signed.member);
    let direction = match form.to.as_str() {
        "up" => Ok(Direction::Up),
        "down" => Ok(Direction::Down),
        _ => Err("Move: up or down.".to_owned()),
    };
    let said = said(direction, |direction| async move {
        let moved = app.move_status(m, id, direction).await?;
        let (way, end) = match direction {
            Direction::Up => ("up", "first"),
            Direction::Down => ("down", "last"),
        };
        Ok::<_, AppError>(match moved {
            Some(st) => format!("Status “{}” moved {way}.", st.name),
            None => format!("That status is already the {end} of its category."),
        })
    })
    .await?;
    show::<StatusesPage>(&s, &signed, Some(said)).await
}

/// A status's expiry form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExpiryForm {
    after_amount: String,
    after_unit: String,
    to_status: String,
    to_pool: String,
    hold: String,
    overdue_amount: String,
    overdue_unit: String,
    calendar: String,
}

/// Seconds as the app takes them; a length past what it holds is refused by its range.
fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl ExpiryForm {
    fn input(&self) -> Result<ExpiryInput, Unread> {
        let after = duration("Expires after", &self.after_amount, &self.after_unit)?
            .ok_or_else(|| "Expires after: give how long a lead may stay.".to_owned())?;
        let to_status = picked("Then becomes", &self.to_status, StatusId::new)?
            .ok_or_else(|| "Then becomes: pick a status from the list.".to_owned())?;
        let (hold_while_task_pending, overdue) = match self.hold.as_str() {
            "" | "none" => (false, None),
            "pending" => (true, None),
            // An empty amount waits until the tasks are due, not overdue by any time.
            "overdue" => (
                false,
                Some(
                    duration("Overdue by", &self.overdue_amount, &self.overdue_unit)?
                        .unwrap_or_default(),
                ),
            ),
            _ => return Err("Tasks: pick one of the choices.".to_owned()),
        };
        Ok(ExpiryInput {
            after_seconds: seconds(after),
            to_status,
            to_pool: self.to_pool == "yes",
            hold_while_task_pending,
            task_overdue_after_seconds: overdue.map(seconds),
            calendar_id: picked("Counted in", &self.calendar, |c| c)?,
        })
    }
}

/// `POST /settings/statuses/{id}/expiry`: sets a status's expiry; leads already in it
/// follow the new rule at once.
pub async fn set_expiry(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<ExpiryForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, StatusId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.input(), |rule| async move {
        let st = app.set_status_expiry(m, id, Some(rule)).await?;
        let all = app.list_statuses(m).await?;
        let calendars = app.list_calendars(m).await?;
        let rule = expiry_words(&st, &all, &calendars).unwrap_or_default();
        Ok::<_, AppError>(format!(
            "Status “{}” now expires {rule}. Leads already in it follow this at once.",
            st.name
        ))
    })
    .await?;
    show::<StatusesPage>(&s, &signed, Some(said)).await
}

/// `POST /settings/statuses/{id}/expiry/remove`: the status no longer expires.
pub async fn remove_expiry(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, StatusId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = Said::of(app.set_status_expiry(m, id, None).await.map(|st| {
        format!(
            "Status “{}” no longer expires; its leads stay until someone moves them.",
            st.name
        )
    }))?;
    show::<StatusesPage>(&s, &signed, Some(said)).await
}
