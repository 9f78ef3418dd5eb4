//! Business-time arithmetic: open intervals as real instants, day by day, and the
//! `deadline`, `next_opening`, `open_time_between` and `is_open` built on them.
//!
//! Every loop walks forward one civil day at a time and is bounded: a calendar with no open
//! hours fails at once with `NeverOpen`, and [`SEARCH_DAYS`] closed days in a row fail with
//! `NoOpeningWithin`, so no input can loop forever.

use std::time::Duration;

use jiff::civil::Date;
use jiff::tz::AmbiguousOffset;
use jiff::{SignedDuration, Timestamp};

use super::{Calendar, CalendarError, MINUTES_PER_DAY, SEARCH_DAYS};

/// A real open interval `[start, end)`, `start < end`.
type Interval = (Timestamp, Timestamp);

fn out_of_range<E>(_: E) -> CalendarError {
    CalendarError::OutOfRange
}

impl Calendar {
    /// `t` itself if the calendar is open at `t`, else the next instant it opens.
    pub fn next_opening(&self, t: Timestamp) -> Result<Timestamp, CalendarError> {
        self.deadline_signed(t, SignedDuration::ZERO)
    }

    /// The instant when exactly `duration` of open time has passed since `start` (a start
    /// outside open hours counts from the next opening; a zero duration is `next_opening`).
    pub fn deadline(
        &self,
        start: Timestamp,
        duration: Duration,
    ) -> Result<Timestamp, CalendarError> {
        let duration = SignedDuration::try_from(duration).map_err(out_of_range)?;
        self.deadline_signed(start, duration)
    }

    fn deadline_signed(
        &self,
        start: Timestamp,
        mut remaining: SignedDuration,
    ) -> Result<Timestamp, CalendarError> {
        if self.week.is_always_closed() && self.holidays.iter().all(|h| h.open.is_empty()) {
            return Err(CalendarError::NeverOpen);
        }
        // Start a day early: a zone whose clocks fall back across midnight can put the first
        // instants of a local date before the previous date ends.
        let first = self.local_date(start).yesterday().map_err(out_of_range)?;
        let mut date = first;
        let mut closed_days = 0u32;
        loop {
            let mut counted = false;
            for (open, close) in self.open_intervals(date)? {
                if close <= start {
                    continue;
                }
                let from = open.max(start);
                let available = from.duration_until(close);
                if remaining <= available {
                    return from.checked_add(remaining).map_err(out_of_range);
                }
                remaining -= available;
                counted = true;
            }
            closed_days = if counted { 0 } else { closed_days + 1 };
            if closed_days > SEARCH_DAYS {
                return Err(CalendarError::NoOpeningWithin {
                    days: SEARCH_DAYS,
                    from: first,
                });
            }
            date = date.tomorrow().map_err(out_of_range)?;
        }
    }

    /// Total open time in `[a, b)`; zero when `b <= a`.
    pub fn open_time_between(&self, a: Timestamp, b: Timestamp) -> Duration {
        let mut total = SignedDuration::ZERO;
        if b <= a {
            return Duration::ZERO;
        }
        let mut date = self.local_date(a).yesterday().unwrap_or(Date::MIN);
        let last = self.local_date(b).tomorrow().unwrap_or(Date::MAX);
        while date <= last {
            // Only the first and last days jiff supports can fail, and no open interval of
            // a valid timestamp lies there.
            for (open, close) in self.open_intervals(date).unwrap_or_default() {
                let (from, to) = (open.max(a), close.min(b));
                if from < to {
                    total += from.duration_until(to);
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        Duration::try_from(total).unwrap_or(Duration::ZERO)
    }

    /// Whether `t` lies inside an open interval.
    pub fn is_open(&self, t: Timestamp) -> bool {
        let date = self.local_date(t);
        [date.yesterday().ok(), Some(date), date.tomorrow().ok()]
            .into_iter()
            .flatten()
            .flat_map(|d| self.open_intervals(d).unwrap_or_default())
            .any(|(open, close)| open <= t && t < close)
    }

    /// The civil date of `t` in the calendar's zone.
    fn local_date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    /// The open intervals of `date` as real instants, sorted; ranges that vanish in a
    /// spring-forward gap are left out.
    fn open_intervals(&self, date: Date) -> Result<Vec<Interval>, CalendarError> {
        let mut out = Vec::new();
        for r in self.hours_on(date) {
            let open = self.first_showing(date, r.start())?;
            let close = self.first_showing(date, r.end())?;
            if open < close {
                out.push((open, close));
            }
        }
        Ok(out)
    }

    /// The first instant the zone's clocks show `minute` on `date` (1440 is the next day's
    /// 00:00): a time in a gap becomes the instant the clocks jump over it, a time in a fold
    /// its first showing. Unlike `Compatible`, this never decreases as `minute` grows.
    fn first_showing(&self, date: Date, minute: u16) -> Result<Timestamp, CalendarError> {
        let (date, minute) = if minute >= MINUTES_PER_DAY {
            (
                date.tomorrow().map_err(out_of_range)?,
                minute - MINUTES_PER_DAY,
            )
        } else {
            (date, minute)
        };
        let hour = i8::try_from(minute / 60).map_err(out_of_range)?;
        let min = i8::try_from(minute % 60).map_err(out_of_range)?;
        let ambiguous = self.tz.to_ambiguous_timestamp(date.at(hour, min, 0, 0));
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => {
                // `earlier` lies just before the gap and `later` just past it; the jump is
                // the first transition after `earlier`.
                let before = ambiguous.earlier().map_err(out_of_range)?;
                let after = ambiguous.later().map_err(out_of_range)?;
                Ok(self
                    .tz
                    .following(before)
                    .next()
                    .map(|tr| tr.timestamp())
                    .filter(|jump| *jump <= after)
                    .unwrap_or(after))
            }
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
                ambiguous.earlier().map_err(out_of_range)
            }
        }
    }
}

#[cfg(test)]
mod tests;
