//! Instants as epoch milliseconds: the one representation that maps the same on both backends.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, stored as milliseconds since the Unix epoch and shown as RFC 3339.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 instant such as `2026-11-25T10:00:00Z`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| Self(t.as_millisecond()))
    }

    /// The instant to the minute in UTC, as people read it: `2026-11-25 14:03 UTC`.
    pub fn to_minute_utc(self) -> String {
        self.to_minute_in(&jiff::tz::TimeZone::UTC)
    }

    /// The instant to the minute on the clocks of `zone`, with the zone's abbreviation:
    /// `2026-11-25 09:03 EST`.
    pub fn to_minute_in(self, zone: &jiff::tz::TimeZone) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => t
                .to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string(),
            Err(_) => self.to_string(),
        }
    }

    /// This instant plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => t.fmt(f),
            Err(_) => write!(f, "@{}ms", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_rfc3339(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}` is not an RFC 3339 instant such as 2026-11-25T10:00:00Z"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rfc3339() {
        let t = Timestamp::from_millis(1_795_000_000_123);
        assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
    }

    #[test]
    fn rejects_a_date_without_a_time() {
        assert_eq!(Timestamp::parse_rfc3339("2026-11-25"), None);
    }

    #[test]
    fn reads_on_the_clocks_of_a_zone_with_its_abbreviation() {
        let t = Timestamp::parse_rfc3339("2026-11-25T14:03:59Z").unwrap_or(Timestamp(0));
        let new_york = jiff::tz::TimeZone::get("America/New_York").ok();
        assert_eq!(t.to_minute_utc(), "2026-11-25 14:03 UTC");
        assert_eq!(
            new_york.map(|z| t.to_minute_in(&z)).as_deref(),
            Some("2026-11-25 09:03 EST")
        );
    }
}
