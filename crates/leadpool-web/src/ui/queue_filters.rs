//! The queue page's filters and order as the query string carries them (so a filtered queue
//! has a URL to reload or go back to), what they ask the use case for, and how the form
//! shows them. The lead list's filter panel (`filters.rs`) is the model.

use leadpool_app::distribute::{QueueQuery, QueuedLead};
use leadpool_app::models::{QueuePlace, QueueSort};
use leadpool_domain::SourceId;
use serde::{Deserialize, Serialize};

use super::UiError;
use super::directory::Directory;
use super::filters::{More, ids, source_choices};
use super::session::read_urlencoded;
use super::view::Choice;

/// Leads a page of the queue shows.
pub const PAGE: u32 = 50;

const HOUR_MS: i64 = 3600 * 1000;

/// How long a lead has waited at least, by wire name.
const AGES: [(&str, &str, i64); 3] = [
    ("1h", "Over an hour", HOUR_MS),
    ("1d", "Over a day", 24 * HOUR_MS),
    ("1w", "Over a week", 7 * 24 * HOUR_MS),
];

/// The orders, by wire name; the first is the default.
const SORTS: [(&str, &str, QueueSort); 2] = [
    ("oldest", "Waiting longest first", QueueSort::OldestFirst),
    (
        "newest",
        "Newest in the queue first",
        QueueSort::NewestFirst,
    ),
];

/// The queue's filter fields, as text the browser sends; [`QueueFilters::query`] parses them
/// so a bad value is answered in words.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct QueueFilters {
    /// Source ids.
    pub source: Vec<String>,
    /// Why the lead entered the queue, exactly as recorded.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Waiting at least this long: a wire name of [`AGES`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub age: String,
    /// A wire name of [`SORTS`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sort: String,
    /// Where the previous page ended: `<since in ms>.<lead id>`.
    #[serde(skip_serializing)]
    pub after: String,
}

fn sort_of(name: &str) -> Result<QueueSort, UiError> {
    if name.is_empty() {
        return Ok(QueueSort::default());
    }
    SORTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, s)| *s)
        .ok_or_else(|| UiError::bad_input(format!("“{name}” is not an order of the queue.")))
}

fn parse_place(raw: &str) -> Result<QueuePlace, UiError> {
    QueuePlace::parse_cursor(raw)
        .ok_or_else(|| UiError::bad_input(format!("“{raw}” is not a place in the queue.")))
}

impl QueueFilters {
    /// Reads the filters from a query string (none at all is the whole queue, oldest first).
    pub fn from_query(query: Option<&str>) -> Result<Self, UiError> {
        read_urlencoded(query.unwrap_or_default().as_bytes(), "page")
    }

    /// Whether any filter narrows the queue.
    pub fn narrowed(&self) -> bool {
        self.source.iter().any(|s| !s.is_empty()) || !self.reason.is_empty() || !self.age.is_empty()
    }

    /// These filters and order as a query string, without the place in the queue.
    pub fn query_string(&self) -> String {
        serde_html_form::to_string(self).unwrap_or_default()
    }

    /// Whether the newest in the queue come first.
    pub fn newest_first(&self) -> bool {
        self.sort == SORTS[1].0
    }

    /// The first page in these filters, when this is a later one.
    pub fn first_page(&self) -> Option<String> {
        if self.after.trim().is_empty() {
            return None;
        }
        let q = self.query_string();
        Some(if q.is_empty() {
            "/queue".to_owned()
        } else {
            format!("/queue?{q}")
        })
    }

    /// The queue request these filters make.
    pub fn query(&self) -> Result<QueueQuery, UiError> {
        let waiting_over_ms = match self.age.as_str() {
            "" => None,
            age => Some(
                AGES.iter()
                    .find(|(n, _, _)| *n == age)
                    .map(|(_, _, ms)| *ms)
                    .ok_or_else(|| {
                        UiError::bad_input(format!("“{age}” is not a waiting time to filter by."))
                    })?,
            ),
        };
        Ok(QueueQuery {
            sources: ids("source", &self.source, SourceId::new)?,
            reason: Some(self.reason.clone()).filter(|r| !r.is_empty()),
            waiting_over_ms,
            sort: sort_of(&self.sort)?,
            after: match self.after.trim() {
                "" => None,
                raw => Some(parse_place(raw)?),
            },
            limit: Some(PAGE),
        })
    }

    /// Where the leads after `last` are, in the same filters and order.
    pub fn more(&self, last: &QueuedLead) -> More {
        let mut q = self.query_string();
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(
            &serde_html_form::to_string([("after", last.place().cursor())]).unwrap_or_default(),
        );
        More {
            page: format!("/queue?{q}"),
            rows: format!("/queue/rows?{q}"),
        }
    }

    /// The form as it shows these filters, with `reasons` to choose from.
    pub fn view(&self, dir: &Directory, reasons: Vec<String>) -> QueueFilterView {
        let mut reasons: Vec<Choice> = reasons
            .into_iter()
            .map(|r| {
                let current = r == self.reason;
                Choice::new(&r, &r, current)
            })
            .collect();
        // A reason asked for that no lead has any more still shows as chosen.
        if !self.reason.is_empty() && !reasons.iter().any(|c| c.checked) {
            reasons.push(Choice::new(&self.reason, &self.reason, true));
        }
        QueueFilterView {
            sources: source_choices(dir, &self.source),
            reasons,
            ages: AGES
                .iter()
                .map(|(n, label, _)| Choice::new(n, label, self.age == *n))
                .collect(),
            sorts: SORTS
                .iter()
                .enumerate()
                .map(|(i, (n, label, _))| {
                    Choice::new(
                        n,
                        label,
                        self.sort == *n || (i == 0 && self.sort.is_empty()),
                    )
                })
                .collect(),
            query: self.query_string(),
        }
    }
}

/// The queue's filter form, filled in.
#[derive(Debug)]
pub struct QueueFilterView {
    /// Source checkboxes (none for roles that may not list sources).
    pub sources: Vec<Choice>,
    /// The reasons leads wait with.
    pub reasons: Vec<Choice>,
    /// Waiting times.
    pub ages: Vec<Choice>,
    /// Orders.
    pub sorts: Vec<Choice>,
    /// The filters as a query string: the Assign form sends it back, so its answer can
    /// recount the leads they match.
    pub query: String,
}

#[cfg(test)]
mod tests {
    use leadpool_domain::{LeadId, Timestamp};

    use super::*;

    #[test]
    fn the_default_queue_is_all_of_it_oldest_first() {
        let q = QueueFilters::from_query(None)
            .and_then(|f| f.query())
            .ok()
            .unwrap_or_default();
        assert_eq!(q.sort, QueueSort::OldestFirst);
        assert!(q.sources.is_empty() && q.reason.is_none() && q.waiting_over_ms.is_none());
    }

    #[test]
    fn filters_parse_and_the_next_page_keeps_them() {
        let f = QueueFilters::from_query(Some(
            "source=2&source=&reason=no+rule+matched&age=1d&sort=newest&after=5000.7",
        ))
        .unwrap_or_default();
        let q = f.query().ok().unwrap_or_default();
        assert_eq!(q.sources, [SourceId::new(2)]);
        assert_eq!(q.reason.as_deref(), Some("no rule matched"));
        assert_eq!(q.waiting_over_ms, Some(24 * HOUR_MS));
        assert_eq!(q.sort, QueueSort::NewestFirst);
        assert_eq!(
            q.after,
            Some(QueuePlace {
                since: Timestamp::from_millis(5000),
                lead: LeadId::new(7)
            })
        );
        assert!(f.narrowed());
        assert_eq!(
            f.first_page().as_deref(),
            Some("/queue?source=2&source=&reason=no+rule+matched&age=1d&sort=newest")
        );
        assert_eq!(QueueFilters::default().first_page(), None);
    }

    #[test]
    fn a_bad_age_order_or_place_is_refused_in_words() {
        for bad in [
            "age=soon",
            "sort=random",
            "after=7",
            "after=x.7",
            "source=web",
        ] {
            let f = QueueFilters::from_query(Some(bad)).unwrap_or_default();
            assert!(f.query().is_err(), "{bad}");
        }
    }
}
