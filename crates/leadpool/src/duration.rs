//! Durations as people type them in flags and settings: a whole number and one unit.

use std::time::Duration;

/// Parses a duration such as `90s`, `30m`, `12h` or `7d` (a whole number and one unit).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let unit_at = text.len().checked_sub(1)?;
    let (number, unit) = text.split_at_checked(unit_at)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3_600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }?;
    Some(Duration::from_secs(seconds))
}

/// clap's value parser for a `--duration` flag, so a command gets a [`Duration`] and a
/// bad value is refused before anything runs, naming the flag.
pub fn flag(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| "not a duration; use e.g. 10s, 2m, 1h or 1d".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_one_number_and_one_unit() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("12h"), Some(Duration::from_secs(43_200)));
        assert_eq!(parse_duration(" 7d "), Some(Duration::from_secs(604_800)));
        for bad in [
            "",
            "h",
            "12",
            "12x",
            "1h30m",
            "-5m",
            "1.5h",
            "12 h",
            "+3d",
            "12H",
            "99999999999999999999d",
            "213503982334602d",
            "é",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad} accepted");
        }
    }
}
