//! Configuration in two stages: [`RawConfig`], the layers as given (defaults < TOML file
//! < `LEADPOOL_*` environment < command-line flags), and [`Config`], the validated values
//! the server runs with. Each key is declared once, as a row in [`keys`].
//!
//! Loading reads at most one file, the one named by `--config` or `LEADPOOL_CONFIG`, and
//! has no other side effect; validation is pure. Every error is one sentence naming the
//! key, where its value came from, what is wrong and what to type instead. Secrets and
//! database passwords never appear in `Debug` output or error messages.

mod file;
pub mod keys;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use keys::{
    COOKIE_SECURE, DATA_DIR, DATABASE_URL, DB_MAX_CONNECTIONS, KEYS, Key, LISTEN, LOG_FORMAT,
    LOG_LEVEL, MAIL_FROM, MAX_BODY_BYTES, OPERATOR_TOKEN, PUBLIC_URL, SESSION_TTL, SMTP_HOST,
    SMTP_PASSWORD, SMTP_PORT, SMTP_TLS, SMTP_USERNAME, Setting, TIMER_LEASE, WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_TIMEOUT,
};
use leadpool_app::mail::MailConfig;
use leadpool_domain::delivery::RetryPolicy;

use keys::Kind;

/// The environment variable naming the configuration file when `--config` is not given.
pub const CONFIG_ENV: &str = "LEADPOOL_CONFIG";

/// Where a key's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// Nobody set it: the built-in default.
    #[default]
    Default,
    /// The configuration file at this path.
    File(PathBuf),
    /// The key's `LEADPOOL_*` environment variable.
    Env(Key),
    /// A command-line flag.
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("the default"),
            Self::File(path) => write!(f, "set in {}", path.display()),
            Self::Env(key) => write!(f, "set by {}", key.env()),
            Self::Flag => f.write_str("set on the command line"),
        }
    }
}

/// A secret string whose `Debug` output is `[redacted]`; it has no `Display` on purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for comparing with what a client sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A key's value as given, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A secret, never shown.
    Secret(Secret),
    /// A path (a flag's may not be UTF-8).
    Path(PathBuf),
    /// A whole number.
    Integer(i64),
}

impl Value {
    /// Text as given for a key of `kind`: a path or a secret where the key holds one.
    fn of_kind(kind: Kind, text: String) -> Self {
        match kind {
            Kind::Secret => Self::Secret(Secret(text)),
            Kind::Path => Self::Path(PathBuf::from(text)),
            Kind::Integer => text.trim().parse().map_or(Self::Text(text), Self::Integer),
            Kind::Text | Kind::Url => Self::Text(text),
        }
    }

    /// The value as text.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(s) => Cow::Borrowed(s),
            Self::Secret(s) => Cow::Borrowed(s.expose()),
            Self::Path(p) => p.to_string_lossy(),
            Self::Integer(n) => Cow::Owned(n.to_string()),
        }
    }

    /// The value as a path.
    pub fn path(&self) -> PathBuf {
        match self {
            Self::Path(p) => p.clone(),
            other => PathBuf::from(other.text().into_owned()),
        }
    }

    /// The value as a secret.
    pub fn secret(&self) -> Secret {
        match self {
            Self::Secret(s) => s.clone(),
            other => Secret(other.text().into_owned()),
        }
    }

    /// The value as a whole number.
    pub fn integer(&self) -> Result<i64, String> {
        match self {
            Self::Integer(n) => Ok(*n),
            other => Err(format!("`{}` is not a whole number", other.text())),
        }
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<PathBuf> for Value {
    fn from(path: PathBuf) -> Self {
        Self::Path(path)
    }
}

impl From<Secret> for Value {
    fn from(secret: Secret) -> Self {
        Self::Secret(secret)
    }
}

/// A set key's value and where it came from.
#[derive(Clone, PartialEq)]
struct Given {
    key: Key,
    value: Value,
    origin: Origin,
}

/// Configuration as given, before validation: only the keys somebody set.
///
/// Build the flags layer with [`RawConfig::with`]; [`RawConfig::load`] merges it over the
/// file and the environment.
#[derive(Clone, Default, PartialEq)]
pub struct RawConfig {
    given: BTreeMap<&'static str, Given>,
}

impl fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for g in self.given.values() {
            let shown = match (g.key.kind(), &g.value) {
                (Kind::Url, v) => format!("{:?}", leadpool_store::redact(&v.text())),
                (_, v @ Value::Secret(_)) | (Kind::Secret, v) => format!("{:?}", v.secret()),
                (_, v) => format!("{v:?}"),
            };
            map.entry(&g.key.name(), &format_args!("{shown} ({})", g.origin));
        }
        map.finish()
    }
}

impl RawConfig {
    /// This configuration with `key` set to `value` when there is one (an absent flag
    /// leaves the key as it was).
    #[must_use]
    pub fn with(mut self, key: Key, value: Option<impl Into<Value>>) -> Self {
        if let Some(value) = value {
            let value = match value.into() {
                Value::Text(text) => Value::of_kind(key.kind(), text),
                other => other,
            };
            self.set(key, value, Origin::Default);
        }
        self
    }

    /// The value given for `key`, if any.
    pub fn get(&self, key: Key) -> Option<&Value> {
        self.given.get(key.name()).map(|g| &g.value)
    }

    /// Whether somebody set `key`.
    pub fn is_set(&self, key: Key) -> bool {
        self.given.contains_key(key.name())
    }

    /// Where `key`'s value came from.
    pub fn origin(&self, key: Key) -> Origin {
        self.given
            .get(key.name())
            .map(|g| g.origin.clone())
            .unwrap_or_default()
    }

    fn set(&mut self, key: Key, value: Value, origin: Origin) {
        self.given.insert(key.name(), Given { key, value, origin });
    }

    /// Merges the layers: the TOML file (`file`, else the path in `LEADPOOL_CONFIG`, else
    /// none), then the `LEADPOOL_*` variables read through `env`, then `flags`.
    ///
    /// Empty environment variables count as unset. Defaults are applied by
    /// [`Config::validate`], so keys nobody set stay unset here.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: RawConfig,
    ) -> Result<RawConfig, ConfigError> {
        let from_env_path = env(CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        let path = file.map(Path::to_path_buf).or(from_env_path);
        let mut raw = match &path {
            Some(path) => file::read(path)?,
            None => RawConfig::default(),
        };
        raw.overlay(Self::from_env(env)?, &Origin::Env);
        raw.overlay(flags, &|_| Origin::Flag);
        Ok(raw)
    }

    /// Puts every value set in `top` over this one, recording where it came from.
    fn overlay(&mut self, top: RawConfig, origin: &dyn Fn(Key) -> Origin) {
        for g in top.given.into_values() {
            self.set(g.key, g.value, origin(g.key));
        }
    }

    /// Reads the `LEADPOOL_*` variables; numbers are parsed here so the error names the variable.
    fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<RawConfig, ConfigError> {
        let mut raw = RawConfig::default();
        for key in KEYS {
            let Some(text) = env(key.env()).filter(|v| !v.is_empty()) else {
                continue;
            };
            let value = Value::of_kind(key.kind(), text);
            if key.kind() == Kind::Integer && value.integer().is_err() {
                return Err(ConfigError::Invalid {
                    key,
                    origin: Origin::Env(key),
                    problem: format!(
                        "`{}` is not a whole number; use e.g. {}",
                        value.text(),
                        key.example()
                    ),
                });
            }
            raw.set(key, value, Origin::Env(key));
        }
        Ok(raw)
    }
}

impl<T> Setting<T> {
    /// The key's value, or its default, checked; `None` when it has neither.
    pub fn optional(&self, raw: &RawConfig) -> Result<Option<T>, ConfigError> {
        let value = raw
            .get(self.key)
            .cloned()
            .or_else(|| self.key.default_value());
        value
            .map(|v| {
                (self.check)(&v).map_err(|problem| ConfigError::Invalid {
                    key: self.key,
                    origin: raw.origin(self.key),
                    problem,
                })
            })
            .transpose()
    }

    /// The key's value, or its default, checked.
    pub fn value(&self, raw: &RawConfig) -> Result<T, ConfigError> {
        self.optional(raw)?.ok_or_else(|| ConfigError::Invalid {
            key: self.key,
            origin: Origin::Default,
            problem: format!(
                "is not set; set it, e.g. {} = {}",
                self.key,
                self.key.example()
            ),
        })
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// The configuration name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// Validated configuration: what the server runs with.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and other local files.
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`; may hold a password, so never log it unredacted.
    pub database_url: String,
    /// How logs are written.
    pub log_format: LogFormat,
    /// A tracing env-filter string.
    pub log_level: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a web session lasts.
    pub session_ttl: Duration,
    /// When the session cookie is marked `Secure`.
    pub cookie_secure: leadpool_web::CookieSecure,
    /// Most database connections held open.
    pub db_max_connections: u32,
    /// Bearer token allowed to manage organizations; `None` turns that API off.
    pub operator_token: Option<Secret>,
    /// How many attempts a webhook delivery gets.
    pub webhook_attempts: RetryPolicy,
    /// How long a webhook receiver has to answer.
    pub webhook_timeout: Duration,
    /// How long an instance keeps the due timers it has taken.
    pub timer_lease: Duration,
    /// Where people open leadpool, for links in email.
    pub public_url: String,
    /// The SMTP server and sender; `None`: no email is sent.
    pub mail: Option<MailConfig>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &leadpool_store::redact(&self.database_url))
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("session_ttl", &self.session_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("db_max_connections", &self.db_max_connections)
            .field("operator_token", &self.operator_token)
            .field("webhook_attempts", &self.webhook_attempts)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("timer_lease", &self.timer_lease)
            .field("public_url", &self.public_url)
            .field("mail", &self.mail)
            .finish()
    }
}

impl Config {
    /// Applies defaults to the keys nobody set and checks every value, in [`KEYS`] order.
    pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let listen = LISTEN.value(&raw)?;
        let data_dir = DATA_DIR.value(&raw)?;
        let database_url = DATABASE_URL
            .optional(&raw)?
            .unwrap_or_else(|| default_database_url(&data_dir));
        let public_url = PUBLIC_URL
            .optional(&raw)?
            .unwrap_or_else(|| format!("http://{listen}"));
        Ok(Config {
            listen,
            data_dir,
            database_url,
            log_format: LOG_FORMAT.value(&raw)?,
            log_level: LOG_LEVEL.value(&raw)?,
            max_body_bytes: MAX_BODY_BYTES.value(&raw)?,
            session_ttl: SESSION_TTL.value(&raw)?,
            cookie_secure: COOKIE_SECURE.value(&raw)?,
            db_max_connections: DB_MAX_CONNECTIONS.value(&raw)?,
            operator_token: OPERATOR_TOKEN.optional(&raw)?,
            webhook_attempts: WEBHOOK_MAX_ATTEMPTS.value(&raw)?,
            webhook_timeout: WEBHOOK_TIMEOUT.value(&raw)?,
            timer_lease: TIMER_LEASE.value(&raw)?,
            mail: mail_config(&raw, &public_url)?,
            public_url,
        })
    }
}

/// The SMTP settings, when `smtp_host` is set: the sender is then needed, the port follows
/// the TLS mode unless given, and a user name needs its password.
fn mail_config(raw: &RawConfig, public_url: &str) -> Result<Option<MailConfig>, ConfigError> {
    let Some(host) = SMTP_HOST.optional(raw)? else {
        return Ok(None);
    };
    let needs = |key: Key, problem: &str| ConfigError::Invalid {
        key,
        origin: Origin::Default,
        problem: problem.to_owned(),
    };
    let from = MAIL_FROM.optional(raw)?.ok_or_else(|| {
        needs(
            MAIL_FROM.key,
            "is needed with smtp_host: the address leadpool's email comes from, e.g. Leadpool <leads@example.com>",
        )
    })?;
    let tls = SMTP_TLS.value(raw)?;
    let credentials = match (SMTP_USERNAME.optional(raw)?, SMTP_PASSWORD.optional(raw)?) {
        (None, _) => None,
        (Some(user), Some(password)) => Some((user, password.expose().to_owned())),
        (Some(_), None) => {
            return Err(needs(
                SMTP_PASSWORD.key,
                "is needed with smtp_username; set LEADPOOL_SMTP_PASSWORD",
            ));
        }
    };
    Ok(Some(MailConfig {
        port: SMTP_PORT.optional(raw)?.unwrap_or(tls.default_port()),
        host,
        tls,
        credentials,
        from,
        public_url: public_url.to_owned(),
    }))
}

/// `sqlite://<data_dir>/leadpool.db`.
fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("leadpool.db").display())
}

/// Why the configuration cannot be used; `Display` is one sentence saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The file named by `--config` or `LEADPOOL_CONFIG` is missing or unreadable.
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// What went wrong, e.g. "does not exist".
        reason: String,
    },
    /// The file is not valid TOML or holds a key leadpool does not know.
    File {
        /// The path as given.
        path: PathBuf,
        /// What is wrong, completing "config file `PATH` …".
        message: String,
    },
    /// One key's value is unusable.
    Invalid {
        /// The key.
        key: Key,
        /// Where the value came from.
        origin: Origin,
        /// What is wrong and what to type instead (secrets and passwords left out).
        problem: String,
    },
}

impl ConfigError {
    /// The key the error is about, if it is about one.
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Invalid { key, .. } => Some(*key),
            Self::Unreadable { .. } | Self::File { .. } => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { path, reason } => write!(
                f,
                "config file `{}` (from --config or {CONFIG_ENV}) {reason}; fix the path, or create it with `leadpool config print-default > {}`",
                path.display(),
                path.display()
            ),
            Self::File { path, message } => {
                write!(f, "config file `{}` {message}", path.display())
            }
            Self::Invalid {
                key,
                origin: Origin::Default,
                problem,
            } => write!(f, "{key}: {problem}"),
            Self::Invalid {
                key,
                origin,
                problem,
            } => write!(f, "{key} ({origin}): {problem}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A commented example `leadpool.toml` listing every key, its default and its variable.
pub fn print_default() -> String {
    let mut out = String::from(
        "# leadpool configuration file (TOML).\n\
         #\n\
         # Every key is optional; the values shown are the defaults. Later layers win:\n\
         # built-in defaults < this file (--config PATH or LEADPOOL_CONFIG)\n\
         #   < LEADPOOL_* environment variables < command-line flags.\n\
         # Remove the leading \"# \" from a key's line to set it.\n",
    );
    for key in KEYS {
        out.push('\n');
        out.push_str(&format!("# {}\n", key.help()));
        out.push_str(&format!("# Environment variable: {}\n", key.env()));
        out.push_str(&format!("# {} = {}\n", key.name(), key.example()));
    }
    out
}
