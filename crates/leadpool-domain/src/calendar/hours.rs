//! The hours syntax: `mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00`.
//!
//! A `;`-separated list of `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]`. DAYS is a day (`mon`..`sun`,
//! full names also accepted, any case), a range `mon-fri` (wrapping ranges such as `fri-mon`
//! run through the weekend), or a comma list of those (`mon,wed,fri`). Days not mentioned
//! are closed. A day mentioned twice gets the ranges of both mentions, as long as they do not
//! overlap. Touching ranges are merged. `24:00` ends a day; a range may not cross midnight
//! (`22:00-02:00` is refused with a hint to write `fri 22:00-24:00; sat 00:00-02:00`), because
//! `09:00-08:00` is far more often a typo than a 23-hour shift. The arithmetic treats 24:00
//! and the next day's 00:00 as one continuous open stretch.

use jiff::civil::{Date, Weekday};

use super::{CalendarError, Holiday, MINUTES_PER_DAY, OpenRange, WeeklyHours};

/// Parses the hours syntax into weekly hours; an empty text is closed every day.
pub fn parse_hours(text: &str) -> Result<WeeklyHours, CalendarError> {
    let mut days: [Vec<OpenRange>; 7] = Default::default();
    for segment in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || CalendarError::BadSegment {
            segment: segment.to_owned(),
        };
        let (day_text, range_text) = split_days(segment);
        if day_text.is_empty() || range_text.is_empty() {
            return Err(bad());
        }
        let ranges = parse_ranges(range_text)?;
        for day in parse_days(day_text)? {
            days[super::day_index(day)].extend_from_slice(&ranges);
        }
    }
    let mut week = WeeklyHours::closed();
    for (i, ranges) in days.into_iter().enumerate() {
        let offset = i8::try_from(i).map_err(|_| CalendarError::OutOfRange)?;
        let day =
            Weekday::from_monday_zero_offset(offset).map_err(|_| CalendarError::OutOfRange)?;
        week.set(day, ranges)?;
    }
    Ok(week)
}

/// Splits `mon, wed-fri 09:00-17:00` into its days and its hours. Days are letters, commas,
/// dashes and spaces; the hours start at the first digit, or, when something else stops the
/// days (`mon ab:cd-17:00`), at the last word boundary, so the bad time is the one named.
fn split_days(segment: &str) -> (&str, &str) {
    let is_day_char =
        |c: char| c.is_ascii_alphabetic() || c.is_whitespace() || c == ',' || c == '-';
    let stop = segment
        .find(|c: char| !is_day_char(c))
        .unwrap_or(segment.len());
    let at_digit = segment[stop..].starts_with(|c: char| c.is_ascii_digit());
    let split = if at_digit || stop == segment.len() {
        stop
    } else {
        segment[..stop].rfind(char::is_whitespace).unwrap_or(0)
    };
    let (days, hours) = segment.split_at(split);
    (days.trim(), hours.trim())
}

/// `mon`, `mon-fri`, `fri-mon`, `mon,wed,fri` or a mix such as `mon-wed,sat`.
fn parse_days(text: &str) -> Result<Vec<Weekday>, CalendarError> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim) {
        match item.split_once('-') {
            Some((a, b)) => {
                let (first, last) = (parse_day(a.trim())?, parse_day(b.trim())?);
                let mut day = first;
                out.push(day);
                while day != last {
                    day = day.next();
                    out.push(day);
                }
            }
            None => out.push(parse_day(item)?),
        }
    }
    Ok(out)
}

fn parse_day(text: &str) -> Result<Weekday, CalendarError> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tues" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => {
            return Err(CalendarError::BadDay {
                text: text.to_owned(),
            });
        }
    })
}

/// A comma list of `HH:MM-HH:MM`.
fn parse_ranges(text: &str) -> Result<Vec<OpenRange>, CalendarError> {
    text.split(',').map(|r| parse_range(r.trim())).collect()
}

/// One `HH:MM-HH:MM`.
pub(super) fn parse_range(text: &str) -> Result<OpenRange, CalendarError> {
    let (a, b) = text
        .trim()
        .split_once('-')
        .ok_or_else(|| CalendarError::BadRange {
            text: text.to_owned(),
        })?;
    OpenRange::new(parse_time(a.trim())?, parse_time(b.trim())?)
}

/// `HH:MM` from 00:00 to 24:00, two digits each, as minutes since midnight.
fn parse_time(text: &str) -> Result<u16, CalendarError> {
    let bad = || CalendarError::BadTime {
        text: text.to_owned(),
    };
    let b = text.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u16::from(c - b'0'))
    };
    if b.len() != 5 || b[2] != b':' {
        return Err(bad());
    }
    let (h1, h2, m1, m2) = (digit(0), digit(1), digit(3), digit(4));
    let (Some(h1), Some(h2), Some(m1), Some(m2)) = (h1, h2, m1, m2) else {
        return Err(bad());
    };
    let (hour, minute) = (h1 * 10 + h2, m1 * 10 + m2);
    let total = hour * 60 + minute;
    if minute >= 60 || total > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

/// `YYYY-MM-DD` (closed all day) or `YYYY-MM-DD HH:MM-HH:MM[,HH:MM-HH:MM]` (open only then).
pub(super) fn parse_holiday(text: &str) -> Result<Holiday, CalendarError> {
    let text = text.trim();
    let (date_text, hours_text) = match text.split_once(char::is_whitespace) {
        Some((d, h)) => (d, Some(h.trim())),
        None => (text, None),
    };
    let date: Date = date_text.parse().map_err(|_| CalendarError::BadHoliday {
        text: text.to_owned(),
    })?;
    match hours_text {
        None => Ok(Holiday::closed(date)),
        Some(h) => Holiday::with_hours(date, parse_ranges(h)?),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    fn hours(text: &str) -> WeeklyHours {
        parse_hours(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
    }

    fn range(text: &str) -> OpenRange {
        OpenRange::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
    }

    fn error(text: &str) -> String {
        match parse_hours(text) {
            Ok(w) => panic!("`{text}` parsed as {w:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_single_days_ranges_of_days_and_lists() {
        let w = hours("mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00");
        for day in [Weekday::Monday, Weekday::Wednesday, Weekday::Friday] {
            assert_eq!(w.day(day), [range("09:00-12:00"), range("13:00-18:00")]);
        }
        assert_eq!(w.day(Weekday::Saturday), [range("10:00-14:00")]);
        assert!(w.day(Weekday::Sunday).is_empty());

        let w = hours("Mon, wed,FRIDAY 08:00-09:00");
        assert_eq!(w.day(Weekday::Wednesday), [range("08:00-09:00")]);
        assert!(w.day(Weekday::Tuesday).is_empty());
    }

    #[test]
    fn a_wrapping_day_range_runs_through_the_weekend() {
        let w = hours("fri-mon 10:00-11:00");
        for day in [
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
            Weekday::Monday,
        ] {
            assert_eq!(w.day(day), [range("10:00-11:00")], "{day:?}");
        }
        assert!(w.day(Weekday::Tuesday).is_empty());
    }

    #[test]
    fn days_not_mentioned_are_closed_and_an_empty_text_is_closed_every_day() {
        assert!(hours("").is_always_closed());
        assert!(hours(" ; ").is_always_closed());
        assert!(!hours("sun 00:00-24:00").is_always_closed());
    }

    #[test]
    fn twenty_four_hundred_ends_a_day() {
        let w = hours("fri 22:00-24:00; sat 00:00-02:00");
        assert_eq!(w.day(Weekday::Friday)[0].end(), MINUTES_PER_DAY);
        assert_eq!(w.day(Weekday::Saturday)[0].start(), 0);
    }

    #[test]
    fn touching_ranges_are_merged_into_one() {
        let w = hours("mon 09:00-12:00,12:00-13:00");
        assert_eq!(w.day(Weekday::Monday), [range("09:00-13:00")]);
    }

    #[test]
    fn a_day_mentioned_twice_gets_the_hours_of_both_mentions() {
        let w = hours("mon-fri 09:00-12:00; mon 14:00-16:00");
        assert_eq!(
            w.day(Weekday::Monday),
            [range("09:00-12:00"), range("14:00-16:00")]
        );
        assert_eq!(w.day(Weekday::Tuesday), [range("09:00-12:00")]);
    }

    #[test]
    fn overlapping_ranges_are_refused_naming_the_day_and_both_ranges() {
        assert_eq!(
            error("mon 09:00-12:00,11:00-13:00"),
            "monday: 09:00-12:00 overlaps 11:00-13:00"
        );
        assert_eq!(
            error("mon-fri 09:00-12:00; wed 11:00-13:00"),
            "wednesday: 09:00-12:00 overlaps 11:00-13:00"
        );
        // The range named is the one the user wrote, not a merged one.
        assert_eq!(
            error("tue 08:00-17:00,09:00-10:00"),
            "tuesday: 08:00-17:00 overlaps 09:00-10:00"
        );
    }

    #[test]
    fn malformed_times_are_refused_with_the_hh_mm_hint() {
        for bad in [
            "9:00", "25:00", "09:60", "24:30", "0900", "ab:cd", "09:00:00",
        ] {
            assert_eq!(
                error(&format!("mon {bad}-17:00")),
                format!("`{bad}` is not a time; use HH:MM from 00:00 to 24:00"),
            );
        }
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused_with_the_overnight_hint() {
        for bad in ["09:00-08:00", "22:00-02:00"] {
            let e = error(&format!("fri {bad}"));
            assert!(
                e.starts_with(&format!("`{bad}` ends before it starts")),
                "{e}"
            );
            assert!(e.contains("fri 22:00-24:00; sat 00:00-02:00"), "{e}");
        }
        assert_eq!(
            error("mon 09:00-09:00"),
            "`09:00-09:00` is empty: it ends when it starts"
        );
    }

    #[test]
    fn unknown_days_and_shapeless_parts_are_refused() {
        assert!(error("mun 09:00-10:00").starts_with("`mun` is not a day"));
        assert!(error("mon-fry 09:00-10:00").starts_with("`fry` is not a day"));
        assert!(error("09:00-17:00").starts_with("`09:00-17:00` is not of the form"));
        assert!(error("weekdays").starts_with("`weekdays` is not of the form"));
        assert!(error("mon 09:00").starts_with("`09:00` is not a range of hours"));
    }

    #[test]
    fn a_holiday_is_a_date_alone_or_a_date_with_its_own_hours() {
        let h = Holiday::parse("2026-12-25").expect("parse a closed holiday");
        assert_eq!((h.date(), h.open()), (date(2026, 12, 25), &[][..]));
        let h = Holiday::parse(" 2026-12-24 09:00-12:00, 13:00-14:00 ")
            .expect("parse a holiday with hours");
        assert_eq!(h.open(), [range("09:00-12:00"), range("13:00-14:00")]);
        let e = Holiday::parse("2026-12-24 09:00-12:00,11:00-13:00").map_err(|e| e.to_string());
        assert_eq!(
            e,
            Err("holiday 2026-12-24: 09:00-12:00 overlaps 11:00-13:00".into())
        );
        let e = Holiday::parse("Dec 25").map_err(|e| e.to_string());
        assert!(e.is_err_and(|e| e.starts_with("`Dec 25` is not a holiday; use YYYY-MM-DD")));
    }

    fn weekly_hours() -> impl Strategy<Value = WeeklyHours> {
        let day = prop::collection::btree_set(0u16..=96, 0..=4).prop_map(|cuts| {
            let cuts: Vec<u16> = cuts.into_iter().map(|q| q * 15).collect();
            cuts.chunks_exact(2)
                .map(|p| OpenRange {
                    start: p[0],
                    end: p[1],
                })
                .collect::<Vec<_>>()
        });
        prop::array::uniform7(day).prop_map(|days| {
            let mut w = WeeklyHours::closed();
            for (i, ranges) in days.into_iter().enumerate() {
                let day = Weekday::from_monday_zero_offset(i8::try_from(i).unwrap_or(0))
                    .unwrap_or(Weekday::Monday);
                w.set(day, ranges).expect("set the day's hours");
            }
            w
        })
    }

    /// Text made of the syntax's own pieces and a few strangers, so fuzzing reaches past
    /// the first token: days, ranges, times in and out of range, separators, and text
    /// no calendar has.
    fn hours_like_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("mon".to_owned()),
            Just("fri".to_owned()),
            Just("Sun".to_owned()),
            Just("mon-fri".to_owned()),
            Just("sat-tue".to_owned()),
            Just("2026-12-24".to_owned()),
            Just("2026-02-30".to_owned()),
            (0u32..30, 0u32..70).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
            Just("24:00".to_owned()),
            Just("-".to_owned()),
            Just(",".to_owned()),
            Just(";".to_owned()),
            Just(" ".to_owned()),
            Just(":".to_owned()),
            "[0-9]{1,6}",
            "\\PC{1,3}",
        ];
        prop::collection::vec(piece, 0..14).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn weekly_hours_print_back_in_the_syntax_they_were_parsed_from(w in weekly_hours()) {
            let text = w.to_string();
            prop_assert_eq!(parse_hours(&text), Ok(w), "{}", text);
        }

        /// Fuzz: any text is read or refused with a reason, never a panic; what is read
        /// prints back as text that reads the same. `PROPTEST_CASES` runs it longer.
        #[test]
        fn fuzz_any_hours_or_holiday_text_is_read_or_refused_and_what_is_read_prints_back(
            text in prop_oneof![hours_like_text(), "\\PC{0,40}", ".{0,40}"],
        ) {
            match parse_hours(&text) {
                Ok(w) => prop_assert_eq!(parse_hours(&w.to_string()), Ok(w), "{:?}", text),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            match Holiday::parse(&text) {
                Ok(h) => prop_assert_eq!(Holiday::parse(&h.to_string()), Ok(h), "{:?}", text),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            if let Ok(r) = OpenRange::parse(&text) {
                prop_assert!(r.start() < r.end() && r.end() <= 1440, "{:?}", text);
            }
        }
    }
}
