use jiff::civil::{DateTime, date};
use proptest::prelude::*;

use super::super::{Holiday, OpenRange, WeeklyHours, parse_tz};
use super::*;

const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

fn calendar(tz: &str, hours: &str, holidays: &[&str]) -> Calendar {
    let holidays = holidays
        .iter()
        .map(|h| Holiday::parse(h).unwrap_or_else(|e| panic!("{h}: {e}")))
        .collect();
    Calendar::new("test", tz, hours, holidays).expect("build the calendar")
}

/// `local` (a civil date-time in the calendar's zone) as an instant.
fn at(cal: &Calendar, local: &str) -> Timestamp {
    let dt: DateTime = local.parse().unwrap_or_else(|e| panic!("{local}: {e}"));
    cal.tz
        .to_timestamp(dt)
        .unwrap_or_else(|e| panic!("{local}: {e}"))
}

fn utc(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn deadline(cal: &Calendar, start: Timestamp, d: Duration) -> Timestamp {
    cal.deadline(start, d).expect("compute the deadline")
}

/// Open time on `day` (local) in the calendar's zone.
fn open_on(cal: &Calendar, day: &str) -> Duration {
    let d: Date = day.parse().unwrap_or_else(|e| panic!("{day}: {e}"));
    let next = d.tomorrow().expect("the day after");
    let a = cal
        .tz
        .to_timestamp(d.at(0, 0, 0, 0))
        .expect("the day's start");
    let b = cal
        .tz
        .to_timestamp(next.at(0, 0, 0, 0))
        .expect("the next day's start");
    cal.open_time_between(a, b)
}

#[test]
fn a_two_hour_window_from_christmas_eve_afternoon_falls_due_the_next_monday() {
    let cal = calendar("America/New_York", "mon-fri 09:00-17:00", &["2026-12-25"]);
    let start = at(&cal, "2026-12-24T16:30:00");
    // 30 min on Thursday the 24th, Friday the 25th is a holiday, then the weekend.
    let due = deadline(&cal, start, 2 * HOUR);
    assert_eq!(due, utc("2026-12-28T15:30:00Z"));
    assert_eq!(due, at(&cal, "2026-12-28T10:30:00"));
    assert_eq!(cal.open_time_between(start, due), 2 * HOUR);
}

#[test]
fn a_start_inside_hours_counts_from_the_start_and_may_end_exactly_at_closing() {
    let cal = calendar("Europe/London", "mon-fri 09:00-17:00", &[]);
    let start = at(&cal, "2026-06-10T16:00:00");
    assert_eq!(deadline(&cal, start, HOUR), at(&cal, "2026-06-10T17:00:00"));
    assert_eq!(
        deadline(&cal, start, HOUR + MINUTE),
        at(&cal, "2026-06-11T09:01:00")
    );
}

#[test]
fn a_start_outside_hours_counts_from_the_next_opening() {
    let cal = calendar("Europe/London", "mon-fri 09:00-12:00,13:00-17:00", &[]);
    let lunch = at(&cal, "2026-06-10T12:15:00");
    assert_eq!(cal.next_opening(lunch), Ok(at(&cal, "2026-06-10T13:00:00")));
    assert_eq!(
        deadline(&cal, lunch, 30 * MINUTE),
        at(&cal, "2026-06-10T13:30:00")
    );
    let saturday = at(&cal, "2026-06-13T10:00:00");
    assert_eq!(
        deadline(&cal, saturday, HOUR),
        at(&cal, "2026-06-15T10:00:00")
    );
    assert!(!cal.is_open(lunch));
    assert!(cal.is_open(at(&cal, "2026-06-10T09:00:00")));
    assert!(!cal.is_open(at(&cal, "2026-06-10T17:00:00")));
}

#[test]
fn an_overnight_shift_written_as_two_days_is_one_continuous_stretch() {
    let cal = calendar("America/New_York", "fri 22:00-24:00; sat 00:00-02:00", &[]);
    let start = at(&cal, "2026-06-12T23:00:00");
    assert_eq!(
        deadline(&cal, start, 2 * HOUR),
        at(&cal, "2026-06-13T01:00:00")
    );
    let midnight = at(&cal, "2026-06-13T00:00:00");
    assert!(cal.is_open(midnight));
    assert_eq!(cal.next_opening(midnight), Ok(midnight));
    assert_eq!(
        cal.open_time_between(
            at(&cal, "2026-06-12T00:00:00"),
            at(&cal, "2026-06-14T00:00:00")
        ),
        4 * HOUR
    );
}

#[test]
fn a_partial_holiday_replaces_that_days_hours() {
    let cal = calendar(
        "America/New_York",
        "mon-fri 09:00-17:00",
        &["2026-12-24 09:00-12:00", "2026-12-26 10:00-11:00"],
    );
    let start = at(&cal, "2026-12-24T11:00:00");
    // 1 h until noon on the 24th, then 30 min from 09:00 on Friday the 25th.
    assert_eq!(
        deadline(&cal, start, 90 * MINUTE),
        at(&cal, "2026-12-25T09:30:00")
    );
    // A holiday with hours opens a Saturday that is usually closed.
    assert_eq!(open_on(&cal, "2026-12-26"), HOUR);
    assert_eq!(open_on(&cal, "2026-12-24"), 3 * HOUR);
}

#[test]
fn a_two_hour_window_starting_thirty_minutes_before_the_gap_still_gets_two_open_hours() {
    let cal = calendar("America/New_York", "sun 00:00-06:00", &[]);
    let start = at(&cal, "2026-03-08T01:30:00");
    let due = deadline(&cal, start, 2 * HOUR);
    // 01:30 EST to 02:00 EST, the clocks jump to 03:00 EDT, 1 h 30 more: 04:30 EDT.
    assert_eq!(due, utc("2026-03-08T08:30:00Z"));
    assert_eq!(cal.open_time_between(start, due), 2 * HOUR);
}

/// (zone, start in local time, expected UTC instant 2 h of open time later on a 24/7 calendar)
const ROUND_THE_CLOCK: &[(&str, &str, &str)] = &[
    // Spring forward 02:00 EST -> 03:00 EDT.
    (
        "America/New_York",
        "2026-03-08T01:30:00",
        "2026-03-08T08:30:00Z",
    ),
    // Fall back 02:00 EDT -> 01:00 EST.
    (
        "America/New_York",
        "2026-11-01T00:30:00",
        "2026-11-01T06:30:00Z",
    ),
    // Spring forward 01:00 GMT -> 02:00 BST.
    (
        "Europe/London",
        "2026-03-29T00:30:00",
        "2026-03-29T02:30:00Z",
    ),
    // Fall back 02:00 BST -> 01:00 GMT.
    (
        "Europe/London",
        "2026-10-25T00:30:00",
        "2026-10-25T01:30:00Z",
    ),
    // Fall back 02:00 +11 -> 01:30 +10:30.
    (
        "Australia/Lord_Howe",
        "2026-04-05T01:00:00",
        "2026-04-04T16:00:00Z",
    ),
    // Spring forward 02:00 +10:30 -> 02:30 +11.
    (
        "Australia/Lord_Howe",
        "2026-10-04T01:30:00",
        "2026-10-03T17:00:00Z",
    ),
];

#[test]
fn two_hours_across_a_dst_change_on_a_round_the_clock_calendar_are_two_real_hours() {
    for &(tz, local, expected) in ROUND_THE_CLOCK {
        let cal = calendar(tz, "mon-sun 00:00-24:00", &[]);
        let start = at(&cal, local);
        let due = deadline(&cal, start, 2 * HOUR);
        assert_eq!(due, utc(expected), "{tz} from {local}");
        assert_eq!(
            start.duration_until(due),
            SignedDuration::from_hours(2),
            "{tz}"
        );
    }
}

/// (zone, DST-change day, open time of a 01:00-04:00 range that day)
const ONE_TO_FOUR: &[(&str, &str, Duration)] = &[
    (
        "America/New_York",
        "2026-03-08",
        Duration::from_secs(2 * 3600),
    ),
    (
        "America/New_York",
        "2026-11-01",
        Duration::from_secs(4 * 3600),
    ),
    ("Europe/London", "2026-03-29", Duration::from_secs(2 * 3600)),
    ("Europe/London", "2026-10-25", Duration::from_secs(4 * 3600)),
    (
        "Australia/Lord_Howe",
        "2026-04-05",
        Duration::from_secs(3 * 3600 + 1800),
    ),
    (
        "Australia/Lord_Howe",
        "2026-10-04",
        Duration::from_secs(2 * 3600 + 1800),
    ),
    (
        "Australia/Lord_Howe",
        "2026-10-05",
        Duration::from_secs(3 * 3600),
    ),
];

#[test]
fn a_one_to_four_range_on_a_dst_change_day_is_open_for_the_real_time_between() {
    for &(tz, day, expected) in ONE_TO_FOUR {
        let cal = calendar(tz, "mon-sun 01:00-04:00", &[]);
        assert_eq!(open_on(&cal, day), expected, "{tz} {day}");
    }
}

#[test]
fn ranges_in_a_spring_forward_gap_open_when_the_clocks_jump() {
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
    let cal = calendar("America/New_York", "sun 02:00-02:30", &[]);
    assert_eq!(open_on(&cal, "2026-03-08"), Duration::ZERO);
    assert_eq!(open_on(&cal, "2026-03-15"), 30 * MINUTE);
    let cal = calendar("America/New_York", "sun 02:30-03:30", &[]);
    assert_eq!(open_on(&cal, "2026-03-08"), 30 * MINUTE);
    let start = at(&cal, "2026-03-08T00:00:00");
    assert_eq!(cal.next_opening(start), Ok(utc("2026-03-08T07:00:00Z")));
    let cal = calendar("America/New_York", "sun 01:30-03:30", &[]);
    assert_eq!(open_on(&cal, "2026-03-08"), HOUR);
}

#[test]
fn a_range_ending_inside_a_fall_back_fold_closes_at_its_first_showing() {
    // New York 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 is shown twice.
    let cal = calendar("America/New_York", "sun 00:00-01:30", &[]);
    assert_eq!(open_on(&cal, "2026-11-01"), 90 * MINUTE);
    let start = at(&cal, "2026-11-01T00:00:00");
    assert_eq!(
        deadline(&cal, start, 90 * MINUTE),
        utc("2026-11-01T05:30:00Z")
    );
}

#[test]
fn a_calendar_with_no_open_hours_is_never_open() {
    let cal = calendar("UTC", "", &["2026-12-25"]);
    let t = utc("2026-06-01T00:00:00Z");
    assert_eq!(cal.deadline(t, HOUR), Err(CalendarError::NeverOpen));
    assert_eq!(cal.next_opening(t), Err(CalendarError::NeverOpen));
    assert_eq!(
        CalendarError::NeverOpen.to_string(),
        "the calendar has no open hours on any day, so it never opens"
    );
    assert_eq!(
        cal.open_time_between(t, utc("2027-06-01T00:00:00Z")),
        Duration::ZERO
    );
}

#[test]
fn a_calendar_closed_by_holidays_for_more_than_a_year_gives_up_with_an_error() {
    let mondays: Vec<Holiday> = std::iter::successors(Some(date(2026, 1, 5)), |d| {
        d.checked_add(jiff::Span::new().days(7)).ok()
    })
    .take_while(|d| d.year() < 2028)
    .map(Holiday::closed)
    .collect();
    let cal = Calendar::from_parts(
        "mondays",
        parse_tz("UTC").expect("parse UTC"),
        "mon 09:00-10:00".parse().expect("parse the hours"),
        mondays,
    )
    .expect("build the calendar");
    let t = utc("2026-01-01T00:00:00Z");
    assert_eq!(
        cal.next_opening(t),
        Err(CalendarError::NoOpeningWithin {
            days: SEARCH_DAYS,
            from: date(2025, 12, 31)
        })
    );
    // A later start finds the first Monday of 2028.
    let t = utc("2027-06-01T00:00:00Z");
    assert_eq!(cal.next_opening(t), Ok(utc("2028-01-03T09:00:00Z")));
}

#[test]
fn a_later_end_than_start_has_no_open_time_between() {
    let cal = calendar("UTC", "mon-sun 00:00-24:00", &[]);
    let (a, b) = (utc("2026-06-02T00:00:00Z"), utc("2026-06-01T00:00:00Z"));
    assert_eq!(cal.open_time_between(a, b), Duration::ZERO);
    assert_eq!(cal.open_time_between(b, a), 24 * HOUR);
}

#[test]
fn calendar_errors_name_what_is_wrong() {
    let e = |r: Result<Calendar, CalendarError>| r.map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        e(Calendar::new(
            "x",
            "Mars/Olympus",
            "mon 09:00-17:00",
            vec![]
        )),
        Err("`Mars/Olympus` is not an IANA time zone; use a name such as America/New_York".into())
    );
    assert_eq!(
        e(Calendar::new(
            "x",
            "UTC",
            "monday 09:00-12:00,11:00-13:00",
            vec![]
        )),
        Err("monday: 09:00-12:00 overlaps 11:00-13:00".into())
    );
    let christmas = || Holiday::closed(date(2026, 12, 25));
    assert_eq!(
        e(Calendar::new(
            "x",
            "UTC",
            "mon 09:00-17:00",
            vec![christmas(), christmas()]
        )),
        Err("holiday 2026-12-25 is listed twice".into())
    );
    assert_eq!(
        OpenRange::new(600, 1441).map_err(|e| e.to_string()),
        Err("`24:01` is not a time; use HH:MM from 00:00 to 24:00".into())
    );
}

#[test]
fn domain_timestamps_convert_to_and_from_jiff() {
    let t = crate::time::Timestamp::from_millis(1_798_560_000_123);
    let j = super::super::to_jiff(t).expect("convert to jiff");
    assert_eq!(j.as_millisecond(), 1_798_560_000_123);
    assert_eq!(super::super::from_jiff(j), t);
    assert_eq!(
        super::super::to_jiff(crate::time::Timestamp::from_millis(i64::MAX)),
        Err(CalendarError::OutOfRange)
    );
}

// ---- properties ----

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    // Clocks change at midnight, so a local date can start twice or not at 00:00.
    "America/Santiago",
    "America/Havana",
    "UTC",
];

/// Up to two ranges a day on quarter hours (00:00 and 24:00 included), at least one day open.
fn weekly_hours() -> impl Strategy<Value = WeeklyHours> {
    let day = prop::collection::btree_set(0u16..=96, 0..=4).prop_map(|cuts| {
        let cuts: Vec<u16> = cuts.into_iter().map(|q| q * 15).collect();
        cuts.chunks_exact(2)
            .map(|p| OpenRange::new(p[0], p[1]).expect("build an open range"))
            .collect::<Vec<_>>()
    });
    prop::array::uniform7(day)
        .prop_filter("at least one open day", |days| {
            days.iter().any(|d| !d.is_empty())
        })
        .prop_map(|days| {
            let mut w = WeeklyHours::closed();
            for (i, ranges) in days.into_iter().enumerate() {
                let day = jiff::civil::Weekday::from_monday_zero_offset(
                    i8::try_from(i).expect("a weekday index"),
                )
                .expect("a weekday");
                w.set(day, ranges).expect("set the day's hours");
            }
            w
        })
}

/// A few holidays in 2026-2027: closed, or open 10:00-14:00.
fn holidays() -> impl Strategy<Value = Vec<Holiday>> {
    prop::collection::btree_map(0i32..730, any::<bool>(), 0..6).prop_map(|days| {
        days.into_iter()
            .map(|(n, closed)| {
                let d = date(2026, 1, 1)
                    .checked_add(jiff::Span::new().days(n))
                    .expect("a day in 2026");
                if closed {
                    Holiday::closed(d)
                } else {
                    let r = OpenRange::new(600, 840).expect("build an open range");
                    Holiday::with_hours(d, vec![r]).expect("build the holiday")
                }
            })
            .collect()
    })
}

fn calendars() -> impl Strategy<Value = Calendar> {
    (prop::sample::select(ZONES), weekly_hours(), holidays()).prop_map(|(tz, week, hol)| {
        Calendar::from_parts("prop", parse_tz(tz).expect("parse the zone"), week, hol)
            .expect("build the calendar")
    })
}

/// An instant in 2026-2027, to the millisecond.
fn instants() -> impl Strategy<Value = Timestamp> {
    let (lo, hi) = (1_767_225_600_000i64, 1_830_297_600_000i64);
    (lo..hi).prop_map(|ms| Timestamp::from_millisecond(ms).expect("an instant"))
}

/// Up to 100 hours, to the millisecond.
fn durations() -> impl Strategy<Value = Duration> {
    (0u64..=100 * 3_600_000).prop_map(Duration::from_millis)
}

proptest! {
    #[test]
    fn the_open_time_from_start_to_deadline_is_exactly_the_duration(
        cal in calendars(), start in instants(), d in durations(),
    ) {
        let due = cal.deadline(start, d).expect("compute the deadline");
        prop_assert!(due >= start);
        prop_assert_eq!(cal.open_time_between(start, due), d);
    }

    #[test]
    fn the_deadline_never_moves_earlier_for_a_later_start_or_a_longer_duration(
        cal in calendars(), start in instants(), d in durations(),
        later in 0i64..200 * 3_600_000, longer in durations(),
    ) {
        let due = cal.deadline(start, d).expect("compute the deadline");
        let start2 = start.checked_add(SignedDuration::from_millis(later))
            .expect("a later start");
        let due_later_start = cal.deadline(start2, d).expect("compute the deadline from the later start");
        let due_longer = cal.deadline(start, d + longer).expect("compute the longer deadline");
        prop_assert!(due_later_start >= due);
        prop_assert!(due_longer >= due);
    }

    #[test]
    fn a_zero_deadline_is_the_next_opening_which_is_open_and_not_before_the_start(
        cal in calendars(), t in instants(),
    ) {
        let next = cal.next_opening(t).expect("find the next opening");
        prop_assert_eq!(cal.deadline(t, Duration::ZERO), Ok(next));
        prop_assert!(next >= t);
        prop_assert!(cal.is_open(next));
        prop_assert_eq!(cal.is_open(t), next == t);
        prop_assert_eq!(cal.open_time_between(t, next), Duration::ZERO);
    }

    #[test]
    fn open_time_adds_up_over_adjacent_spans(
        cal in calendars(), a in instants(), x in 0i64..300 * 3_600_000, y in 0i64..300 * 3_600_000,
    ) {
        let b = a.checked_add(SignedDuration::from_millis(x)).expect("the span's middle");
        let c = b.checked_add(SignedDuration::from_millis(y)).expect("the span's end");
        prop_assert_eq!(
            cal.open_time_between(a, c),
            cal.open_time_between(a, b) + cal.open_time_between(b, c)
        );
    }
}
