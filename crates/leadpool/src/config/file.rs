//! The configuration file layer: a TOML table of [`KEYS`], each value checked for its
//! kind here so an error names the key and suggests the one probably meant.

use std::path::Path;

use super::keys::Kind;
use super::{ConfigError, KEYS, Key, Origin, RawConfig, Value};

/// Reads and parses the configuration file at `path`.
pub(super) fn read(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "does not exist".to_owned(),
            _ => format!("cannot be read ({e})"),
        },
    })?;
    let syntax = |message: String| ConfigError::File {
        path: path.to_path_buf(),
        message,
    };
    let table = text.parse::<toml::Table>().map_err(|e| {
        let line = e
            .span()
            .and_then(|s| text.get(..s.start))
            .map(|before| before.matches('\n').count() + 1);
        syntax(match line {
            Some(line) => format!(
                "is not valid TOML at line {line}: {}",
                e.message().trim_end()
            ),
            None => format!("is not valid TOML: {}", e.message().trim_end()),
        })
    })?;
    let origin = Origin::File(path.to_path_buf());
    let mut raw = RawConfig::default();
    for (name, value) in &table {
        let Some(key) = Key::by_name(name) else {
            let hint = match closest_key(name) {
                Some(k) => format!(" (did you mean `{k}`?)"),
                None => String::new(),
            };
            let known = KEYS.map(Key::name).join(", ");
            return Err(syntax(format!(
                "has an unknown key `{name}`{hint}; the keys are {known}"
            )));
        };
        let given = match (key.kind(), value) {
            (Kind::Integer, toml::Value::Integer(n)) => Value::Integer(*n),
            (Kind::Integer, _) => {
                return Err(wrong_type(
                    key,
                    value,
                    &origin,
                    "a whole number without quotes",
                ));
            }
            (_, toml::Value::String(s)) => Value::of_kind(key.kind(), s.clone()),
            _ => return Err(wrong_type(key, value, &origin, "text in quotes")),
        };
        raw.set(key, given, origin.clone());
    }
    Ok(raw)
}

/// The error for a value of the wrong TOML type, showing what to write instead.
fn wrong_type(key: Key, value: &toml::Value, origin: &Origin, wanted: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        origin: origin.clone(),
        problem: format!(
            "found {} `{value}`; use {wanted}, e.g. {key} = {}",
            value.type_str(),
            key.example()
        ),
    }
}

/// The known key nearest to a misspelt one, if any is close.
fn closest_key(name: &str) -> Option<Key> {
    KEYS.into_iter()
        .map(|k| (edit_distance(name, k.name()), k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
