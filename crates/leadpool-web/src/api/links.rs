//! OpenAPI links from each operation that makes a record to the operations on that record,
//! in one place: `POST /api/v1/teams` answering 201 with a team links to `GET`, `PATCH` and
//! every other operation under `/api/v1/teams/{id}`, passing the new id. Clients and
//! stateful fuzzers (tests/schemathesis/run) follow them from a create to its reads, changes
//! and delete, which guessing ids cannot reach.

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

use super::answers::operations;

/// The status a create answers with the record it made.
const CREATED: &str = "201";

/// Gives each create's 201 a link to every operation on the record it made.
pub fn add(doc: &mut OpenApi) {
    let schemas: BTreeMap<String, Value> = doc
        .components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .filter_map(|(name, s)| Some((name.clone(), serde_json::to_value(s).ok()?)))
                .collect()
        })
        .unwrap_or_default();
    // Every operation with its path, found before any create is changed.
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in &mut doc.paths.paths {
        for (op, _) in operations(item) {
            if let Some(id) = &op.operation_id {
                targets.push((path.clone(), id.clone()));
            }
        }
    }
    for (path, item) in &mut doc.paths.paths {
        let Some(post) = &mut item.post else {
            continue;
        };
        let Some(RefOr::T(created)) = post.responses.responses.get_mut(CREATED) else {
            continue;
        };
        let Some(id_at) = created
            .content
            .get("application/json")
            .and_then(|c| match c {
                RefOr::T(c) => c.schema.as_ref(),
                RefOr::Ref(_) => None,
            })
            .and_then(|s| id_pointer(s, &schemas))
        else {
            continue;
        };
        for (target, operation_id) in &targets {
            if let Some(parameters) = link_parameters(path, target, &id_at) {
                let link = parameters
                    .into_iter()
                    .fold(
                        LinkBuilder::new().operation_id(operation_id.clone()),
                        |l, (name, value)| l.parameter(name, value),
                    )
                    .build();
                created.links.insert(operation_id.clone(), RefOr::T(link));
            }
        }
    }
}

/// Where the made record's id is in a 201's body: `/id`, or `/NAME/id` when the body wraps
/// the record in its one property that has an id (a source beside its intake key).
fn id_pointer(
    schema: &RefOr<utoipa::openapi::Schema>,
    schemas: &BTreeMap<String, Value>,
) -> Option<String> {
    let named = |r: &str| schemas.get(r.strip_prefix("#/components/schemas/")?);
    let body = match schema {
        RefOr::Ref(r) => named(&r.ref_location)?,
        RefOr::T(_) => return None,
    };
    let props = body["properties"].as_object()?;
    if props.contains_key("id") {
        return Some("/id".to_owned());
    }
    let mut wrapped = props.iter().filter(|(_, p)| {
        p["$ref"]
            .as_str()
            .and_then(named)
            .is_some_and(|s| s["properties"].get("id").is_some())
    });
    match (wrapped.next(), wrapped.next()) {
        (Some((name, _)), None) => Some(format!("/{name}/id")),
        _ => None,
    }
}

/// The parameters a link from the create at `collection` to an operation at `target` passes,
/// when `target` is a record of that collection (`collection/{NAME}...`): the made id as
/// NAME and the create's own path parameters as they were; `None` for any other path or one
/// needing a parameter neither gives.
fn link_parameters(collection: &str, target: &str, id_at: &str) -> Option<Vec<(String, Value)>> {
    let rest = target.strip_prefix(collection)?.strip_prefix('/')?;
    let first = rest.split('/').next()?;
    let made = first.strip_prefix('{')?.strip_suffix('}')?;
    let own = path_parameters(collection);
    path_parameters(target)
        .into_iter()
        .map(|name| {
            let value = if name == made {
                format!("$response.body#{id_at}")
            } else if own.contains(&name) {
                format!("$request.path.{name}")
            } else {
                return None;
            };
            Some((name, Value::String(value)))
        })
        .collect()
}

/// The `{NAME}` parameters of a path template, in order.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_the_collection_gets_the_made_id_and_the_creates_own_parameters() {
        let params = |c, t| link_parameters(c, t, "/id");
        assert_eq!(
            params("/api/v1/teams", "/api/v1/teams/{id}/calendar"),
            Some(vec![("id".to_owned(), Value::from("$response.body#/id"))])
        );
        assert_eq!(
            params(
                "/api/v1/users/{id}/tokens",
                "/api/v1/users/{id}/tokens/{token_id}"
            ),
            Some(vec![
                ("id".to_owned(), Value::from("$request.path.id")),
                ("token_id".to_owned(), Value::from("$response.body#/id")),
            ])
        );
        // Not a record of the collection, or a parameter nothing gives.
        assert_eq!(params("/api/v1/teams", "/api/v1/teams"), None);
        assert_eq!(params("/api/v1/leads", "/api/v1/leads/claim"), None);
        assert_eq!(
            params("/api/v1/users", "/api/v1/users/{id}/tokens/{token_id}"),
            None
        );
    }
}
