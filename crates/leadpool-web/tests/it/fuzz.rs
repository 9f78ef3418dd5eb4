//! Fuzzing intake: bodies a source might send, well-formed or not — each field given any
//! JSON value, texts with control characters and odd scripts, broken JSON, wrong
//! types. Every answer is a stored lead (201/200) or a refusal in the error shape (4xx),
//! never a server error, and a stored lead holds no control character. `PROPTEST_CASES`
//! sets how many bodies (256 by default).

use leadpool_testkit::app_test;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::Value;

/// Texts that probe the checks: ordinary values, limits, control characters, scripts.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Ana Lima".to_owned()),
        Just("ana@example.com".to_owned()),
        Just("+1 303 555 0100".to_owned()),
        Just(String::new()),
        Just("  ".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("line\nbreak".to_owned()),
        Just("\u{1b}[31mred".to_owned()),
        Just("x".repeat(300)),
        Just("é中😀\u{200b}".to_owned()),
        "\\PC{0,20}",
        ".{0,12}",
    ]
}

/// Any JSON value, shallow: what a broken client puts where a field should be.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A field of a lead with a value of the right shape or of any shape.
fn field() -> impl Strategy<Value = (&'static str, Value)> {
    let name = prop::sample::select(
        &[
            "name",
            "email",
            "emails",
            "phone",
            "phones",
            "tags",
            "fields",
            "external_id",
            "unknown",
        ][..],
    );
    let list = prop::collection::vec(text().prop_map(Value::String), 0..12).prop_map(Value::Array);
    let fields = prop::collection::btree_map(
        text(),
        prop_oneof![
            text().prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool)
        ],
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    (
        name,
        prop_oneof![text().prop_map(Value::String), list, fields, value()],
    )
}

/// A request body: an object of fields, or some bytes that are not one.
fn intake_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // A lead a source would send, with up to three fields set to something else.
        8 => (prop::collection::vec(field(), 0..4), any::<u32>()).prop_map(|(fs, n)| {
            let mut o = serde_json::Map::new();
            o.insert("name".to_owned(), Value::from(format!("Lead {n}")));
            o.insert("email".to_owned(), Value::from(format!("lead{n}@example.com")));
            o.extend(fs.into_iter().map(|(k, v)| (k.to_owned(), v)));
            serde_json::to_vec(&Value::Object(o)).unwrap_or_default()
        }),
        1 => value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// Whether any string anywhere in `v` holds a control character.
fn holds_control(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().any(char::is_control),
        Value::Array(a) => a.iter().any(holds_control),
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.chars().any(char::is_control) || holds_control(v)),
        _ => false,
    }
}

app_test! {
    async fn fuzz_any_intake_body_is_stored_or_refused_in_the_error_shape_never_a_server_error(app) {
        let (_, key) = app.source("Website").await;
        let config = Config::default();
        let mut runner = TestRunner::new(config.clone());
        let strategy = intake_body();
        let (mut stored, mut refused) = (0, 0);
        for _ in 0..config.cases {
            let bytes = strategy.new_tree(&mut runner).expect("a body is drawn").current();
            let shown = String::from_utf8_lossy(&bytes).into_owned();
            let answer = app.http.post(format!("{}/api/v1/intake", app.base))
                .header("x-intake-key", &key)
                .header("content-type", "application/json")
                .body(bytes)
                .send().await.expect("the intake answers");
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            if status == StatusCode::CREATED || status == StatusCode::OK {
                stored += 1;
                assert!(!holds_control(&body["lead"]), "a control character was stored: {body} from {shown}");
                let id = body["lead"]["id"].as_i64().expect("a stored lead's id");
                let read = app.get(&format!("/api/v1/leads/{id}"), &app.admin.token).await;
                assert_eq!(read.status, StatusCode::OK, "{}", read.body);
            } else {
                refused += 1;
                assert!(status.is_client_error(), "{status} {body} for {shown}");
                assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{status} {body} for {shown}");
            }
        }
        assert!(stored > 0 && refused > 0, "the bodies drawn tried both ways: {stored} stored, {refused} refused");
    }
}
