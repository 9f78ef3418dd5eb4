//! The filter panel of the lead list: its fields as the query string carries them (so a
//! filtered list has a URL to reload, bookmark or go back to), what they ask the use case
//! for, and how the panel shows them.

use leadpool_app::leads::{LeadQuery, parse_sort, sort_name};
use leadpool_app::models::{LeadFilter, LeadSort};
use leadpool_domain::{SourceId, StatusId, Timestamp};
use serde::{Deserialize, Serialize};

use super::UiError;
use super::directory::Directory;
use super::session::read_urlencoded;
use super::view::Choice;

/// Leads a page of the list shows.
pub const PAGE: u32 = 50;

/// The filter panel's fields. Every field is text as the browser sends it; [`Filters::query`]
/// parses them, so a bad value is answered in words rather than as a bare 400.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Filters {
    /// `yes`: leads in a pool; `no` (or nothing): leads in no pool.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pool: String,
    /// Status ids.
    pub status: Vec<String>,
    /// Source ids.
    pub source: Vec<String>,
    /// Tags, comma-separated; a lead must carry all.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tags: String,
    /// Created on or after this day (`YYYY-MM-DD`, UTC).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// Created on or before this day.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Text in the name, an email or a phone number.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// The sort order's wire name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sort: String,
    /// Where the previous page ended.
    #[serde(skip_serializing)]
    pub cursor: String,
}

const SORTS: [(LeadSort, &str); 4] = [
    (LeadSort::CreatedDesc, "Newest first"),
    (LeadSort::CreatedAsc, "Oldest first"),
    (LeadSort::UpdatedDesc, "Recently changed"),
    (LeadSort::NameAsc, "Name A–Z"),
];

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Parses the ids a list of checkboxes sent (an empty one is none).
pub(super) fn ids<T>(what: &str, raw: &[String], make: fn(i64) -> T) -> Result<Vec<T>, UiError> {
    raw.iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map(make)
                .map_err(|_| UiError::bad_input(format!("“{s}” is not a {what} of this list.")))
        })
        .collect()
}

/// The Source checkboxes of a filter form, those in `chosen` ticked.
pub(super) fn source_choices(dir: &Directory, chosen: &[String]) -> Vec<Choice> {
    dir.sources
        .iter()
        .map(|s| Choice::new(s.id, &s.name, chosen.contains(&s.id.to_string())))
        .collect()
}

fn day(what: &str, s: &str) -> Result<Option<Timestamp>, UiError> {
    if s.is_empty() {
        return Ok(None);
    }
    Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z"))
        .map(Some)
        .ok_or_else(|| {
            UiError::bad_input(format!(
                "The {what} date “{s}” is not a day like 2026-11-25."
            ))
        })
}

impl Filters {
    /// Reads the filters from a query string (none at all is the default list).
    pub fn from_query(query: Option<&str>) -> Result<Self, UiError> {
        read_urlencoded(query.unwrap_or_default().as_bytes(), "filters")
    }

    /// Whether the list shows pool leads.
    pub fn in_pool(&self) -> bool {
        self.pool == "yes"
    }

    /// The list request these filters make.
    pub fn query(&self) -> Result<LeadQuery, UiError> {
        let trimmed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(LeadQuery {
            filter: LeadFilter {
                in_pool: Some(self.in_pool()),
                statuses: ids("status", &self.status, StatusId::new)?,
                sources: ids("source", &self.source, SourceId::new)?,
                tags: self.tags.split(',').filter_map(trimmed).collect(),
                created_from: day("from", &self.from)?,
                created_to: day("to", &self.to)?.map(|t| t.plus_millis(DAY_MS)),
                search: trimmed(&self.q),
                ..LeadFilter::default()
            },
            sort: if self.sort.is_empty() {
                LeadSort::default()
            } else {
                parse_sort(&self.sort)?
            },
            cursor: trimmed(&self.cursor),
            limit: Some(PAGE),
        })
    }

    /// The query string of these filters, without the cursor.
    pub fn to_query_string(&self) -> String {
        serde_html_form::to_string(self).unwrap_or_default()
    }

    /// Where the leads after `cursor` are, in the same filters.
    pub fn more(&self, cursor: &str) -> More {
        let mut q = self.to_query_string();
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&serde_html_form::to_string([("cursor", cursor)]).unwrap_or_default());
        More {
            page: format!("/leads?{q}"),
            rows: format!("/leads/rows?{q}"),
        }
    }

    /// The panel as it shows these filters.
    pub fn view(&self, dir: &Directory) -> FilterView {
        FilterView {
            in_pool: self.in_pool(),
            statuses: dir
                .statuses
                .iter()
                .map(|s| Choice::new(s.id, &s.name, self.status.contains(&s.id.to_string())))
                .collect(),
            sources: source_choices(dir, &self.source),
            tags: self.tags.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            q: self.q.clone(),
            sorts: SORTS
                .iter()
                .map(|(s, label)| {
                    let name = sort_name(*s);
                    let current = if self.sort.is_empty() {
                        *s == LeadSort::default()
                    } else {
                        self.sort == name
                    };
                    Choice::new(name, *label, current)
                })
                .collect(),
        }
    }
}

/// The "Load more" link: a whole next page without JS, just the rows with htmx.
#[derive(Debug)]
pub struct More {
    /// The next page.
    pub page: String,
    /// The next rows, to append.
    pub rows: String,
}

/// The filter panel, filled in.
#[derive(Debug)]
pub struct FilterView {
    /// "Lead pool: yes" is chosen.
    pub in_pool: bool,
    /// Status checkboxes.
    pub statuses: Vec<Choice>,
    /// Source checkboxes (none for roles that may not list sources).
    pub sources: Vec<Choice>,
    /// The tags box.
    pub tags: String,
    /// Created from (a day).
    pub from: String,
    /// Created to (a day).
    pub to: String,
    /// The search box.
    pub q: String,
    /// Sort orders.
    pub sorts: Vec<Choice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_is_leads_in_no_pool_newest_first() {
        let f = Filters::from_query(None).unwrap_or_default();
        let q = f.query().ok();
        assert_eq!(q.as_ref().and_then(|q| q.filter.in_pool), Some(false));
        assert_eq!(q.map(|q| q.sort), Some(LeadSort::CreatedDesc));
    }

    #[test]
    fn filters_parse_and_round_trip_through_the_query_string() {
        let f = Filters::from_query(Some(
            "pool=yes&status=2&status=3&source=&tags=vip,+hot&from=2026-11-01&to=2026-11-02&q=+ana+&sort=name&cursor=ab",
        ))
        .unwrap_or_default();
        let q = f.query().ok().unwrap_or_default();
        assert_eq!(q.filter.in_pool, Some(true));
        assert_eq!(q.filter.statuses, [StatusId::new(2), StatusId::new(3)]);
        assert!(q.filter.sources.is_empty());
        assert_eq!(q.filter.tags, ["vip", "hot"]);
        assert_eq!(q.filter.search.as_deref(), Some("ana"));
        assert_eq!(q.sort, LeadSort::NameAsc);
        assert_eq!(q.cursor.as_deref(), Some("ab"));
        let span = q
            .filter
            .created_to
            .map(Timestamp::as_millis)
            .unwrap_or_default()
            - q.filter
                .created_from
                .map(Timestamp::as_millis)
                .unwrap_or_default();
        assert_eq!(span, 2 * DAY_MS, "the to-day is included whole");
        assert_eq!(
            f.more("ff").rows,
            "/leads/rows?pool=yes&status=2&status=3&source=&tags=vip%2C+hot&from=2026-11-01&to=2026-11-02&q=+ana+&sort=name&cursor=ff"
        );
    }

    #[test]
    fn a_bad_day_or_id_is_refused_in_words() {
        let f = Filters::from_query(Some("from=yesterday")).unwrap_or_default();
        assert!(
            matches!(f.query(), Err(UiError::Shown { message, .. }) if message.contains("yesterday"))
        );
        let f = Filters::from_query(Some("status=new")).unwrap_or_default();
        assert!(f.query().is_err());
    }
}
