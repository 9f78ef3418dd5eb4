//! The layering, the error messages and the redaction promised in the module header.

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
    let flags = RawConfig::default().with(LISTEN.key, Some("127.0.0.1:1003".to_owned()));
    let raw = RawConfig::load(Some(file.path()), &env, flags).expect("loads");
    assert_eq!(raw.origin(LISTEN.key), Origin::Flag);
    assert_eq!(raw.origin(DATA_DIR.key), Origin::Env(DATA_DIR.key));
    assert_eq!(
        raw.origin(LOG_LEVEL.key),
        Origin::File(file.path().to_path_buf())
    );
    assert_eq!(raw.origin(MAX_BODY_BYTES.key), Origin::Default);

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
    let err =
        RawConfig::load(Some(file.path()), &no_env, RawConfig::default()).expect_err("unknown key");
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
    let err =
        RawConfig::load(Some(file.path()), &no_env, RawConfig::default()).expect_err("wrong type");
    assert_eq!(err.key(), Some(MAX_BODY_BYTES.key));
    assert!(
        err.to_string().starts_with("max_body_bytes (set in "),
        "{err}"
    );
}

#[test]
fn broken_toml_says_which_line() {
    let file = toml_file("listen = \"127.0.0.1:8080\"\nlog_level = \nlog_format = \"text\"\n");
    let err =
        RawConfig::load(Some(file.path()), &no_env, RawConfig::default()).expect_err("bad toml");
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
    let c =
        validate_env(&[("LEADPOOL_LISTEN", ""), ("LEADPOOL_OPERATOR_TOKEN", "")]).expect("valid");
    assert_eq!(c.listen.port(), 8080);
    assert_eq!(c.operator_token, None);
}

#[test]
fn every_validation_error_names_its_key_and_where_the_value_came_from() {
    let cases: &[(Key, &str, &str)] = &[
        (LISTEN.key, "LEADPOOL_LISTEN", "localhost"),
        (DATA_DIR.key, "LEADPOOL_DATA_DIR", " "),
        (DATABASE_URL.key, "LEADPOOL_DATABASE_URL", "mysql://x"),
        (DATABASE_URL.key, "LEADPOOL_DATABASE_URL", "postgres:///db"),
        (DATABASE_URL.key, "LEADPOOL_DATABASE_URL", "sqlite://"),
        (LOG_FORMAT.key, "LEADPOOL_LOG_FORMAT", "xml"),
        (LOG_LEVEL.key, "LEADPOOL_LOG", " "),
        (LOG_LEVEL.key, "LEADPOOL_LOG", "leadpool=loud"),
        (MAX_BODY_BYTES.key, "LEADPOOL_MAX_BODY_BYTES", "10"),
        (MAX_BODY_BYTES.key, "LEADPOOL_MAX_BODY_BYTES", "999999999"),
        (SESSION_TTL.key, "LEADPOOL_SESSION_TTL", "12x"),
        (SESSION_TTL.key, "LEADPOOL_SESSION_TTL", "5s"),
        (SESSION_TTL.key, "LEADPOOL_SESSION_TTL", "400d"),
        (DB_MAX_CONNECTIONS.key, "LEADPOOL_DB_MAX_CONNECTIONS", "0"),
        (DB_MAX_CONNECTIONS.key, "LEADPOOL_DB_MAX_CONNECTIONS", "201"),
        (
            WEBHOOK_MAX_ATTEMPTS.key,
            "LEADPOOL_WEBHOOK_MAX_ATTEMPTS",
            "0",
        ),
        (
            WEBHOOK_MAX_ATTEMPTS.key,
            "LEADPOOL_WEBHOOK_MAX_ATTEMPTS",
            "51",
        ),
        (OPERATOR_TOKEN.key, "LEADPOOL_OPERATOR_TOKEN", "short"),
        (
            OPERATOR_TOKEN.key,
            "LEADPOOL_OPERATOR_TOKEN",
            "has spaces in it and is more than 32 characters long",
        ),
    ];
    for (key, var, value) in cases {
        // data_dir " " is trimmed by nobody, so use a truly empty path through flags.
        let result = if *key == DATA_DIR.key {
            Config::validate(
                RawConfig::load(
                    None,
                    &no_env,
                    RawConfig::default().with(DATA_DIR.key, Some(PathBuf::new())),
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
        if *key == DATA_DIR.key {
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
    let url =
        Config::validate(RawConfig::default().with(DATABASE_URL.key, Some("mysql://x".to_owned())))
            .expect_err("bad");
    assert_eq!(
        url.to_string(),
        "database_url: `mysql://x` is not supported; use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"
    );
}

#[test]
fn passwords_and_tokens_never_show_in_debug_or_errors() {
    let token = "0123456789abcdef0123456789abcdef-topsecret";
    let raw = RawConfig::default()
        .with(
            DATABASE_URL.key,
            Some("postgres://lp:hunter2@db:5432/leadpool".to_owned()),
        )
        .with(OPERATOR_TOKEN.key, Some(Secret::new(token)));
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

    let err =
        validate_env(&[("LEADPOOL_DATABASE_URL", "mysql://root:hunter2@db/x")]).expect_err("bad");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(err.to_string().contains("mysql://root:***@db/x"), "{err}");
    let err = validate_env(&[("LEADPOOL_OPERATOR_TOKEN", "tooshort-secret")]).expect_err("bad");
    assert!(!err.to_string().contains("tooshort-secret"), "{err}");
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
    for key in KEYS {
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
                    if KEYS.iter().any(|k| rest.starts_with(&format!("{k} = ")))
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
    for key in KEYS {
        if key != OPERATOR_TOKEN.key {
            assert!(raw.is_set(key), "{key} not set by its example");
        }
    }
    let uncommented = Config::validate(raw).expect("examples are valid");
    let defaults = Config::validate(RawConfig::default()).expect("defaults are valid");
    // The email examples turn email on, with the example's own public URL; every other
    // example is its key's default.
    let mail = uncommented
        .mail
        .clone()
        .expect("the SMTP examples turn email on");
    assert_eq!((mail.host.as_str(), mail.port), ("smtp.example.com", 587));
    assert_eq!(mail.public_url, uncommented.public_url);
    assert_eq!(
        Config {
            mail: None,
            public_url: defaults.public_url.clone(),
            ..uncommented
        },
        defaults
    );

    // The token placeholder is deliberately unusable, so nobody runs with it.
    let file = toml_file(&uncomment(false));
    let raw = RawConfig::load(Some(file.path()), &no_env, RawConfig::default()).expect("parses");
    let err = Config::validate(raw).expect_err("empty token refused");
    assert_eq!(err.key(), Some(OPERATOR_TOKEN.key));
}

#[test]
fn email_is_off_without_a_host_and_a_host_needs_a_sender() {
    let off = validate_env(&[]).expect("defaults are valid");
    assert_eq!(
        (off.mail, off.public_url.as_str()),
        (None, "http://127.0.0.1:8080")
    );

    let no_from = validate_env(&[("LEADPOOL_SMTP_HOST", "smtp.example.com")])
        .expect_err("a host without a sender");
    assert_eq!(no_from.key(), Some(MAIL_FROM.key));
    assert!(
        no_from.to_string().contains("needed with smtp_host"),
        "{no_from}"
    );

    let tls = validate_env(&[
        ("LEADPOOL_SMTP_HOST", "smtp.example.com"),
        ("LEADPOOL_SMTP_TLS", "tls"),
        ("LEADPOOL_MAIL_FROM", "leads@example.com"),
        ("LEADPOOL_PUBLIC_URL", "https://leads.example.com/"),
    ])
    .expect("a TLS server");
    let mail = tls.mail.expect("email on");
    assert_eq!(
        (mail.port, mail.credentials),
        (465, None),
        "the TLS port by default"
    );
    assert_eq!(mail.public_url, "https://leads.example.com");

    let user_only = validate_env(&[
        ("LEADPOOL_SMTP_HOST", "smtp.example.com"),
        ("LEADPOOL_MAIL_FROM", "leads@example.com"),
        ("LEADPOOL_SMTP_USERNAME", "leads"),
    ])
    .expect_err("a user name without a password");
    assert_eq!(user_only.key(), Some(SMTP_PASSWORD.key));

    for (var, bad, key) in [
        ("LEADPOOL_SMTP_TLS", "ssl", SMTP_TLS.key),
        ("LEADPOOL_SMTP_PORT", "70000", SMTP_PORT.key),
        (
            "LEADPOOL_SMTP_HOST",
            "smtp://smtp.example.com",
            SMTP_HOST.key,
        ),
        ("LEADPOOL_PUBLIC_URL", "leads.example.com", PUBLIC_URL.key),
    ] {
        let e = validate_env(&[
            ("LEADPOOL_SMTP_HOST", "smtp.example.com"),
            ("LEADPOOL_MAIL_FROM", "leads@example.com"),
            (var, bad),
        ])
        .expect_err(bad);
        assert_eq!(e.key(), Some(key), "{e}");
    }
}
