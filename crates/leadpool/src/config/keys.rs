//! The configuration keys, one row each: name, environment variable, default, help and
//! validation. The file, the environment, `--help`, `print_default` and the checks all read
//! these rows, so adding a key is adding a row here, its field to [`super::Config`] and
//! its line to [`super::Config::validate`].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use leadpool_app::mail::MailTls;
use leadpool_domain::delivery::RetryPolicy;
use leadpool_web::CookieSecure;

use super::{LogFormat, Secret, Value};
use crate::duration::parse_duration;

/// Every key, in the order `print_default` shows them.
pub const KEYS: [Key; 20] = [
    LISTEN.key,
    DATA_DIR.key,
    DATABASE_URL.key,
    LOG_FORMAT.key,
    LOG_LEVEL.key,
    MAX_BODY_BYTES.key,
    SESSION_TTL.key,
    COOKIE_SECURE.key,
    DB_MAX_CONNECTIONS.key,
    OPERATOR_TOKEN.key,
    WEBHOOK_MAX_ATTEMPTS.key,
    WEBHOOK_TIMEOUT.key,
    TIMER_LEASE.key,
    PUBLIC_URL.key,
    SMTP_HOST.key,
    SMTP_PORT.key,
    SMTP_TLS.key,
    SMTP_USERNAME.key,
    SMTP_PASSWORD.key,
    MAIL_FROM.key,
];

/// `listen`: the HTTP server's address and port.
pub const LISTEN: Setting<SocketAddr> = Setting {
    key: Key(&Row {
        name: "listen",
        env: "LEADPOOL_LISTEN",
        kind: Kind::Text,
        default: Default::Is("127.0.0.1:8080"),
        help: "Address and port the HTTP server listens on (0.0.0.0:8080 for every interface).",
    }),
    check: |v| {
        let text = v.text();
        let text = text.trim();
        text.parse()
            .map_err(|_| format!("`{text}` is not an address:port; use e.g. 127.0.0.1:8080"))
    },
};

/// `data_dir`: where the SQLite database and other files live.
pub const DATA_DIR: Setting<PathBuf> = Setting {
    key: Key(&Row {
        name: "data_dir",
        env: "LEADPOOL_DATA_DIR",
        kind: Kind::Path,
        default: Default::Is("./data"),
        help: "Directory for the SQLite database and other local files; created if missing.",
    }),
    check: |v| match v.path() {
        p if p.as_os_str().is_empty() => {
            Err("the path is empty; use a directory, e.g. ./data".to_owned())
        }
        p => Ok(p),
    },
};

/// `database_url`: which database to use; unset, a file in `data_dir`.
pub const DATABASE_URL: Setting<String> = Setting {
    key: Key(&Row {
        name: "database_url",
        env: "LEADPOOL_DATABASE_URL",
        kind: Kind::Url,
        default: Default::Unset {
            example: "sqlite://./data/leadpool.db",
        },
        help: "Database: sqlite://PATH or postgres://USER:PASSWORD@HOST:5432/DB; defaults to sqlite://<data_dir>/leadpool.db.",
    }),
    check: |v| {
        let url = v.text();
        let url = url.trim();
        check_database_url(url).map(|()| url.to_owned())
    },
};

/// `log_format`: text or JSON logs.
pub const LOG_FORMAT: Setting<LogFormat> = Setting {
    key: Key(&Row {
        name: "log_format",
        env: "LEADPOOL_LOG_FORMAT",
        kind: Kind::Text,
        default: Default::Is("text"),
        help: "Log output: text (for people) or json (for log collectors).",
    }),
    check: |v| match v.text().trim() {
        s if s.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
        s if s.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
        s => Err(format!("`{s}` is not a log format; use text or json")),
    },
};

/// `log_level`: a tracing env-filter string.
pub const LOG_LEVEL: Setting<String> = Setting {
    key: Key(&Row {
        name: "log_level",
        env: "LEADPOOL_LOG",
        kind: Kind::Text,
        default: Default::Is("info"),
        help: "Which logs to write, as a tracing filter, e.g. info or leadpool=debug,info.",
    }),
    check: |v| {
        let level = v.text().trim().to_owned();
        if level.is_empty() {
            return Err("the filter is empty; use e.g. info or leadpool=debug,info".to_owned());
        }
        match tracing_subscriber::EnvFilter::try_new(&level) {
            Ok(_) => Ok(level),
            Err(e) => Err(format!(
                "`{level}` is not a tracing filter ({e}); use e.g. info or leadpool=debug,info"
            )),
        }
    },
};

/// `max_body_bytes`: the largest request body accepted.
pub const MAX_BODY_BYTES: Setting<usize> = Setting {
    key: Key(&Row {
        name: "max_body_bytes",
        env: "LEADPOOL_MAX_BODY_BYTES",
        kind: Kind::Integer,
        default: Default::Is("1048576"),
        help: "Largest request body accepted, in bytes (1024 to 67108864).",
    }),
    check: |v| {
        let n = v.integer()?;
        in_range(n, 1024, 67_108_864).ok_or_else(|| {
            format!("{n} is out of range; use a number of bytes from 1024 to 67108864 (64 MiB)")
        })
    },
};

/// `session_ttl`: how long a web session lasts.
pub const SESSION_TTL: Setting<Duration> = Setting {
    key: Key(&Row {
        name: "session_ttl",
        env: "LEADPOOL_SESSION_TTL",
        kind: Kind::Text,
        default: Default::Is("12h"),
        help: "How long a web session lasts: a number followed by s, m, h or d.",
    }),
    check: |v| duration_in(v, ("1m", 60), ("365d", 365 * 86_400), "12h"),
};

/// `cookie_secure`: when the session cookie is marked `Secure`.
pub const COOKIE_SECURE: Setting<CookieSecure> = Setting {
    key: Key(&Row {
        name: "cookie_secure",
        env: "LEADPOOL_COOKIE_SECURE",
        kind: Kind::Text,
        default: Default::Is("forwarded"),
        help: "When the session cookie is Secure (HTTPS only): always (served over HTTPS), never (plain HTTP), or forwarded (when the proxy in front sends X-Forwarded-Proto: https).",
    }),
    check: |v| match v.text().trim() {
        s if s.eq_ignore_ascii_case("always") => Ok(CookieSecure::Always),
        s if s.eq_ignore_ascii_case("never") => Ok(CookieSecure::Never),
        s if s.eq_ignore_ascii_case("forwarded") => Ok(CookieSecure::Forwarded),
        s => Err(format!(
            "`{s}` is not a choice; use always, never or forwarded"
        )),
    },
};

/// `db_max_connections`: the database connection pool size.
pub const DB_MAX_CONNECTIONS: Setting<u32> = Setting {
    key: Key(&Row {
        name: "db_max_connections",
        env: "LEADPOOL_DB_MAX_CONNECTIONS",
        kind: Kind::Integer,
        default: Default::Is("8"),
        help: "Most database connections held open (1 to 200); on SQLite these read, and writes share one more.",
    }),
    check: |v| {
        let n = v.integer()?;
        in_range(n, 1, 200)
            .ok_or_else(|| format!("{n} is out of range; use a number from 1 to 200"))
    },
};

/// `operator_token`: the bearer token that may manage organizations; unset turns that off.
pub const OPERATOR_TOKEN: Setting<Secret> = Setting {
    key: Key(&Row {
        name: "operator_token",
        env: "LEADPOOL_OPERATOR_TOKEN",
        kind: Kind::Secret,
        // The example is deliberately unusable, so nobody runs with a placeholder.
        default: Default::Unset { example: "" },
        help: "Bearer token allowed to manage organizations through the API (at least 32 characters; generate one with `openssl rand -hex 32`); unset turns that API off.",
    }),
    check: |v| {
        let token = v.secret();
        let text = token.expose();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the token contains spaces or control characters; use letters and digits, e.g. the output of `openssl rand -hex 32`".to_owned());
        }
        match text.chars().count() {
            n if n < 32 => Err(format!(
                "the token is {n} characters long; use at least 32, e.g. the output of `openssl rand -hex 32`"
            )),
            _ => Ok(token),
        }
    },
};

/// `webhook_max_attempts`: how many times a webhook delivery is tried before it is dead.
pub const WEBHOOK_MAX_ATTEMPTS: Setting<RetryPolicy> = Setting {
    key: Key(&Row {
        name: "webhook_max_attempts",
        env: "LEADPOOL_WEBHOOK_MAX_ATTEMPTS",
        kind: Kind::Integer,
        default: Default::Is("8"),
        help: "Attempts a webhook delivery gets before it is dead (1 to 50); waits between them grow from 10 s to 10 h, so 8 span about 18 hours.",
    }),
    check: |v| {
        let n = v.integer()?;
        u32::try_from(n)
            .ok()
            .and_then(|n| RetryPolicy::new(n).ok())
            .ok_or_else(|| {
                format!(
                    "{n} is out of range; use a number from 1 to {}",
                    RetryPolicy::MOST_ATTEMPTS
                )
            })
    },
};

/// `webhook_timeout`: how long a webhook receiver has to answer; a taken delivery's lease
/// is four times as long.
pub const WEBHOOK_TIMEOUT: Setting<Duration> = Setting {
    key: Key(&Row {
        name: "webhook_timeout",
        env: "LEADPOOL_WEBHOOK_TIMEOUT",
        kind: Kind::Text,
        default: Default::Is("15s"),
        help: "How long a webhook receiver has to answer (1s to 5m); a delivery an instance has taken stays its own for four times this, then another instance takes it over if the first died.",
    }),
    check: |v| duration_in(v, ("1s", 1), ("5m", 300), "15s"),
};

/// `timer_lease`: how long an instance keeps the due timers it has taken.
pub const TIMER_LEASE: Setting<Duration> = Setting {
    key: Key(&Row {
        name: "timer_lease",
        env: "LEADPOOL_TIMER_LEASE",
        kind: Kind::Text,
        default: Default::Is("30s"),
        help: "How long an instance keeps the due timers it has taken (1s to 1h); if it dies, another instance fires them after this. Keep it longer than a slow timer batch (logged at warn).",
    }),
    check: |v| duration_in(v, ("1s", 1), ("1h", 3_600), "30s"),
};

/// `public_url`: where people open leadpool, for the links in emails.
pub const PUBLIC_URL: Setting<String> = Setting {
    key: Key(&Row {
        name: "public_url",
        env: "LEADPOOL_PUBLIC_URL",
        kind: Kind::Url,
        default: Default::Unset {
            example: "https://leads.example.com",
        },
        help: "Where people open leadpool (https://leads.example.com behind a proxy), for the links in emails; defaults to http://<listen>.",
    }),
    check: |v| {
        let url = v.text();
        let url = url.trim().trim_end_matches('/');
        match url.split_once("://") {
            Some(("http" | "https", host))
                if !host.is_empty() && !host.contains(char::is_whitespace) =>
            {
                Ok(url.to_owned())
            }
            _ => Err(format!(
                "`{url}` is not a web address; use e.g. https://leads.example.com"
            )),
        }
    },
};

/// `smtp_host`: the SMTP server email goes through; unset, no email is sent.
pub const SMTP_HOST: Setting<String> = Setting {
    key: Key(&Row {
        name: "smtp_host",
        env: "LEADPOOL_SMTP_HOST",
        kind: Kind::Text,
        default: Default::Unset {
            example: "smtp.example.com",
        },
        help: "SMTP server for email to people (assignments, offers, leads back in a pool, webhooks turned off); unset, leadpool sends no email and says so at start.",
    }),
    check: |v| {
        let host = v.text();
        let host = host.trim();
        if host.is_empty() || host.contains("://") || host.contains(char::is_whitespace) {
            Err(format!(
                "`{host}` is not a host name; give the name alone, e.g. smtp.example.com (the port and TLS are keys of their own)"
            ))
        } else {
            Ok(host.to_owned())
        }
    },
};

/// `smtp_port`: the SMTP server's port; unset, the usual one for `smtp_tls`.
pub const SMTP_PORT: Setting<u16> = Setting {
    key: Key(&Row {
        name: "smtp_port",
        env: "LEADPOOL_SMTP_PORT",
        kind: Kind::Integer,
        default: Default::Unset { example: "587" },
        help: "The SMTP server's port (1 to 65535); defaults to 587 with starttls, 465 with tls, 25 with none.",
    }),
    check: |v| {
        let n = v.integer()?;
        in_range(n, 1, 65_535)
            .ok_or_else(|| format!("{n} is out of range; use a port from 1 to 65535"))
    },
};

/// `smtp_tls`: how the connection to the SMTP server is secured.
pub const SMTP_TLS: Setting<MailTls> = Setting {
    key: Key(&Row {
        name: "smtp_tls",
        env: "LEADPOOL_SMTP_TLS",
        kind: Kind::Text,
        default: Default::Is("starttls"),
        help: "How the SMTP connection is secured: starttls (the server must offer it), tls (TLS from the start), or none (only for a relay on this machine).",
    }),
    check: |v| MailTls::parse(&v.text()),
};

/// `smtp_username`: who leadpool signs in to the SMTP server as; unset, it does not sign in.
pub const SMTP_USERNAME: Setting<String> = Setting {
    key: Key(&Row {
        name: "smtp_username",
        env: "LEADPOOL_SMTP_USERNAME",
        kind: Kind::Text,
        default: Default::Unset {
            example: "leads@example.com",
        },
        help: "User name to sign in to the SMTP server with (needs smtp_password); unset, leadpool does not sign in.",
    }),
    check: |v| Ok(v.text().trim().to_owned()),
};

/// `smtp_password`: the SMTP user's password.
pub const SMTP_PASSWORD: Setting<Secret> = Setting {
    key: Key(&Row {
        name: "smtp_password",
        env: "LEADPOOL_SMTP_PASSWORD",
        kind: Kind::Secret,
        default: Default::Unset { example: "" },
        help: "Password of smtp_username; prefer the environment variable to the file.",
    }),
    check: |v| Ok(v.secret()),
};

/// `mail_from`: the sender of leadpool's email.
pub const MAIL_FROM: Setting<String> = Setting {
    key: Key(&Row {
        name: "mail_from",
        env: "LEADPOOL_MAIL_FROM",
        kind: Kind::Text,
        default: Default::Unset {
            example: "Leadpool <leads@example.com>",
        },
        help: "Sender of leadpool's email, an address or `Name <address>`; needed with smtp_host.",
    }),
    check: |v| {
        let from = v.text();
        let from = from.trim();
        if from.contains('@') {
            Ok(from.to_owned())
        } else {
            Err(format!(
                "`{from}` is not an email address; use e.g. Leadpool <leads@example.com>"
            ))
        }
    },
};

/// A duration typed as a number and a unit, from `min` to `max` (each as typed and in
/// seconds); the error says what to type, with `example`.
fn duration_in(
    v: &Value,
    (min_text, min): (&str, u64),
    (max_text, max): (&str, u64),
    example: &str,
) -> Result<Duration, String> {
    let text = v.text();
    let text = text.trim();
    match parse_duration(text) {
        None => Err(format!(
            "`{text}` is not a duration; use a number followed by s, m, h or d, e.g. {example}"
        )),
        Some(d) if d < Duration::from_secs(min) => {
            Err(format!("`{text}` is too short; use at least {min_text}"))
        }
        Some(d) if d > Duration::from_secs(max) => {
            Err(format!("`{text}` is too long; use at most {max_text}"))
        }
        Some(d) => Ok(d),
    }
}

/// `n` as a `T` when it lies in `min..=max`.
fn in_range<T: TryFrom<i64>>(n: i64, min: i64, max: i64) -> Option<T> {
    (min..=max)
        .contains(&n)
        .then(|| T::try_from(n).ok())
        .flatten()
}

/// Checks that a database URL names a backend leadpool supports; the error is redacted.
fn check_database_url(url: &str) -> Result<(), String> {
    const USE: &str = "use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB";
    if url.is_empty() {
        return Err(format!("the URL is empty; {USE}"));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() || path.starts_with('?') {
            return Err(format!(
                "`{url}` names no file; use sqlite://PATH, e.g. sqlite://./data/leadpool.db"
            ));
        }
        return Ok(());
    }
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"));
    match rest {
        Some(rest) => {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            let host = authority.rsplit('@').next().unwrap_or_default();
            if host.is_empty() {
                Err(format!(
                    "`{}` names no host; use postgres://USER:PASSWORD@HOST/DB",
                    leadpool_store::redact(url)
                ))
            } else {
                Ok(())
            }
        }
        None => Err(format!(
            "`{}` is not supported; {USE}",
            leadpool_store::redact(url)
        )),
    }
}

/// What a key's value is in the file, and how `Debug` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Text in quotes.
    Text,
    /// Text in quotes that may hold a password: shown redacted.
    Url,
    /// Text in quotes that is secret: never shown.
    Secret,
    /// A path, in quotes.
    Path,
    /// A whole number without quotes.
    Integer,
}

/// What a key is when nobody sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Default {
    /// This value, checked like a given one.
    Is(&'static str),
    /// No value: the key is off, or follows from others. `print_default` shows `example`.
    Unset {
        /// What the example file shows for the key.
        example: &'static str,
    },
}

/// One key's declaration: its name, variable, kind, default and help.
#[derive(Debug)]
pub(super) struct Row {
    name: &'static str,
    env: &'static str,
    kind: Kind,
    default: Default,
    help: &'static str,
}

/// A configuration key, declared by its [`Row`]; a reference, so errors that carry one
/// stay small. Keys are equal by name.
#[derive(Clone, Copy)]
pub struct Key(&'static Row);

impl Key {
    /// The key's name in the TOML file.
    pub const fn name(self) -> &'static str {
        self.0.name
    }

    /// The environment variable that sets the key.
    pub const fn env(self) -> &'static str {
        self.0.env
    }

    /// A one-line explanation, as `print_default` shows it.
    pub const fn help(self) -> &'static str {
        self.0.help
    }

    /// The flag's `--help` text: the explanation, the variable and the default.
    pub fn flag_help(self) -> String {
        match self.0.default {
            Default::Is(value) => {
                format!("{} [env: {}] [default: {value}]", self.0.help, self.0.env)
            }
            Default::Unset { .. } => format!("{} [env: {}]", self.0.help, self.0.env),
        }
    }

    pub(super) const fn kind(self) -> Kind {
        self.0.kind
    }

    /// The value `print_default` shows, as TOML.
    pub(super) fn example(self) -> String {
        let (Default::Is(text) | Default::Unset { example: text }) = self.0.default;
        match self.0.kind {
            Kind::Integer => text.to_owned(),
            _ => toml::Value::String(text.to_owned()).to_string(),
        }
    }

    /// The value a key nobody set has, if any.
    pub(super) fn default_value(self) -> Option<Value> {
        match self.0.default {
            Default::Is(text) => Some(Value::of_kind(self.0.kind, text.to_owned())),
            Default::Unset { .. } => None,
        }
    }

    pub(super) fn by_name(name: &str) -> Option<Self> {
        KEYS.into_iter().find(|k| k.0.name == name)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

/// A key with its validation: how a value becomes the `T` the server runs with.
pub struct Setting<T> {
    /// The key.
    pub key: Key,
    /// Checks a value and converts it; the error says what is wrong and what to type.
    pub(super) check: fn(&Value) -> Result<T, String>,
}

impl<T> fmt::Debug for Setting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Setting").field(&self.key).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_its_own_name_and_variable_and_numbers_default_to_numbers() {
        for (i, key) in KEYS.iter().enumerate() {
            for other in &KEYS[i + 1..] {
                assert_ne!(key.name(), other.name());
                assert_ne!(key.env(), other.env());
            }
            assert!(key.env().starts_with("LEADPOOL_"), "{key}");
            if let (Kind::Integer, Some(v)) = (key.kind(), key.default_value()) {
                assert!(v.integer().is_ok(), "{key}'s default is not a number");
            }
        }
    }
}
