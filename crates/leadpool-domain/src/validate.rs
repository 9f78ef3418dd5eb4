//! Parsed values: a lead's name, emails, phones, tags and custom fields are checked once,
//! on the way in, and every problem names the field it is about. Also the one rule on
//! control characters that every text taken from a client passes ([`check_text`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, as the client named it (`emails[1]`, `fields.budget`).
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Input that was refused, with every problem found (not just the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct Invalid(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Invalid {
    /// A single problem.
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

/// Collects field errors while parsing a whole input.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Keeps the value of `r`, or records its error under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Records a problem.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok(v)` when nothing was recorded.
    pub fn finish<T>(self, v: impl FnOnce() -> T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(v())
        } else {
            Err(Invalid(self.0))
        }
    }
}

const MAX_NAME: usize = 200;
const MAX_TAG: usize = 64;
pub(crate) const MAX_TAGS: usize = 50;
pub(crate) const MAX_FIELDS: usize = 100;
const MAX_FIELD_TEXT: usize = 2_000;

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A name, an id, a search: no control character at all.
    One,
    /// A note, a reason, a custom field's value: tab, line feed and carriage return allowed.
    Many,
}

/// The one rule on control characters (Unicode `Cc`: C0, DEL, C1) in client text. NUL
/// cannot be stored in PostgreSQL text (it answered 500) and SQLite stored it silently;
/// the others hide or garble what the next reader sees. Multi-line texts keep tab and line
/// breaks, which people type into notes and which CSV exports carry in quoted cells.
pub fn check_text(s: &str, lines: Lines) -> Result<(), String> {
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\t' | '\n' | '\r');
    match s.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(c) if lines == Lines::One && matches!(c, '\t' | '\n' | '\r') => Err(format!(
            "must be one line, without control characters (found U+{:04X})",
            u32::from(c)
        )),
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        )),
    }
}

/// A one-line label (a person's, team's, pool's or token's name): trimmed, 1 to `max`
/// characters, no control characters.
pub fn label(s: &str, max: usize) -> Result<String, String> {
    text(s, max, Lines::One)
}

/// Checks every key and string of a JSON input against [`check_text`] with [`Lines::Many`]
/// (the one-line fields check again as they parse), naming the first offending field by its
/// path as serde names it (`fields.budget`, `emails[1]`).
pub fn check_json_text(v: &serde_json::Value) -> Result<(), FieldError> {
    fn walk(v: &serde_json::Value, path: &mut String) -> Result<(), FieldError> {
        let named = |path: &str| {
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            }
        };
        match v {
            serde_json::Value::String(s) => {
                check_text(s, Lines::Many).map_err(|m| FieldError::new(named(path), m))
            }
            serde_json::Value::Array(items) => {
                items.iter().enumerate().try_for_each(|(i, item)| {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let r = walk(item, path);
                    path.truncate(len);
                    r
                })
            }
            serde_json::Value::Object(map) => map.iter().try_for_each(|(k, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let r = check_text(k, Lines::One)
                    .map_err(|m| FieldError::new(named(path), format!("the name {m}")))
                    .and_then(|()| walk(item, path));
                path.truncate(len);
                r
            }),
            _ => Ok(()),
        }
    }
    walk(v, &mut String::new())
}

/// Checks every name and value of a form or query string against [`check_text`] with
/// [`Lines::Many`], naming the first offending field.
pub fn check_pairs_text<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<(), FieldError> {
    pairs.iter().try_for_each(|(k, v)| {
        let (k, v) = (k.as_ref(), v.as_ref());
        check_text(k, Lines::One)
            .map_err(|m| FieldError::new("query", format!("a parameter name {m}")))?;
        check_text(v, Lines::Many).map_err(|m| FieldError::new(k, m))
    })
}

/// A person's display name: trimmed, not empty, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self, String> {
        label(s, MAX_NAME).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const MAX_NOTE: usize = 1_000;

/// A person's text: trimmed, not empty, at most `max` characters, and passing
/// [`check_text`] (line breaks and tabs only where the text has `lines`).
pub(crate) fn text(s: &str, max: usize, lines: Lines) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    check_text(t, lines)?;
    Ok(t.to_owned())
}

/// Free text a person writes on a lead (a note, a contact's note, a reason): trimmed, not
/// empty, at most 1,000 characters, no control characters but line breaks and tabs (a
/// browser's text area sends CRLF line breaks, and a note may run over several lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NoteText(String);

impl NoteText {
    /// Parses a text that must say something.
    pub fn parse(s: &str) -> Result<Self, String> {
        text(s, MAX_NOTE, Lines::Many).map(Self)
    }

    /// Parses a text that may be left out: absent or blank is `None`.
    pub fn parse_optional(s: Option<&str>) -> Result<Option<Self>, String> {
        match s.map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => Self::parse(t).map(Some),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// An email address, lower-cased: one `@`, a dotted domain, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address such as `ana@example.com`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad = || format!("`{t}` is not an email address like name@example.com");
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && t.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && !domain.contains('@');
        if ok {
            Ok(Self(t.to_lowercase()))
        } else {
            Err(bad())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number kept as dialled digits with an optional leading `+` (E.164-like).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses a number such as `+1 (555) 010-2030`; spaces, dots, dashes and brackets are dropped.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let mut out = String::with_capacity(t.len());
        for (i, c) in t.chars().enumerate() {
            match c {
                '+' if i == 0 => out.push('+'),
                '0'..='9' => out.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(format!(
                        "`{t}` is not a phone number: only digits, spaces, `-`, `.`, brackets and a leading `+`"
                    ));
                }
            }
        }
        let digits = out.trim_start_matches('+').len();
        if !(7..=15).contains(&digits) {
            return Err(format!(
                "`{t}` has {digits} digits; a phone number has 7 to 15"
            ));
        }
        Ok(Self(out))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tag: trimmed, lower-case, 1 to 64 characters of letters, digits, `-`, `_`, `:` or space.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    /// Parses a tag.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > MAX_TAG {
            return Err(format!("a tag has 1 to {MAX_TAG} characters"));
        }
        if !t
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | ' '))
        {
            return Err(format!(
                "`{t}` may only hold letters, digits, `-`, `_`, `:` and spaces"
            ));
        }
        Ok(Self(t))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sorted, duplicate-free set of tags (at most 50).
pub fn parse_tags<S: AsRef<str>>(items: &[S]) -> Result<Vec<Tag>, String> {
    let mut tags = items
        .iter()
        .map(|s| Tag::parse(s.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    Ok(tags)
}

/// An organization's own fields on a lead: names to text, number or boolean values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomFields(BTreeMap<String, serde_json::Value>);

impl CustomFields {
    /// Parses a JSON object whose values are strings, numbers, booleans or null (null removes).
    pub fn parse(v: &serde_json::Map<String, serde_json::Value>) -> Result<Self, FieldError> {
        if v.len() > MAX_FIELDS {
            return Err(FieldError::new(
                "fields",
                format!("at most {MAX_FIELDS} custom fields"),
            ));
        }
        let mut out = BTreeMap::new();
        for (k, val) in v {
            let field = format!("fields.{k}");
            let key_ok = !k.is_empty()
                && k.len() <= 64
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok {
                return Err(FieldError::new(
                    field,
                    "a field name has 1 to 64 letters, digits or `_`",
                ));
            }
            match val {
                serde_json::Value::String(s) if s.chars().count() > MAX_FIELD_TEXT => {
                    return Err(FieldError::new(
                        field,
                        format!("at most {MAX_FIELD_TEXT} characters"),
                    ));
                }
                serde_json::Value::String(s) => {
                    check_text(s, Lines::Many).map_err(|m| FieldError::new(&field, m))?;
                    out.insert(k.clone(), val.clone());
                }
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    return Err(FieldError::new(
                        field,
                        "must be text, a number, true/false or null",
                    ));
                }
                serde_json::Value::Null => {}
                other => {
                    out.insert(k.clone(), other.clone());
                }
            }
        }
        Ok(Self(out))
    }

    /// Applies `patch` on top of these fields: new values win; null removes a field.
    pub fn merged(&self, patch: &serde_json::Map<String, serde_json::Value>) -> Self {
        let mut out = self.0.clone();
        for (k, v) in patch {
            if v.is_null() {
                out.remove(k);
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
        Self(out)
    }

    /// The fields.
    pub fn as_map(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.0
    }

    /// A field's value as text, as it would appear in a CSV cell.
    pub fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").map(|e| e.0),
            Ok("ana@example.com".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@com",
            "a b@x.com",
            "ana@x..com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn phone_keeps_digits_and_a_leading_plus() {
        assert_eq!(
            Phone::parse("+1 (555) 010-2030").map(|p| p.0),
            Ok("+15550102030".into())
        );
        assert!(Phone::parse("555-CALL-NOW").is_err());
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("1+5550102030").is_err());
    }

    #[test]
    fn tags_are_sorted_and_deduplicated() {
        let tags = parse_tags(&["Buyer", "vip", "buyer"])
            .map(|t| t.into_iter().map(|t| t.0).collect::<Vec<_>>());
        assert_eq!(tags, Ok(vec!["buyer".to_string(), "vip".to_string()]));
        assert!(parse_tags(&["no/slash"]).is_err());
    }

    #[test]
    fn a_note_keeps_its_lines_and_refuses_other_control_characters() {
        assert_eq!(
            NoteText::parse("  left a message\r\ncall back\tat 5 ").map(|n| n.0),
            Ok("left a message\r\ncall back\tat 5".into())
        );
        assert!(NoteText::parse("beep\u{7}").is_err());
        assert!(NoteText::parse("   ").is_err());
        assert!(NoteText::parse(&"x".repeat(1_001)).is_err());
        assert!(NoteText::parse(&"é".repeat(1_000)).is_ok());
        assert_eq!(NoteText::parse_optional(Some(" ")), Ok(None));
        assert_eq!(NoteText::parse_optional(None), Ok(None));
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_where_a_text_has_lines() {
        for bad in ["a\0b", "\u{1b}[31m", "a\u{7f}", "\u{85}"] {
            assert!(check_text(bad, Lines::Many).is_err(), "{bad:?} accepted");
            assert!(check_text(bad, Lines::One).is_err(), "{bad:?} accepted");
        }
        assert_eq!(check_text("line 1\r\nline 2\tend", Lines::Many), Ok(()));
        assert!(check_text("two\nlines", Lines::One).is_err());
        assert_eq!(label("  Team São Paulo ", 100), Ok("Team São Paulo".into()));
        assert!(label("Team\0", 100).is_err());
    }

    #[test]
    fn json_and_form_text_name_the_field_holding_a_control_character() {
        let v = serde_json::json!({"name": "ok", "fields": {"note": "a\nb", "bad": ["x", "y\0"]}});
        let err = check_json_text(&v).err().map(|e| e.field);
        assert_eq!(err.as_deref(), Some("fields.bad[1]"));
        assert_eq!(
            check_json_text(&serde_json::json!({"note": "a\nb"})),
            Ok(())
        );
        assert_eq!(
            check_json_text(&serde_json::json!("\0"))
                .err()
                .map(|e| e.field)
                .as_deref(),
            Some("body")
        );
        let err = check_pairs_text(&[("q", "ana"), ("after", "\0")])
            .err()
            .map(|e| e.field);
        assert_eq!(err.as_deref(), Some("after"));
    }

    #[test]
    fn custom_field_text_refuses_control_characters() {
        let v = serde_json::json!({"notes": "first\nsecond", "code": "a\u{0}"});
        let map = v.as_object().cloned().unwrap_or_default();
        let err = CustomFields::parse(&map).err().map(|e| e.field);
        assert_eq!(err.as_deref(), Some("fields.code"));
    }

    #[test]
    fn custom_fields_refuse_nested_values() {
        let v = serde_json::json!({"budget": 500000, "nested": {"a": 1}});
        let map = v.as_object().cloned().unwrap_or_default();
        let err = CustomFields::parse(&map).err().map(|e| e.field);
        assert_eq!(err.as_deref(), Some("fields.nested"));
    }
}
