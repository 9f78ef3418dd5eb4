//! Working-hours calendars: an IANA time zone, open hours per weekday, holidays, and the
//! business-time arithmetic over them (`deadline`, `next_opening`, `open_time_between`).
//!
//! Hours are written in local wall-clock time and become real instants day by day with the
//! zone's rules, so all arithmetic is real elapsed time over open intervals, never wall-clock
//! subtraction. Each range end becomes the FIRST instant the zone's clocks show that time:
//! - a time skipped by a spring-forward gap becomes the instant the clocks jump, so on
//!   America/New_York's 2026-03-08 (02:00 jumps to 03:00) a range 01:30-03:30 is open for
//!   1 h and a range 02:00-02:30 not at all;
//! - a time shown twice in a fall-back fold is taken at its first showing, so on 2026-11-01
//!   (02:00 falls back to 01:00) a range 01:00-04:00 is open for 4 h.
//!
//! We use "first showing" rather than jiff's `Compatible` disambiguation for gaps because
//! `Compatible` moves a time inside a gap forward by the gap's length, which is not monotonic
//! (02:45 would map after 03:15) and would make a range such as 02:30-03:15 run backwards.
//!
//! Open ranges are half-open, `[start, end)`; `24:00` ends a day, and a day ending at 24:00
//! followed by a day opening at 00:00 is one continuous open stretch.

mod arith;
mod hours;

use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

pub use hours::parse_hours;

/// Minutes in a civil day; an [`OpenRange`] may end here (24:00).
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// How many consecutive days without open time `deadline` and `next_opening` search before
/// they give up with [`CalendarError::NoOpeningWithin`].
pub const SEARCH_DAYS: u32 = 400;

/// Why a calendar, its hours or a computation over it was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The time-zone name is not in the time-zone database.
    #[error("`{name}` is not an IANA time zone; use a name such as America/New_York")]
    UnknownZone {
        /// The name given.
        name: String,
    },
    /// A clock time is not `HH:MM` between 00:00 and 24:00.
    #[error("`{text}` is not a time; use HH:MM from 00:00 to 24:00")]
    BadTime {
        /// The text given.
        text: String,
    },
    /// A range is not of the form `HH:MM-HH:MM`.
    #[error("`{text}` is not a range of hours; use HH:MM-HH:MM, e.g. 09:00-17:00")]
    BadRange {
        /// The text given.
        text: String,
    },
    /// A range starts and ends at the same time.
    #[error("`{range}` is empty: it ends when it starts")]
    EmptyRange {
        /// The range given.
        range: String,
    },
    /// A range ends before it starts.
    #[error(
        "`{range}` ends before it starts; to stay open past midnight write two ranges, \
         e.g. `fri 22:00-24:00; sat 00:00-02:00`"
    )]
    EndsBeforeStart {
        /// The range given.
        range: String,
    },
    /// A day name is not one we know.
    #[error(
        "`{text}` is not a day; use mon, tue, wed, thu, fri, sat or sun, a range such as \
         mon-fri or a list such as mon,wed,fri"
    )]
    BadDay {
        /// The text given.
        text: String,
    },
    /// A `;`-separated part of the hours is not `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]`.
    #[error(
        "`{segment}` is not of the form `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]`, e.g. `mon-fri 09:00-17:00`"
    )]
    BadSegment {
        /// The part given.
        segment: String,
    },
    /// Two ranges of one day overlap.
    #[error("{day}: {first} overlaps {second}")]
    Overlap {
        /// The day, e.g. `monday` or `holiday 2026-12-24`.
        day: String,
        /// The earlier range.
        first: OpenRange,
        /// The range that starts inside it.
        second: OpenRange,
    },
    /// A holiday is not `YYYY-MM-DD`, optionally followed by hours.
    #[error(
        "`{text}` is not a holiday; use YYYY-MM-DD, optionally followed by hours such as `2026-12-24 09:00-12:00`"
    )]
    BadHoliday {
        /// The text given.
        text: String,
    },
    /// One date is listed as a holiday twice.
    #[error("holiday {date} is listed twice")]
    DuplicateHoliday {
        /// The date.
        date: Date,
    },
    /// The calendar has no open hours on any weekday nor any holiday.
    #[error("the calendar has no open hours on any day, so it never opens")]
    NeverOpen,
    /// The calendar stays closed for [`SEARCH_DAYS`] days in a row.
    #[error(
        "the calendar does not open in the {days} days from {from}: every one is closed or a holiday"
    )]
    NoOpeningWithin {
        /// How many days were searched.
        days: u32,
        /// The first day searched.
        from: Date,
    },
    /// The computation left the range of dates jiff supports (years -9999 to 9999).
    #[error("the result falls outside the supported dates (years -9999 to 9999)")]
    OutOfRange,
}

/// One open range of a day, `[start, end)` in minutes since local midnight; `end` may be 1440 (24:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenRange {
    start: u16,
    end: u16,
}

impl OpenRange {
    /// The range from `start` to `end` minutes after midnight; `start < end <= 1440`.
    pub fn new(start: u16, end: u16) -> Result<Self, CalendarError> {
        let range = || format!("{}-{}", Clock(start), Clock(end));
        if start > MINUTES_PER_DAY {
            return Err(CalendarError::BadTime {
                text: Clock(start).to_string(),
            });
        }
        if end > MINUTES_PER_DAY {
            return Err(CalendarError::BadTime {
                text: Clock(end).to_string(),
            });
        }
        match start.cmp(&end) {
            std::cmp::Ordering::Less => Ok(Self { start, end }),
            std::cmp::Ordering::Equal => Err(CalendarError::EmptyRange { range: range() }),
            std::cmp::Ordering::Greater => Err(CalendarError::EndsBeforeStart { range: range() }),
        }
    }

    /// Parses `HH:MM-HH:MM`, e.g. `09:00-17:00` or `22:00-24:00`.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        hours::parse_range(text)
    }

    /// Minutes after midnight when the range opens.
    pub const fn start(self) -> u16 {
        self.start
    }

    /// Minutes after midnight when the range closes (1440 is 24:00).
    pub const fn end(self) -> u16 {
        self.end
    }
}

impl fmt::Display for OpenRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", Clock(self.start), Clock(self.end))
    }
}

/// Minutes since midnight shown as `HH:MM`.
struct Clock(u16);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// Sorts `ranges`, refuses overlaps (naming `day`) and merges touching ranges
/// (09:00-12:00 and 12:00-13:00 become 09:00-13:00: the same open time, one spelling).
fn normalize(day: &str, mut ranges: Vec<OpenRange>) -> Result<Vec<OpenRange>, CalendarError> {
    ranges.sort();
    let mut out: Vec<OpenRange> = Vec::with_capacity(ranges.len());
    // The input range reaching furthest so far, so an overlap names ranges the user wrote.
    let mut furthest: Option<OpenRange> = None;
    for r in ranges {
        if let Some(prev) = furthest
            && r.start < prev.end
        {
            return Err(CalendarError::Overlap {
                day: day.to_owned(),
                first: prev,
                second: r,
            });
        }
        if furthest.is_none_or(|p| r.end > p.end) {
            furthest = Some(r);
        }
        match out.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ => out.push(r),
        }
    }
    Ok(out)
}

/// The lower-case English name of a weekday, as used in messages.
fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// Index of `day` in a Monday-first week.
fn day_index(day: Weekday) -> usize {
    usize::from(day.to_monday_zero_offset().unsigned_abs())
}

/// Open hours for each day of the week, Monday first; a day without ranges is closed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyHours([Vec<OpenRange>; 7]);

impl WeeklyHours {
    /// Closed every day.
    pub fn closed() -> Self {
        Self::default()
    }

    /// Sets the ranges of `day` (sorted, touching ones merged; overlaps refused).
    pub fn set(&mut self, day: Weekday, ranges: Vec<OpenRange>) -> Result<(), CalendarError> {
        self.0[day_index(day)] = normalize(day_name(day), ranges)?;
        Ok(())
    }

    /// The open ranges of `day`, sorted.
    pub fn day(&self, day: Weekday) -> &[OpenRange] {
        &self.0[day_index(day)]
    }

    /// The ranges of every day, Monday first.
    pub fn days(&self) -> &[Vec<OpenRange>; 7] {
        &self.0
    }

    /// Runs of consecutive days with the same hours, closed runs too, as `(first, last,
    /// ranges)` with days as Monday-first indexes: how people and the syntax group a week.
    pub fn runs(&self) -> Vec<(usize, usize, &[OpenRange])> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < 7 {
            let mut j = i;
            while j + 1 < 7 && self.0[j + 1] == self.0[i] {
                j += 1;
            }
            out.push((i, j, self.0[i].as_slice()));
            i = j + 1;
        }
        out
    }

    /// True when no day has any open range.
    pub fn is_always_closed(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
}

impl std::str::FromStr for WeeklyHours {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hours(s)
    }
}

/// A holiday in the syntax [`Holiday::parse`] reads back.
impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date)?;
        for (i, r) in self.open.iter().enumerate() {
            write!(f, "{}{r}", if i == 0 { " " } else { "," })?;
        }
        Ok(())
    }
}

impl fmt::Display for WeeklyHours {
    /// The hours syntax, runs of days with equal hours grouped: `mon-fri 09:00-17:00; sat 10:00-14:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut first = true;
        for (i, j, ranges) in self.runs() {
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            f.write_str(NAMES[i])?;
            if j > i {
                write!(f, "-{}", NAMES[j])?;
            }
            for (k, r) in ranges.iter().enumerate() {
                f.write_str(if k == 0 { " " } else { "," })?;
                write!(f, "{r}")?;
            }
        }
        Ok(())
    }
}

/// A date (in the calendar's zone) whose usual hours do not apply: closed all day when
/// `open` is empty, otherwise open only during `open`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    date: Date,
    open: Vec<OpenRange>,
}

impl Holiday {
    /// Closed all day on `date`.
    pub fn closed(date: Date) -> Self {
        Self {
            date,
            open: Vec::new(),
        }
    }

    /// Open only during `open` on `date` (sorted, touching ranges merged, overlaps refused).
    pub fn with_hours(date: Date, open: Vec<OpenRange>) -> Result<Self, CalendarError> {
        let open = normalize(&format!("holiday {date}"), open)?;
        Ok(Self { date, open })
    }

    /// Parses `2026-12-25` (closed) or `2026-12-24 09:00-12:00[,HH:MM-HH:MM]` (partial closure).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        hours::parse_holiday(text)
    }

    /// The date, in the calendar's zone.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The hours open on that date; empty when closed all day.
    pub fn open(&self) -> &[OpenRange] {
        &self.open
    }
}

/// A named working-hours calendar; built only through validating constructors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    tz: TimeZone,
    week: WeeklyHours,
    /// Sorted by date, one per date.
    holidays: Vec<Holiday>,
}

impl Calendar {
    /// Builds a calendar from a zone name, the hours syntax (see [`parse_hours`]) and holidays.
    pub fn new(
        name: impl Into<String>,
        tz_name: &str,
        hours: &str,
        holidays: Vec<Holiday>,
    ) -> Result<Self, CalendarError> {
        Self::from_parts(name, parse_tz(tz_name)?, parse_hours(hours)?, holidays)
    }

    /// Builds a calendar from parsed parts; refuses a date listed twice among the holidays.
    pub fn from_parts(
        name: impl Into<String>,
        tz: TimeZone,
        week: WeeklyHours,
        mut holidays: Vec<Holiday>,
    ) -> Result<Self, CalendarError> {
        holidays.sort_by_key(|h| h.date);
        if let Some(pair) = holidays.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(CalendarError::DuplicateHoliday { date: pair[0].date });
        }
        Ok(Self {
            name: name.into(),
            tz,
            week,
            holidays,
        })
    }

    /// The calendar's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone its hours and holidays are in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The usual weekly hours.
    pub fn week(&self) -> &WeeklyHours {
        &self.week
    }

    /// The holidays, sorted by date.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The ranges open on `date`: the holiday's hours if it is one, else its weekday's.
    pub fn hours_on(&self, date: Date) -> &[OpenRange] {
        match self.holidays.binary_search_by_key(&date, |h| h.date) {
            Ok(i) => &self.holidays[i].open,
            Err(_) => self.week.day(date.weekday()),
        }
    }
}

/// Looks up an IANA time-zone name (system tzdata, with the database built into the binary
/// as the fallback).
pub fn parse_tz(name: &str) -> Result<TimeZone, CalendarError> {
    TimeZone::get(name.trim()).map_err(|_| CalendarError::UnknownZone {
        name: name.to_owned(),
    })
}

/// The domain's epoch-millisecond instant as a `jiff::Timestamp`.
pub fn to_jiff(t: crate::time::Timestamp) -> Result<jiff::Timestamp, CalendarError> {
    jiff::Timestamp::from_millisecond(t.as_millis()).map_err(|_| CalendarError::OutOfRange)
}

/// A `jiff::Timestamp` as the domain's instant, truncated to the millisecond.
pub fn from_jiff(t: jiff::Timestamp) -> crate::time::Timestamp {
    crate::time::Timestamp::from_millis(t.as_millisecond())
}
