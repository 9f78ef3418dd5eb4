//! Configuration in two stages: [`RawConfig`], the layers as given (defaults < TOML file
//! < `LEADPOOL_*` environment < command-line flags), and [`Config`], the validated values
//! the server runs with.
//!
//! Loading reads at most one file, the one named by `--config` or `LEADPOOL_CONFIG`, and
//! has no other side effect; validation is pure. Every error is one sentence naming the
//! key, where its value came from, what is wrong and what to type instead. Secrets and
//! database passwords never appear in `Debug` output or error messages.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The environment variable naming the configuration file when `--config` is not given.
pub const CONFIG_ENV: &str = "LEADPOOL_CONFIG";

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_LOG_LEVEL: &str = "info";
const DEFAULT_MAX_BODY_BYTES: i64 = 1_048_576;
const DEFAULT_SESSION_TTL: &str = "12h";
const DEFAULT_DB_MAX_CONNECTIONS: i64 = 8;

const MAX_BODY_RANGE: std::ops::RangeInclusive<i64> = 1024..=67_108_864;
const DB_CONNECTIONS_RANGE: std::ops::RangeInclusive<i64> = 1..=200;
const MIN_SESSION_TTL: Duration = Duration::from_secs(60);
const MAX_SESSION_TTL: Duration = Duration::from_secs(365 * 86_400);
const MIN_OPERATOR_TOKEN: usize = 32;

/// One configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// `listen`: the HTTP server's address and port.
    Listen,
    /// `data_dir`: where the SQLite database and other files live.
    DataDir,
    /// `database_url`: which database to use.
    DatabaseUrl,
    /// `log_format`: text or JSON logs.
    LogFormat,
    /// `log_level`: a tracing env-filter string.
    LogLevel,
    /// `max_body_bytes`: the largest request body accepted.
    MaxBodyBytes,
    /// `session_ttl`: how long a web session lasts.
    SessionTtl,
    /// `db_max_connections`: the database connection pool size.
    DbMaxConnections,
    /// `operator_token`: the bearer token that may manage organizations.
    OperatorToken,
}

/// Whether a key holds text or a whole number in the TOML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
}

impl Key {
    /// Every key, in the order `print_default` shows them.
    pub const ALL: [Self; 9] = [
        Self::Listen,
        Self::DataDir,
        Self::DatabaseUrl,
        Self::LogFormat,
        Self::LogLevel,
        Self::MaxBodyBytes,
        Self::SessionTtl,
        Self::DbMaxConnections,
        Self::OperatorToken,
    ];

    /// The key's name in the TOML file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Listen => "listen",
            Self::DataDir => "data_dir",
            Self::DatabaseUrl => "database_url",
            Self::LogFormat => "log_format",
            Self::LogLevel => "log_level",
            Self::MaxBodyBytes => "max_body_bytes",
            Self::SessionTtl => "session_ttl",
            Self::DbMaxConnections => "db_max_connections",
            Self::OperatorToken => "operator_token",
        }
    }

    /// The environment variable that sets the key.
    pub const fn env(self) -> &'static str {
        match self {
            Self::Listen => "LEADPOOL_LISTEN",
            Self::DataDir => "LEADPOOL_DATA_DIR",
            Self::DatabaseUrl => "LEADPOOL_DATABASE_URL",
            Self::LogFormat => "LEADPOOL_LOG_FORMAT",
            Self::LogLevel => "LEADPOOL_LOG",
            Self::MaxBodyBytes => "LEADPOOL_MAX_BODY_BYTES",
            Self::SessionTtl => "LEADPOOL_SESSION_TTL",
            Self::DbMaxConnections => "LEADPOOL_DB_MAX_CONNECTIONS",
            Self::OperatorToken => "LEADPOOL_OPERATOR_TOKEN",
        }
    }

    /// A one-line explanation, as `print_default` and `--help` show it.
    pub const fn help(self) -> &'static str {
        match self {
            Self::Listen => {
                "Address and port the HTTP server listens on (0.0.0.0:8080 for every interface)."
            }
            Self::DataDir => {
                "Directory for the SQLite database and other local files; created if missing."
            }
            Self::DatabaseUrl => {
                "Database: sqlite://PATH or postgres://USER:PASSWORD@HOST:5432/DB; defaults to sqlite://<data_dir>/leadpool.db."
            }
            Self::LogFormat => "Log output: text (for people) or json (for log collectors).",
            Self::LogLevel => {
                "Which logs to write, as a tracing filter, e.g. info or leadpool=debug,info."
            }
            Self::MaxBodyBytes => "Largest request body accepted, in bytes (1024 to 67108864).",
            Self::SessionTtl => "How long a web session lasts: a number followed by s, m, h or d.",
            Self::DbMaxConnections => {
                "Most database connections held open (1 to 200); on SQLite these read, and writes share one more."
            }
            Self::OperatorToken => {
                "Bearer token allowed to manage organizations through the API (at least 32 characters; generate one with `openssl rand -hex 32`); unset turns that API off."
            }
        }
    }

    /// The value `print_default` shows, as TOML.
    const fn example(self) -> &'static str {
        match self {
            Self::Listen => "\"127.0.0.1:8080\"",
            Self::DataDir => "\"./data\"",
            Self::DatabaseUrl => "\"sqlite://./data/leadpool.db\"",
            Self::LogFormat => "\"text\"",
            Self::LogLevel => "\"info\"",
            Self::MaxBodyBytes => "1048576",
            Self::SessionTtl => "\"12h\"",
            Self::DbMaxConnections => "8",
            Self::OperatorToken => "\"\"",
        }
    }

    const fn kind(self) -> Kind {
        match self {
            Self::MaxBodyBytes | Self::DbMaxConnections => Kind::Integer,
            _ => Kind::Text,
        }
    }

    fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// Where each key of a [`RawConfig`] came from; keys not listed have their default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(BTreeMap<Key, Origin>);

impl Origins {
    /// Where `key`'s value came from.
    pub fn of(&self, key: Key) -> Origin {
        self.0.get(&key).cloned().unwrap_or_default()
    }
}

/// A secret string whose `Debug` output is `[redacted]`; it has no `Display` on purpose.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
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

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Configuration as given, before validation: every key optional.
///
/// Build the flags layer with struct syntax and `..RawConfig::default()`;
/// [`RawConfig::load`] merges it over the file and the environment.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address and port to listen on, e.g. `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Directory for the SQLite database and other local files.
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: Option<String>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    /// A tracing env-filter string.
    pub log_level: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: Option<i64>,
    /// Session lifetime such as `12h`.
    pub session_ttl: Option<String>,
    /// Database connection pool size.
    pub db_max_connections: Option<i64>,
    /// Bearer token allowed to manage organizations.
    pub operator_token: Option<Secret>,
    /// Where each value came from; filled in by [`RawConfig::load`].
    #[serde(skip)]
    pub origins: Origins,
}

impl fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawConfig")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(leadpool_store::redact),
            )
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("session_ttl", &self.session_ttl)
            .field("db_max_connections", &self.db_max_connections)
            .field("operator_token", &self.operator_token)
            .field("origins", &self.origins)
            .finish()
    }
}

/// Moves `value` into `slot` when it is set, recording where it came from.
fn layer<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    key: Key,
    origin: &dyn Fn(Key) -> Origin,
    origins: &mut Origins,
) {
    if let Some(v) = value {
        *slot = Some(v);
        origins.0.insert(key, origin(key));
    }
}

impl RawConfig {
    /// Merges the layers: the TOML file (`file`, else the path in `LEADPOOL_CONFIG`, else
    /// none), then the `LEADPOOL_*` variables read through `env`, then `flags`.
    ///
    /// Empty environment variables count as unset. Defaults are applied by
    /// [`Config::validate`], so keys nobody set stay `None` here.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: RawConfig,
    ) -> Result<RawConfig, ConfigError> {
        let from_env_path = env(CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        let path = file.map(Path::to_path_buf).or(from_env_path);
        let mut raw = match &path {
            Some(path) => Self::from_file(path)?,
            None => RawConfig::default(),
        };
        raw.overlay(Self::from_env(env)?, &Origin::Env);
        raw.overlay(flags, &|_| Origin::Flag);
        Ok(raw)
    }

    /// Puts every value set in `top` over this one.
    fn overlay(&mut self, top: RawConfig, origin: &dyn Fn(Key) -> Origin) {
        let o = &mut self.origins;
        layer(&mut self.listen, top.listen, Key::Listen, origin, o);
        layer(&mut self.data_dir, top.data_dir, Key::DataDir, origin, o);
        layer(
            &mut self.database_url,
            top.database_url,
            Key::DatabaseUrl,
            origin,
            o,
        );
        layer(
            &mut self.log_format,
            top.log_format,
            Key::LogFormat,
            origin,
            o,
        );
        layer(&mut self.log_level, top.log_level, Key::LogLevel, origin, o);
        layer(
            &mut self.max_body_bytes,
            top.max_body_bytes,
            Key::MaxBodyBytes,
            origin,
            o,
        );
        layer(
            &mut self.session_ttl,
            top.session_ttl,
            Key::SessionTtl,
            origin,
            o,
        );
        layer(
            &mut self.db_max_connections,
            top.db_max_connections,
            Key::DbMaxConnections,
            origin,
            o,
        );
        layer(
            &mut self.operator_token,
            top.operator_token,
            Key::OperatorToken,
            origin,
            o,
        );
    }

    /// Reads and parses the configuration file at `path`.
    fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
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
        // Checked here rather than left to serde so the message can name the key and
        // suggest the one that was probably meant.
        for (name, value) in &table {
            let Some(key) = Key::by_name(name) else {
                let hint = match closest_key(name) {
                    Some(k) => format!(" (did you mean `{k}`?)"),
                    None => String::new(),
                };
                let known = Key::ALL.map(Key::name).join(", ");
                return Err(syntax(format!(
                    "has an unknown key `{name}`{hint}; the keys are {known}"
                )));
            };
            let ok = match key.kind() {
                Kind::Text => value.is_str(),
                Kind::Integer => value.is_integer(),
            };
            if !ok {
                let wanted = match key.kind() {
                    Kind::Text => format!("text in quotes, e.g. {key} = {}", key.example()),
                    Kind::Integer => {
                        format!(
                            "a whole number without quotes, e.g. {key} = {}",
                            key.example()
                        )
                    }
                };
                return Err(ConfigError::Invalid {
                    key,
                    origin: origin.clone(),
                    problem: format!("found {} `{value}`; use {wanted}", value.type_str()),
                });
            }
        }
        let mut raw: RawConfig = table
            .try_into()
            .map_err(|e: toml::de::Error| syntax(e.message().trim_end().to_owned()))?;
        for key in Key::ALL {
            if raw.is_set(key) {
                raw.origins.0.insert(key, origin.clone());
            }
        }
        Ok(raw)
    }

    /// Reads the `LEADPOOL_*` variables; numbers are parsed here so the error names the variable.
    fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<RawConfig, ConfigError> {
        let get = |key: Key| env(key.env()).filter(|v| !v.is_empty());
        let number = |key: Key| -> Result<Option<i64>, ConfigError> {
            get(key)
                .map(|v| {
                    v.trim().parse::<i64>().map_err(|_| ConfigError::Invalid {
                        key,
                        origin: Origin::Env(key),
                        problem: format!("`{v}` is not a whole number; use e.g. {}", key.example()),
                    })
                })
                .transpose()
        };
        Ok(RawConfig {
            listen: get(Key::Listen),
            data_dir: get(Key::DataDir).map(PathBuf::from),
            database_url: get(Key::DatabaseUrl),
            log_format: get(Key::LogFormat),
            log_level: get(Key::LogLevel),
            max_body_bytes: number(Key::MaxBodyBytes)?,
            session_ttl: get(Key::SessionTtl),
            db_max_connections: number(Key::DbMaxConnections)?,
            operator_token: get(Key::OperatorToken).map(Secret),
            origins: Origins::default(),
        })
    }

    fn is_set(&self, key: Key) -> bool {
        match key {
            Key::Listen => self.listen.is_some(),
            Key::DataDir => self.data_dir.is_some(),
            Key::DatabaseUrl => self.database_url.is_some(),
            Key::LogFormat => self.log_format.is_some(),
            Key::LogLevel => self.log_level.is_some(),
            Key::MaxBodyBytes => self.max_body_bytes.is_some(),
            Key::SessionTtl => self.session_ttl.is_some(),
            Key::DbMaxConnections => self.db_max_connections.is_some(),
            Key::OperatorToken => self.operator_token.is_some(),
        }
    }
}

/// The known key nearest to a misspelt one, if any is close.
fn closest_key(name: &str) -> Option<Key> {
    Key::ALL
        .into_iter()
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
    /// Most database connections held open.
    pub db_max_connections: u32,
    /// Bearer token allowed to manage organizations; `None` turns that API off.
    pub operator_token: Option<Secret>,
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
            .field("db_max_connections", &self.db_max_connections)
            .field("operator_token", &self.operator_token)
            .finish()
    }
}

impl Config {
    /// Applies defaults to the keys nobody set and checks every value.
    pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let origins = &raw.origins;
        let invalid = |key: Key, problem: String| ConfigError::Invalid {
            key,
            origin: origins.of(key),
            problem,
        };

        let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN).trim();
        let listen = listen_text.parse::<SocketAddr>().map_err(|_| {
            invalid(
                Key::Listen,
                format!("`{listen_text}` is not an address:port; use e.g. {DEFAULT_LISTEN}"),
            )
        })?;

        let data_dir = raw
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid(
                Key::DataDir,
                format!("the path is empty; use a directory, e.g. {DEFAULT_DATA_DIR}"),
            ));
        }

        let database_url = match raw.database_url.as_deref().map(str::trim) {
            Some(url) => {
                check_database_url(url).map_err(|problem| invalid(Key::DatabaseUrl, problem))?;
                url.to_owned()
            }
            None => default_database_url(&data_dir),
        };

        let log_format = match raw.log_format.as_deref().map(str::trim) {
            None => LogFormat::Text,
            Some(s) if s.eq_ignore_ascii_case("text") => LogFormat::Text,
            Some(s) if s.eq_ignore_ascii_case("json") => LogFormat::Json,
            Some(s) => {
                return Err(invalid(
                    Key::LogFormat,
                    format!("`{s}` is not a log format; use text or json"),
                ));
            }
        };

        let log_level = raw
            .log_level
            .as_deref()
            .unwrap_or(DEFAULT_LOG_LEVEL)
            .trim()
            .to_owned();
        if log_level.is_empty() {
            return Err(invalid(
                Key::LogLevel,
                "the filter is empty; use e.g. info or leadpool=debug,info".to_owned(),
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_level) {
            return Err(invalid(
                Key::LogLevel,
                format!(
                    "`{log_level}` is not a tracing filter ({e}); use e.g. info or leadpool=debug,info"
                ),
            ));
        }

        let max_body = raw.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        let max_body_bytes = MAX_BODY_RANGE
            .contains(&max_body)
            .then(|| usize::try_from(max_body).ok())
            .flatten()
            .ok_or_else(|| {
                invalid(
                    Key::MaxBodyBytes,
                    format!(
                        "{max_body} is out of range; use a number of bytes from {} to {} (64 MiB)",
                        MAX_BODY_RANGE.start(),
                        MAX_BODY_RANGE.end()
                    ),
                )
            })?;

        let ttl_text = raw
            .session_ttl
            .as_deref()
            .unwrap_or(DEFAULT_SESSION_TTL)
            .trim();
        let session_ttl = parse_duration(ttl_text).ok_or_else(|| {
            invalid(
                Key::SessionTtl,
                format!(
                    "`{ttl_text}` is not a duration; use a number followed by s, m, h or d, e.g. 12h"
                ),
            )
        })?;
        if session_ttl < MIN_SESSION_TTL {
            return Err(invalid(
                Key::SessionTtl,
                format!("`{ttl_text}` is too short; use at least 1m"),
            ));
        }
        if session_ttl > MAX_SESSION_TTL {
            return Err(invalid(
                Key::SessionTtl,
                format!("`{ttl_text}` is too long; use at most 365d"),
            ));
        }

        let connections = raw.db_max_connections.unwrap_or(DEFAULT_DB_MAX_CONNECTIONS);
        let db_max_connections = DB_CONNECTIONS_RANGE
            .contains(&connections)
            .then(|| u32::try_from(connections).ok())
            .flatten()
            .ok_or_else(|| {
                invalid(
                    Key::DbMaxConnections,
                    format!(
                        "{connections} is out of range; use a number from {} to {}",
                        DB_CONNECTIONS_RANGE.start(),
                        DB_CONNECTIONS_RANGE.end()
                    ),
                )
            })?;

        let operator_token = match raw.operator_token {
            None => None,
            Some(token) => {
                let text = token.expose();
                if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(invalid(
                        Key::OperatorToken,
                        "the token contains spaces or control characters; use letters and digits, e.g. the output of `openssl rand -hex 32`".to_owned(),
                    ));
                }
                let n = text.chars().count();
                if n < MIN_OPERATOR_TOKEN {
                    return Err(invalid(
                        Key::OperatorToken,
                        format!(
                            "the token is {n} characters long; use at least {MIN_OPERATOR_TOKEN}, e.g. the output of `openssl rand -hex 32`"
                        ),
                    ));
                }
                Some(token)
            }
        };

        Ok(Config {
            listen,
            data_dir,
            database_url,
            log_format,
            log_level,
            max_body_bytes,
            session_ttl,
            db_max_connections,
            operator_token,
        })
    }
}

/// `sqlite://<data_dir>/leadpool.db`.
fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("leadpool.db").display())
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
    for key in Key::ALL {
        out.push('\n');
        out.push_str(&format!("# {}\n", key.help()));
        out.push_str(&format!("# Environment variable: {}\n", key.env()));
        out.push_str(&format!("# {} = {}\n", key.name(), key.example()));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn toml_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write temp file");
        f
    }

    fn validate_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::validate(RawConfig::load(None, &env_of(pairs), RawConfig::default())?)
    }

    #[test]
    fn defaults_validate_to_the_documented_values() {
        let c = Config::validate(RawConfig::default()).expect("defaults are valid");
        assert_eq!(c.listen, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url, "sqlite://./data/leadpool.db");
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.log_level, "info");
        assert_eq!(c.max_body_bytes, 1_048_576);
        assert_eq!(c.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(c.db_max_connections, 8);
        assert_eq!(c.operator_token, None);
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        let file = toml_file(
            "listen = \"127.0.0.1:1001\"\n\
             data_dir = \"/from/file\"\n\
             log_level = \"debug\"\n\
             db_max_connections = 3\n",
        );
        let env = env_of(&[
            ("LEADPOOL_LISTEN", "127.0.0.1:1002"),
            ("LEADPOOL_DATA_DIR", "/from/env"),
        ]);
        let flags = RawConfig {
            listen: Some("127.0.0.1:1003".into()),
            ..RawConfig::default()
        };
        let raw = RawConfig::load(Some(file.path()), &env, flags).expect("loads");
        assert_eq!(raw.origins.of(Key::Listen), Origin::Flag);
        assert_eq!(raw.origins.of(Key::DataDir), Origin::Env(Key::DataDir));
        assert_eq!(
            raw.origins.of(Key::LogLevel),
            Origin::File(file.path().to_path_buf())
        );
        assert_eq!(raw.origins.of(Key::MaxBodyBytes), Origin::Default);

        let c = Config::validate(raw).expect("valid");
        assert_eq!(c.listen.port(), 1003);
        assert_eq!(c.data_dir, PathBuf::from("/from/env"));
        assert_eq!(c.log_level, "debug");
        assert_eq!(c.db_max_connections, 3);
        assert_eq!(c.max_body_bytes, 1_048_576);
    }

    #[test]
    fn the_config_file_can_come_from_leadpool_config() {
        let file = toml_file("listen = \"127.0.0.1:9999\"\n");
        let path = file.path().to_string_lossy().into_owned();
        let c = validate_env(&[("LEADPOOL_CONFIG", &path)]).expect("valid");
        assert_eq!(c.listen.port(), 9999);
    }

    #[test]
    fn an_explicit_config_file_that_is_missing_is_an_error_naming_it() {
        let err = RawConfig::load(
            Some(Path::new("/no/such/leadpool.toml")),
            &no_env,
            RawConfig::default(),
        )
        .expect_err("missing file");
        let msg = err.to_string();
        assert!(msg.contains("/no/such/leadpool.toml"), "{msg}");
        assert!(msg.contains("does not exist"), "{msg}");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named_with_a_suggestion() {
        let file = toml_file("lisen = \"127.0.0.1:8080\"\n");
        let err = RawConfig::load(Some(file.path()), &no_env, RawConfig::default())
            .expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.contains("unknown key `lisen`"), "{msg}");
        assert!(
            msg.contains("unknown key `lisen` (did you mean `listen`?); the keys are listen, "),
            "{msg}"
        );
        assert!(msg.contains(&file.path().display().to_string()), "{msg}");
    }

    #[test]
    fn a_wrongly_typed_value_in_the_file_names_its_key() {
        let file = toml_file("max_body_bytes = \"big\"\n");
        let err = RawConfig::load(Some(file.path()), &no_env, RawConfig::default())
            .expect_err("wrong type");
        assert_eq!(err.key(), Some(Key::MaxBodyBytes));
        assert!(
            err.to_string().starts_with("max_body_bytes (set in "),
            "{err}"
        );
    }

    #[test]
    fn broken_toml_says_which_line() {
        let file = toml_file("listen = \"127.0.0.1:8080\"\nlog_level = \nlog_format = \"text\"\n");
        let err = RawConfig::load(Some(file.path()), &no_env, RawConfig::default())
            .expect_err("bad toml");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn a_bad_number_in_the_environment_names_the_variable() {
        let err = validate_env(&[("LEADPOOL_DB_MAX_CONNECTIONS", "lots")]).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "db_max_connections (set by LEADPOOL_DB_MAX_CONNECTIONS): `lots` is not a whole number; use e.g. 8"
        );
    }

    #[test]
    fn empty_environment_variables_count_as_unset() {
        let c = validate_env(&[("LEADPOOL_LISTEN", ""), ("LEADPOOL_OPERATOR_TOKEN", "")])
            .expect("valid");
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.operator_token, None);
    }

    #[test]
    fn every_validation_error_names_its_key_and_where_the_value_came_from() {
        let cases: &[(Key, &str, &str)] = &[
            (Key::Listen, "LEADPOOL_LISTEN", "localhost"),
            (Key::DataDir, "LEADPOOL_DATA_DIR", " "),
            (Key::DatabaseUrl, "LEADPOOL_DATABASE_URL", "mysql://x"),
            (Key::DatabaseUrl, "LEADPOOL_DATABASE_URL", "postgres:///db"),
            (Key::DatabaseUrl, "LEADPOOL_DATABASE_URL", "sqlite://"),
            (Key::LogFormat, "LEADPOOL_LOG_FORMAT", "xml"),
            (Key::LogLevel, "LEADPOOL_LOG", " "),
            (Key::LogLevel, "LEADPOOL_LOG", "leadpool=loud"),
            (Key::MaxBodyBytes, "LEADPOOL_MAX_BODY_BYTES", "10"),
            (Key::MaxBodyBytes, "LEADPOOL_MAX_BODY_BYTES", "999999999"),
            (Key::SessionTtl, "LEADPOOL_SESSION_TTL", "12x"),
            (Key::SessionTtl, "LEADPOOL_SESSION_TTL", "5s"),
            (Key::SessionTtl, "LEADPOOL_SESSION_TTL", "400d"),
            (Key::DbMaxConnections, "LEADPOOL_DB_MAX_CONNECTIONS", "0"),
            (Key::DbMaxConnections, "LEADPOOL_DB_MAX_CONNECTIONS", "201"),
            (Key::OperatorToken, "LEADPOOL_OPERATOR_TOKEN", "short"),
            (
                Key::OperatorToken,
                "LEADPOOL_OPERATOR_TOKEN",
                "has spaces in it and is more than 32 characters long",
            ),
        ];
        for (key, var, value) in cases {
            // data_dir " " is trimmed by nobody, so use a truly empty path through flags.
            let result = if *key == Key::DataDir {
                Config::validate(
                    RawConfig::load(
                        None,
                        &no_env,
                        RawConfig {
                            data_dir: Some(PathBuf::new()),
                            ..RawConfig::default()
                        },
                    )
                    .expect("loads"),
                )
            } else {
                validate_env(&[(var, value)])
            };
            let err = result.expect_err(&format!("{var}={value} was accepted"));
            let msg = err.to_string();
            assert_eq!(err.key(), Some(*key), "{msg}");
            assert!(msg.starts_with(&format!("{key} (")), "{msg}");
            if *key == Key::DataDir {
                assert!(msg.contains("(set on the command line)"), "{msg}");
            } else {
                assert!(msg.contains(&format!("(set by {var})")), "{msg}");
            }
            assert!(msg.contains("use "), "{msg} says what to type");
            assert!(!msg.contains('\n'), "{msg} is one line");
        }
    }

    #[test]
    fn the_documented_messages_read_as_promised() {
        let listen = validate_env(&[("LEADPOOL_LISTEN", "localhost")]).expect_err("bad");
        assert_eq!(
            listen.to_string(),
            "listen (set by LEADPOOL_LISTEN): `localhost` is not an address:port; use e.g. 127.0.0.1:8080"
        );
        let url = Config::validate(RawConfig {
            database_url: Some("mysql://x".into()),
            ..RawConfig::default()
        })
        .expect_err("bad");
        assert_eq!(
            url.to_string(),
            "database_url: `mysql://x` is not supported; use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"
        );
    }

    #[test]
    fn passwords_and_tokens_never_show_in_debug_or_errors() {
        let token = "0123456789abcdef0123456789abcdef-topsecret";
        let raw = RawConfig {
            database_url: Some("postgres://lp:hunter2@db:5432/leadpool".into()),
            operator_token: Some(Secret::new(token)),
            ..RawConfig::default()
        };
        let raw_debug = format!("{raw:?}");
        let c = Config::validate(raw).expect("valid");
        let debug = format!("{c:?}");
        for d in [&raw_debug, &debug] {
            assert!(!d.contains("hunter2"), "{d}");
            assert!(!d.contains("topsecret"), "{d}");
            assert!(d.contains("postgres://lp:***@db:5432/leadpool"), "{d}");
            assert!(d.contains("[redacted]"), "{d}");
        }
        assert_eq!(c.operator_token.as_ref().map(Secret::expose), Some(token));

        let err = validate_env(&[("LEADPOOL_DATABASE_URL", "mysql://root:hunter2@db/x")])
            .expect_err("bad");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("mysql://root:***@db/x"), "{err}");
        let err = validate_env(&[("LEADPOOL_OPERATOR_TOKEN", "tooshort-secret")]).expect_err("bad");
        assert!(!err.to_string().contains("tooshort-secret"), "{err}");
    }

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

    #[test]
    fn database_url_defaults_to_a_file_in_data_dir() {
        let c = validate_env(&[("LEADPOOL_DATA_DIR", "/var/lib/leadpool")]).expect("valid");
        assert_eq!(c.database_url, "sqlite:///var/lib/leadpool/leadpool.db");
        let c = validate_env(&[
            ("LEADPOOL_DATA_DIR", "/var/lib/leadpool"),
            ("LEADPOOL_DATABASE_URL", "postgres://lp:pw@db/lp"),
        ])
        .expect("valid");
        assert_eq!(c.database_url, "postgres://lp:pw@db/lp");
    }

    #[test]
    fn log_format_and_a_long_token_are_accepted() {
        let token = "a".repeat(64);
        let c = validate_env(&[
            ("LEADPOOL_LOG_FORMAT", "json"),
            ("LEADPOOL_LOG", "leadpool=debug,info"),
            ("LEADPOOL_OPERATOR_TOKEN", &token),
            ("LEADPOOL_SESSION_TTL", "30m"),
        ])
        .expect("valid");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.session_ttl, Duration::from_secs(1800));
        assert_eq!(
            c.operator_token.as_ref().map(Secret::expose),
            Some(token.as_str())
        );
    }

    #[test]
    fn print_default_parses_as_is_and_with_every_example_uncommented() {
        let text = print_default();
        for key in Key::ALL {
            assert!(text.contains(key.env()), "{} undocumented", key.env());
            assert!(
                text.contains(&format!("# {} = ", key.name())),
                "{key} missing"
            );
        }
        let file = toml_file(&text);
        let raw = RawConfig::load(Some(file.path()), &no_env, RawConfig::default())
            .expect("print_default parses");
        assert_eq!(
            Config::validate(raw),
            Config::validate(RawConfig::default())
        );

        // Uncommenting every example (but the empty operator token) gives the defaults.
        let uncomment = |skip_token: bool| -> String {
            text.lines()
                .map(|line| match line.strip_prefix("# ") {
                    Some(rest)
                        if Key::ALL
                            .iter()
                            .any(|k| rest.starts_with(&format!("{k} = ")))
                            && !(skip_token && rest.starts_with("operator_token")) =>
                    {
                        rest
                    }
                    _ => line,
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let file = toml_file(&uncomment(true));
        let raw = RawConfig::load(Some(file.path()), &no_env, RawConfig::default())
            .expect("uncommented print_default parses");
        for key in Key::ALL {
            if key != Key::OperatorToken {
                assert!(raw.is_set(key), "{key} not set by its example");
            }
        }
        assert_eq!(
            Config::validate(raw).expect("examples are valid"),
            Config::validate(RawConfig::default()).expect("defaults are valid")
        );

        // The token placeholder is deliberately unusable, so nobody runs with it.
        let file = toml_file(&uncomment(false));
        let raw =
            RawConfig::load(Some(file.path()), &no_env, RawConfig::default()).expect("parses");
        let err = Config::validate(raw).expect_err("empty token refused");
        assert_eq!(err.key(), Some(Key::OperatorToken));
    }
}
