//! What a form did, said at the top of the page it answers with: done, or refused and why.
//! A refusal the person can act on (bad input, a lost race, a rule that held) is said on
//! the page; a server fault or a lapsed session is the error page's to show.

use axum::http::StatusCode;
use leadpool_app::AppError;

use super::error::UiError;

/// What the last form on a page did, said at its top.
#[derive(Debug)]
pub struct Flash {
    /// It went through (else it was refused, and the text says why).
    pub ok: bool,
    /// What happened, for people.
    pub text: String,
}

/// What an action did: a line for the person, and the status of the answer.
pub struct Said {
    /// The answer's status.
    pub status: StatusCode,
    /// The line to show.
    pub flash: Flash,
}

impl Said {
    /// It went through.
    pub fn done(text: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            flash: Flash {
                ok: true,
                text: text.into(),
            },
        }
    }

    /// It was refused, with this status.
    pub fn refused(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            flash: Flash {
                ok: false,
                text: text.into(),
            },
        }
    }

    /// A race lost or a rule that held: the answer to the action, as the Move menu and the
    /// Offers page answer them (200, the row or the lead saying why).
    pub fn lost(text: impl Into<String>) -> Self {
        Self::refused(StatusCode::OK, text)
    }

    /// A refusal the person can act on is said on the page; a server fault, a lapsed
    /// session or a busy server is the error page's to show.
    pub fn of(r: Result<String, AppError>) -> Result<Self, UiError> {
        match r {
            Ok(text) => Ok(Self::done(text)),
            Err(e) => match UiError::from(e) {
                UiError::Shown {
                    status,
                    message,
                    internal: None,
                    ..
                } if status.is_client_error() => Ok(Self::refused(status, message)),
                other => Err(other),
            },
        }
    }
}
