//! `leadpool calendar deadline`: when a deadline falls on a calendar given on the command
//! line (without touching a database) or on one an organization has stored.
//!
//! `--from` is a civil date-time in the calendar's zone (`2026-12-24T16:30:00`; a time that a
//! DST change skips or repeats is read the way jiff's `Compatible` rule reads it: after the gap,
//! first of the fold) or an RFC 3339 instant with an offset (`2026-12-24T21:30:00Z`).
//! `--duration` is jiff's friendly format (`2h`, `90m`, `1h30m`, `2h 30m`, `1.5h`) or ISO 8601
//! (`PT2H`); days and weeks are accepted as 24 and 168 hours of OPEN time (`3d` is 72 open
//! hours, not three business days). clap parses it through [`open_time`], so a bad value is
//! refused before a calendar is read or a database opened.

use std::time::Duration;

use anyhow::{Context, anyhow};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};
use leadpool_domain::calendar::{Calendar, CalendarError, Holiday, parse_hours, parse_tz};

/// Computes the deadline and returns the lines to print: the due instant in the calendar's
/// zone and in UTC (RFC 3339), then the open time counted and the wall-clock time elapsed.
pub fn deadline_command(
    tz: &str,
    hours: &str,
    holidays: &[String],
    from: &str,
    open: Duration,
) -> anyhow::Result<String> {
    let zone = parse_tz(tz).map_err(|e| anyhow!("--tz: {e}"))?;
    let week = parse_hours(hours).map_err(|e| anyhow!("--hours: {e}"))?;
    let holidays = holidays
        .iter()
        .map(|h| Holiday::parse(h).map_err(|e| anyhow!("--holiday: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let calendar = Calendar::from_parts("command line", zone, week, holidays)
        .map_err(|e| anyhow!("--holiday: {e}"))?;
    answer(&calendar, from, open, || {
        anyhow!("--hours: `{hours}` opens on no day of the week, so no deadline can ever fall due")
    })
}

/// Like [`deadline_command`], on the calendar `calendar_name` stored for the organization
/// `org_slug`.
pub async fn deadline_stored(
    app: &leadpool_app::App,
    org_slug: &str,
    calendar_name: &str,
    from: &str,
    open: Duration,
) -> anyhow::Result<String> {
    let org = app.org_by_slug(org_slug).await?;
    let stored = app.calendar_by_name(&org, calendar_name).await?;
    let calendar = stored.to_calendar()?;
    answer(&calendar, from, open, || {
        anyhow!(
            "calendar `{calendar_name}` of {org_slug} opens on no day of the week, so no deadline \
             can ever fall due; give it hours through the API"
        )
    })
}

/// Parses `--from`, counts `open` time on `calendar` from it and returns the lines to
/// print; `never_open` explains a calendar with no open hours at all.
fn answer(
    calendar: &Calendar,
    from: &str,
    open: Duration,
    never_open: impl FnOnce() -> anyhow::Error,
) -> anyhow::Result<String> {
    let zone = calendar.time_zone();
    let start = parse_from(from, zone)?;

    let due = calendar.deadline(start, open).map_err(|e| match e {
        CalendarError::NeverOpen => never_open(),
        other => anyhow!("{other}"),
    })?;

    let zone_name = zone.iana_name().unwrap_or("the calendar's zone");
    let local = due.display_with_offset(zone.to_offset(due));
    let counted = SignedDuration::try_from(open).context("--duration is too long")?;
    let elapsed = start.duration_until(due);
    Ok(format!(
        "due ({zone_name}): {local}\ndue (UTC): {due}\nopen time counted: {counted:#}; wall-clock time elapsed: {elapsed:#}\n"
    ))
}

/// A civil date-time in `zone`, or an instant with an offset.
fn parse_from(from: &str, zone: &TimeZone) -> anyhow::Result<Timestamp> {
    let text = from.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil: DateTime = text.parse().map_err(|_| {
        anyhow!(
            "--from: `{from}` is not a date-time; use a local time in the calendar's zone \
             such as 2026-12-24T16:30:00, or an instant such as 2026-12-24T21:30:00Z"
        )
    })?;
    zone.to_timestamp(civil)
        .map_err(|_| anyhow!("--from: `{from}` is outside the supported dates"))
}

/// clap's value parser for `calendar deadline --duration`: a non-negative amount of open
/// time, days and weeks counting as 24 and 168 hours. clap names the flag and the value
/// before the message.
pub fn open_time(text: &str) -> Result<Duration, String> {
    let bad = || {
        "not a duration; use e.g. 2h, 90m, 1h30m, \"2h 30m\", 1.5h or 3d \
         (a day counts as 24 hours of open time)"
            .to_owned()
    };
    let trimmed = text.trim();
    let signed = match trimmed.parse::<SignedDuration>() {
        Ok(d) => d,
        Err(_) => trimmed
            .parse::<Span>()
            .ok()
            .and_then(|s| s.to_duration(SpanRelativeTo::days_are_24_hours()).ok())
            .ok_or_else(bad)?,
    };
    if signed.is_negative() {
        return Err("negative; give the open time to count, e.g. 2h".to_owned());
    }
    Duration::try_from(signed).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command's output, or its error as `error: …`; `duration` goes through clap's
    /// value parser first, as on the command line.
    fn run(tz: &str, hours: &str, holidays: &[&str], from: &str, duration: &str) -> String {
        let holidays: Vec<String> = holidays.iter().map(|h| h.to_string()).collect();
        let open = open_time(duration).expect("parse --duration");
        match deadline_command(tz, hours, &holidays, from, open) {
            Ok(out) => out,
            Err(e) => format!("error: {e:#}"),
        }
    }

    const TWO_HOURS: Duration = Duration::from_secs(2 * 3_600);

    #[test]
    fn the_issue_example_is_due_monday_morning_in_new_york_and_in_utc() {
        let out = run(
            "America/New_York",
            "mon-fri 09:00-17:00",
            &["2026-12-25"],
            "2026-12-24T16:30:00",
            "2h",
        );
        assert_eq!(
            out,
            "due (America/New_York): 2026-12-28T10:30:00-05:00\n\
             due (UTC): 2026-12-28T15:30:00Z\n\
             open time counted: 2h; wall-clock time elapsed: 90h\n"
        );
    }

    #[test]
    fn from_may_be_an_instant_and_duration_may_use_minutes_or_days() {
        let at = |from: &str, duration: &str| {
            run("Europe/London", "mon-sun 00:00-24:00", &[], from, duration)
        };
        assert!(at("2026-06-01T08:00:00Z", "90m").contains("due (UTC): 2026-06-01T09:30:00Z"));
        assert!(
            at("2026-06-01T10:00:00+02:00", "1h30m").contains("due (UTC): 2026-06-01T09:30:00Z")
        );
        assert!(at("2026-06-01T09:00:00", "2h 30m").contains("due (UTC): 2026-06-01T10:30:00Z"));
        let out = at("2026-06-01T09:00:00", "3d");
        assert!(out.contains("due (UTC): 2026-06-04T08:00:00Z"), "{out}");
        assert!(out.contains("open time counted: 72h"), "{out}");
    }

    #[tokio::test]
    async fn a_stored_calendar_answers_like_the_flags_and_a_wrong_name_lists_the_known_ones() {
        use leadpool_store::calendars::NewCalendar;
        let Some(db) = leadpool_testkit::TestStore::new(leadpool_testkit::Backend::Sqlite).await
        else {
            return;
        };
        let app = leadpool_app::App::new(
            db.store.clone(),
            std::sync::Arc::new(leadpool_testkit::FakeClock::new()),
            leadpool_app::Settings::default(),
        );
        let org = app
            .create_org(&leadpool_app::bootstrap::NewOrg {
                slug: "acme",
                name: "Acme Realty",
                statuses: leadpool_app::bootstrap::DEFAULT_STATUSES,
            })
            .await
            .expect("the organization is created");
        let mut tx = db.store.write().await.expect("a write transaction begins");
        tx.insert_calendar(
            org.id,
            &NewCalendar {
                name: "New York Office".into(),
                time_zone: "America/New_York".into(),
                hours: "mon-fri 09:00-17:00".into(),
                holidays: vec!["2026-12-25".into()],
                is_default: true,
            },
            app.now(),
        )
        .await
        .expect("the calendar is stored");
        tx.commit().await.expect("committed");

        let out = deadline_stored(
            &app,
            "acme",
            "New York Office",
            "2026-12-24T16:30:00",
            TWO_HOURS,
        )
        .await
        .expect("the deadline is computed");
        assert_eq!(
            out,
            run(
                "America/New_York",
                "mon-fri 09:00-17:00",
                &["2026-12-25"],
                "2026-12-24T16:30:00",
                "2h"
            )
        );
        let err = deadline_stored(&app, "acme", "Boston", "2026-12-24T16:30:00", TWO_HOURS)
            .await
            .expect_err("no such calendar");
        assert_eq!(
            err.to_string(),
            "calendar: acme has no calendar named `Boston`; its calendars are: New York Office"
        );
        let err = deadline_stored(&app, "nope", "Boston", "2026-12-24T16:30:00", TWO_HOURS)
            .await
            .expect_err("no such organization");
        assert_eq!(err.to_string(), "org: no organization has the slug `nope`");
    }

    #[test]
    fn a_bad_zone_names_the_tz_flag() {
        assert_eq!(
            run(
                "Mars/Olympus",
                "mon 09:00-17:00",
                &[],
                "2026-12-24T16:30:00",
                "2h"
            ),
            "error: --tz: `Mars/Olympus` is not an IANA time zone; use a name such as America/New_York"
        );
    }

    #[test]
    fn bad_hours_name_the_hours_flag() {
        assert_eq!(
            run(
                "UTC",
                "mon 09:00-12:00,11:00-13:00",
                &[],
                "2026-12-24T16:30:00",
                "2h"
            ),
            "error: --hours: monday: 09:00-12:00 overlaps 11:00-13:00"
        );
        assert_eq!(
            run(
                "UTC",
                "mon-fri 9:00-17:00",
                &[],
                "2026-12-24T16:30:00",
                "2h"
            ),
            "error: --hours: `9:00` is not a time; use HH:MM from 00:00 to 24:00"
        );
        assert_eq!(
            run("UTC", "", &[], "2026-12-24T16:30:00", "2h"),
            "error: --hours: `` opens on no day of the week, so no deadline can ever fall due"
        );
    }

    #[test]
    fn a_bad_from_names_the_from_flag() {
        let out = run("UTC", "mon 09:00-17:00", &[], "next tuesday", "2h");
        assert!(
            out.starts_with("error: --from: `next tuesday` is not a date-time"),
            "{out}"
        );
    }

    #[test]
    fn durations_take_the_friendly_and_the_iso_format_with_days_of_24_open_hours() {
        let minutes = |m: u64| Ok(Duration::from_secs(m * 60));
        assert_eq!(open_time("2h"), minutes(120));
        assert_eq!(open_time("90m"), minutes(90));
        assert_eq!(open_time("1h30m"), minutes(90));
        assert_eq!(open_time("2h 30m"), minutes(150));
        assert_eq!(open_time(" 1.5h "), minutes(90));
        assert_eq!(open_time("PT2H"), minutes(120));
        assert_eq!(open_time("3d"), minutes(72 * 60));
        assert_eq!(open_time("1w"), minutes(168 * 60));
        assert_eq!(open_time("0s"), minutes(0));
    }

    #[test]
    fn a_bad_duration_is_refused_by_clap_naming_the_flag_and_the_value() {
        use clap::Parser;
        let parse = |duration: &str| {
            let args = [
                "leadpool",
                "calendar",
                "deadline",
                "--tz",
                "UTC",
                "--hours",
                "mon 09:00-17:00",
                "--from",
                "2026-12-24T16:30:00",
                "--duration",
                duration,
            ];
            crate::cli::Cli::try_parse_from(args).map_err(|e| e.to_string())
        };
        for (bad, why) in [
            ("2", "not a duration; use e.g. 2h, 90m, 1h30m"),
            ("2 hours and a bit", "not a duration"),
            ("", "not a duration"),
            ("-2h", "negative; give the open time to count, e.g. 2h"),
            ("2h ago", "negative"),
        ] {
            let err = parse(bad).expect_err(bad);
            let expected = format!("invalid value '{bad}' for '--duration <DURATION>': {why}");
            assert!(err.contains(&expected), "{bad}: {err}");
        }
        assert!(parse("1.5h").is_ok());
    }

    #[test]
    fn bad_holidays_name_their_flag() {
        let out = run(
            "UTC",
            "mon 09:00-17:00",
            &["25/12/2026"],
            "2026-12-24T16:30:00",
            "2h",
        );
        assert!(
            out.starts_with("error: --holiday: `25/12/2026` is not a holiday"),
            "{out}"
        );
        let out = run(
            "UTC",
            "mon 09:00-17:00",
            &["2026-12-25", "2026-12-25"],
            "2026-12-24T16:30:00",
            "2h",
        );
        assert_eq!(out, "error: --holiday: holiday 2026-12-25 is listed twice");
    }
}
