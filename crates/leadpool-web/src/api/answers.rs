//! What the OpenAPI document says each operation can answer, in one place. The answers
//! operations share follow from their shape (who may call them, whether they take a JSON body,
//! path ids or query parameters), because the extractors in [`crate::extract`] and the table in
//! [`crate::error`] give them alike to every handler: [`RULE`] is that rule, and its
//! answers are written once, under `components/responses`, for operations to refer to. What
//! only a use case knows (a taken name, a lost offer, a sign-in throttle) stays in its handler's
//! annotation, whose own words win over the rule's. Every response leaves with a description,
//! which OpenAPI 3.1 requires and utoipa leaves empty unless an annotation gives one.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{Ref, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Object, OpenApi, RefOr, Schema};

use crate::error::status_code_words;

/// The error body's schema, named as `components(schemas(..))` registers it.
const ERROR_BODY: &str = "ErrorBody";

/// The 409 of a write to a lead that kept changing under its retries (`AppError::edit_conflict`).
pub(crate) const EDIT_CONFLICT: &str =
    "`edit_conflict`: the lead kept changing while it was being saved; reload and try again";

/// What about an operation decides the answers it shares with others of its kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    /// It changes something (not GET, HEAD or OPTIONS): a session must prove its CSRF token.
    unsafe_method: bool,
    /// Only a user or the operator may call it (a bearer token or a session, no anonymous).
    signed_in: bool,
    /// A browser session is one way in.
    session: bool,
    /// A source calls it with its intake key.
    intake_key: bool,
    /// It reads a JSON body.
    json_body: bool,
    /// Its path names a record by id.
    path_id: bool,
    /// It reads query parameters.
    query: bool,
}

impl Shape {
    /// The shape of `op`, as its annotation declares it.
    fn of(op: &Operation, unsafe_method: bool) -> Self {
        let security = op.security.as_deref().unwrap_or_default();
        let anonymous_allowed = security.contains(&SecurityRequirement::default());
        let scheme =
            |name: &str| security.contains(&SecurityRequirement::new(name, Vec::<String>::new()));
        let params_in = |place: ParameterIn| {
            op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => p.parameter_in == place,
                RefOr::Ref(_) => false,
            })
        };
        Self {
            unsafe_method,
            signed_in: !anonymous_allowed && (scheme("bearer") || scheme("session")),
            session: scheme("session"),
            intake_key: !anonymous_allowed && scheme("intake_key"),
            json_body: op.request_body.is_some(),
            path_id: params_in(ParameterIn::Path),
            query: params_in(ParameterIn::Query),
        }
    }
}

/// One reason an operation's shape gives it to answer a status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reason {
    /// The status answered.
    status: StatusCode,
    /// Its name under `components/responses`.
    name: &'static str,
    /// What it means, for the description.
    words: String,
}

/// One row of [`RULE`]: the shapes that give an answer, its status, its name under
/// `components/responses` (reasons for one status join theirs with `Or`), and its words when
/// not the status's own in [`error_words`].
type Row = (
    fn(Shape) -> bool,
    StatusCode,
    &'static str,
    Option<&'static str>,
);

/// Which operations can answer what, besides their own answers: the one rule, read off the
/// extractors (`Auth`/`Operator`, `Json`, `Path`, `Query`) and the error table.
const RULE: &[Row] = &[
    (
        |s| s.signed_in,
        StatusCode::UNAUTHORIZED,
        "Unauthenticated",
        None,
    ),
    (|s| s.signed_in, StatusCode::FORBIDDEN, "Forbidden", None),
    (
        |s| s.signed_in && s.session && s.unsafe_method,
        StatusCode::FORBIDDEN,
        "CsrfFailed",
        Some("`csrf_failed`: a session request without its `X-CSRF-Token` header"),
    ),
    (
        |s| s.intake_key,
        StatusCode::UNAUTHORIZED,
        "BadIntakeKey",
        Some("`unauthenticated`: no valid intake key in `X-Intake-Key`"),
    ),
    (
        |s| s.intake_key,
        StatusCode::FORBIDDEN,
        "SourceTurnedOff",
        Some("`forbidden`: the source is turned off"),
    ),
    (
        |s| s.json_body,
        StatusCode::BAD_REQUEST,
        "MalformedJson",
        Some("`malformed_json`: the body is not JSON"),
    ),
    (
        |s| s.json_body,
        StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        None,
    ),
    (
        |s| s.json_body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLarge",
        None,
    ),
    (
        |s| s.json_body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        None,
    ),
    (
        |s| s.json_body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "InvalidBody",
        Some(
            "`invalid_input`: a field is missing, unknown, of the wrong type or not allowed; \
             `details.fields` names each",
        ),
    ),
    (
        |s| s.path_id,
        StatusCode::BAD_REQUEST,
        "InvalidPath",
        Some("`invalid_path`: an id in the path is not a whole number"),
    ),
    (|s| s.path_id, StatusCode::NOT_FOUND, "NotFound", None),
    (
        |s| s.query,
        StatusCode::UNPROCESSABLE_ENTITY,
        "InvalidQuery",
        Some(
            "`invalid_input`: a query parameter is unknown or malformed; `details.fields` names it",
        ),
    ),
    (
        |_| true,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal",
        None,
    ),
    (|_| true, StatusCode::SERVICE_UNAVAILABLE, "Busy", None),
];

/// The answers [`RULE`] gives an operation of this shape.
fn shape_answers(shape: Shape) -> Vec<Reason> {
    RULE.iter()
        .filter(|(gives, ..)| gives(shape))
        .map(|&(_, status, name, words)| Reason {
            status,
            name,
            words: words.map_or_else(|| error_words(status), str::to_owned),
        })
        .collect()
}

/// What an error status means in this API, for an answer that says no more: the codes
/// [`crate::error`] sends with it, in the words it sends where they are fixed.
fn error_words(status: StatusCode) -> String {
    let fixed = |status: StatusCode| {
        let (code, message) = status_code_words(status);
        format!("`{code}`: {message}")
    };
    match status {
        StatusCode::UNAUTHORIZED => {
            "`unauthenticated`: no valid API token or session (answered with \
             `WWW-Authenticate: Bearer`)"
        }
        StatusCode::FORBIDDEN => {
            "`forbidden`: the caller's role or scope does not allow it, or the token is of the \
             other kind (the operator's or a user's)"
        }
        StatusCode::NOT_FOUND => "`not_found`: no such record, or not one the caller may see",
        StatusCode::CONFLICT => {
            "the request conflicts with what is stored; `code` names how (e.g. `already_exists`)"
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            "`invalid_input`: `details.fields` names each bad field"
        }
        StatusCode::TOO_MANY_REQUESTS => {
            "`too_many_attempts`: try again after `Retry-After` seconds"
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "`busy`: the server is saturated; try again after `Retry-After` seconds"
        }
        _ => return fixed(status),
    }
    .to_owned()
}

/// Gives every operation of `doc` the answers its shape implies (shared under
/// `components/responses`), every error answer the error body, every response a description
/// and the headers its status carries.
pub fn complete(doc: &mut OpenApi) {
    let schema_words = schema_descriptions(doc);
    let mut shared = BTreeMap::new();
    for item in doc.paths.paths.values_mut() {
        for (op, unsafe_method) in operations(item) {
            let shape = Shape::of(op, unsafe_method);
            refer_to_shared(op, shape, &mut shared);
            for (status, response) in &mut op.responses.responses {
                if let (RefOr::T(r), Ok(status)) = (response, status.parse()) {
                    complete_response(r, status, &schema_words);
                }
            }
        }
    }
    doc.components
        .get_or_insert_with(Default::default)
        .responses
        .extend(shared.into_iter().map(|(name, r)| (name, RefOr::T(r))));
}

/// Each operation of a path with whether its method changes something.
pub(super) fn operations(item: &mut PathItem) -> impl Iterator<Item = (&mut Operation, bool)> {
    [
        (&mut item.get, false),
        (&mut item.head, false),
        (&mut item.options, false),
        (&mut item.trace, false),
        (&mut item.post, true),
        (&mut item.put, true),
        (&mut item.patch, true),
        (&mut item.delete, true),
    ]
    .into_iter()
    .filter_map(|(op, unsafe_method)| op.as_mut().map(|op| (op, unsafe_method)))
}

/// Points each status `shape` implies at its shared answer (made on first use), unless the
/// operation describes that status in its own words.
fn refer_to_shared(op: &mut Operation, shape: Shape, shared: &mut BTreeMap<String, Response>) {
    let mut by_status: BTreeMap<StatusCode, Vec<Reason>> = BTreeMap::new();
    for reason in shape_answers(shape) {
        by_status.entry(reason.status).or_default().push(reason);
    }
    for (status, reasons) in by_status {
        let key = status.as_u16().to_string();
        let own_words = match op.responses.responses.get(&key) {
            Some(RefOr::T(r)) => !r.description.is_empty(),
            Some(RefOr::Ref(_)) => true,
            None => false,
        };
        if own_words {
            continue;
        }
        let name = reasons
            .iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
            .join("Or");
        shared.entry(name.clone()).or_insert_with(|| {
            let mut r = Response::default();
            r.description = reasons
                .iter()
                .map(|r| r.words.as_str())
                .collect::<Vec<_>>()
                .join("; or ");
            complete_response(&mut r, status, &BTreeMap::new());
            r
        });
        op.responses
            .responses
            .insert(key, RefOr::Ref(Ref::from_response_name(name)));
    }
}

/// A response's missing description, error body and headers.
fn complete_response(
    r: &mut Response,
    status: StatusCode,
    schema_words: &BTreeMap<String, String>,
) {
    let error = status.is_client_error() || status.is_server_error();
    if error && r.content.is_empty() {
        r.content.insert(
            "application/json".to_owned(),
            RefOr::T(Content::new(Some(Ref::from_schema_name(ERROR_BODY)))),
        );
    }
    if r.description.is_empty() {
        r.description = fallback_description(r, status, schema_words);
    }
    let header = match status {
        StatusCode::UNAUTHORIZED => Some((
            "WWW-Authenticate",
            Type::String,
            "`Bearer`: how to authenticate",
        )),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Some((
            "Retry-After",
            Type::Integer,
            "seconds to wait before trying again",
        )),
        _ => None,
    };
    if let Some((name, kind, words)) = header {
        r.headers.entry(name.to_owned()).or_insert_with(|| {
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(Schema::Object(Object::with_type(kind))))
                    .description(Some(words))
                    .build(),
            )
        });
    }
}

/// Words for a response its annotation left undescribed: for an error what the status means
/// here, otherwise the status's reason and the description of the schema it sends.
fn fallback_description(
    r: &Response,
    status: StatusCode,
    schema_words: &BTreeMap<String, String>,
) -> String {
    if status.is_client_error() || status.is_server_error() {
        return error_words(status);
    }
    let reason = status.canonical_reason().unwrap_or("Answer");
    let body_words = r.content.values().find_map(|c| match c {
        RefOr::T(Content {
            schema: Some(RefOr::Ref(s)),
            ..
        }) => s
            .ref_location
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schema_words.get(name)),
        _ => None,
    });
    match body_words {
        Some(words) => format!("{reason}: {words}"),
        None => reason.to_owned(),
    }
}

/// Each named schema's description, by name.
fn schema_descriptions(doc: &OpenApi) -> BTreeMap<String, String> {
    let Some(components) = &doc.components else {
        return BTreeMap::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let described = serde_json::to_value(schema).ok()?;
            let words = described.get("description")?.as_str()?;
            Some((name.clone(), words.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(shape: Shape, status: StatusCode) -> Vec<&'static str> {
        shape_answers(shape)
            .into_iter()
            .filter(|r| r.status == status)
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn only_a_change_made_with_a_session_can_fail_its_csrf_check() {
        let read = Shape {
            signed_in: true,
            session: true,
            ..Shape::default()
        };
        let change = Shape {
            unsafe_method: true,
            ..read
        };
        let operator_change = Shape {
            session: false,
            ..change
        };
        assert_eq!(names(read, StatusCode::FORBIDDEN), ["Forbidden"]);
        assert_eq!(
            names(change, StatusCode::FORBIDDEN),
            ["Forbidden", "CsrfFailed"]
        );
        assert_eq!(names(operator_change, StatusCode::FORBIDDEN), ["Forbidden"]);
    }

    #[test]
    fn an_anonymous_operation_answers_only_what_its_input_and_the_server_can() {
        let login = Shape {
            unsafe_method: true,
            json_body: true,
            ..Shape::default()
        };
        let statuses: Vec<u16> = shape_answers(login)
            .iter()
            .map(|r| r.status.as_u16())
            .collect();
        assert_eq!(statuses, [400, 408, 413, 415, 422, 500, 503]);
    }
}
