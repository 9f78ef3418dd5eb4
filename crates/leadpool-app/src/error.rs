//! Use-case errors, each with a stable code clients can match on. The web layer maps codes
//! to HTTP statuses in one place.

use leadpool_domain::{FieldError, Invalid};
use leadpool_store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is malformed; every bad field is listed.
    #[error("{0}")]
    Invalid(Invalid),
    /// The thing does not exist, or the actor may not see it (never says which).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for ("lead", "team").
        what: &'static str,
    },
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Valid credentials, but the actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The change conflicts with what is stored.
    #[error("{message}")]
    Conflict {
        /// A stable code for the kind of conflict.
        code: &'static str,
        /// What conflicts, for people.
        message: String,
    },
    /// Too many wrong passwords in a row for this address: it must wait before trying again.
    #[error("too many failed sign-ins for this address; try again in {retry_after_secs} s")]
    Throttled {
        /// How long to wait.
        retry_after_secs: u64,
    },
    /// The database is overloaded; retrying is safe.
    #[error("the service is busy; retry shortly")]
    Busy,
    /// Anything unexpected; the message is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::NotFound { .. } => "not_found",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict { code, .. } => code,
            Self::Throttled { .. } => "too_many_attempts",
            Self::Busy => "busy",
            Self::Internal(_) => "internal",
        }
    }

    /// One bad field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(Invalid::one(field, message))
    }

    /// The field errors, when the input was invalid.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(i) => &i.0,
            _ => &[],
        }
    }

    /// A lead kept changing under a write that was retried: the one wording of it.
    pub(crate) fn edit_conflict() -> Self {
        Self::Conflict {
            code: "edit_conflict",
            message: "the lead kept changing while it was being saved; reload and try again".into(),
        }
    }

    /// Maps a store error for an id taken in a body or query: a missing row (another
    /// organization's rows are missing too) is bad input in `field`, not a missing page.
    pub fn absent(field: &'static str, what: &'static str) -> impl Fn(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound => {
                Self::invalid(field, format!("no such {what} in this organization"))
            }
            other => other.into(),
        }
    }

    /// Maps a store error, naming what was looked for when it is missing.
    pub fn from_store(what: &'static str) -> impl Fn(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound => Self::NotFound { what },
            other => other.into(),
        }
    }
}

impl From<Invalid> for AppError {
    fn from(i: Invalid) -> Self {
        Self::Invalid(i)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound { what: "record" },
            StoreError::Busy => Self::Busy,
            StoreError::Conflict { constraint } => {
                let message = conflict_message(&constraint);
                Self::Conflict {
                    code: "already_exists",
                    message: format!("{message} ({constraint})"),
                }
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// What a unique constraint's violation means, for people: the one table from constraint
/// names (as the store names them on both backends) to messages.
fn conflict_message(constraint: &str) -> &'static str {
    match constraint {
        "organizations_slug_key" => "an organization with this slug already exists",
        "users_email_key" => "a user with this email already exists",
        "teams_name_key" => "a team with this name already exists",
        "sources_name_key" => "a source with this name already exists",
        "statuses_name_key" => "a status with this name already exists",
        "pools_name_key" => "a pool with this name already exists",
        "calendars_name_key" => "a calendar with this name already exists",
        "calendars_one_default" => "the organization already has a default calendar",
        "reject_reasons_label_key" => "this rejection reason is already listed",
        "agent_groups_name_key" => "a group with this name already exists",
        "routing_rules_name_key" => "a rule with this name already exists",
        "reassignment_groups_name_key" => "a reassignment group with this name already exists",
        "leads_external_id_key" => "this source already sent a lead with this external_id",
        _ => "conflicts with an existing record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_unique_constraint_has_its_own_message() {
        // Keys and memberships are written by the app itself, never named by a person.
        let internal = |c: &str| c.ends_with("_pkey") || c.ends_with("hash_key");
        for c in leadpool_store::unique_constraints().filter(|c| !internal(c)) {
            let e = AppError::from(StoreError::Conflict {
                constraint: c.to_owned(),
            });
            assert_eq!(e.code(), "already_exists");
            assert!(
                !e.to_string().starts_with("conflicts with"),
                "{c} has no message of its own: {e}"
            );
        }
    }
}
