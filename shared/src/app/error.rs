//! The one error type of the use cases; `crate::web` maps it to HTTP in one place.

use crate::domain::FieldError;
use crate::domain::cart::Rejection;
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input could not be read at all (bad JSON, wrong types, unknown fields).
    #[error("malformed request")]
    Malformed(Vec<FieldError>),
    /// The input was read but breaks a rule; every problem is listed.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// No such resource, or not one this caller may see.
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    /// The resource's state does not allow this (a placed cart, a transition not in the
    /// table, a payment on a cancelled bill); retrying will not help.
    #[error("{0}")]
    State(String),
    /// Someone else changed the resource since it was read; retrying is safe.
    #[error("{0}")]
    Conflict(String),
    /// A notification that is not authentic (signature, postback): nothing was stored.
    #[error("{0}")]
    Unauthentic(String),
    /// A service this request needs did not answer (the PayPal verifier); retry later.
    #[error("{0}")]
    Unavailable(String),
    /// No valid customer session, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but without the right (a manager's action asked by an operator, an
    /// account not on the shop's staff).
    #[error("{0}")]
    Forbidden(String),
    /// The caller's copy is stale (`If-Match` names a version that is no longer the
    /// current one): who changed it and when, when known.
    #[error("{detail}")]
    Stale {
        detail: String,
        changed_by: Option<String>,
        changed_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A change that must name the version it was made on (`If-Match`) did not.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Too many failed attempts; retry after this many seconds.
    #[error("too many attempts; retry in {0} s")]
    TooMany(u64),
    #[error(transparent)]
    Store(StoreError),
}

impl AppError {
    /// `id` is what the client sent (a path segment), printed in the problem and in the
    /// logs: its control and invisible characters are escaped (a `%0A` in a path must not
    /// write a line of its own in the logs) and it is cut at 80 characters.
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        const MOST: usize = 80;
        let id: String = id.into();
        let mut shown: String = id.chars().take(MOST).flat_map(char::escape_debug).collect();
        if id.chars().nth(MOST).is_some() {
            shown.push('…');
        }
        Self::NotFound { what, id: shown }
    }

    pub fn invalid(path: impl Into<String>, reason: impl Into<crate::domain::Reason>) -> Self {
        Self::Invalid(vec![FieldError::new(path, reason)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed => {
                Self::Conflict("changed by another request at the same time; retry".into())
            }
            other => Self::Store(other),
        }
    }
}

impl From<Rejection> for AppError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::UnknownItem(code) => Self::not_found("item", code),
            Rejection::Invalid(errors) => Self::Invalid(errors),
            Rejection::WrongPassword => Self::Invalid(vec![Rejection::wrong_password()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_not_found_prints_on_one_line_and_short() {
        let forged = AppError::not_found("gateway", "x\n2026-12-07T17:00:00Z INFO forged\u{202e}");
        assert_eq!(
            forged.to_string(),
            "gateway `x\\n2026-12-07T17:00:00Z INFO forged\\u{202e}` not found"
        );
        let long = AppError::not_found("cart", "a".repeat(3000)).to_string();
        assert_eq!(long.chars().count(), "cart `` not found".len() + 81);
        assert_eq!(
            AppError::not_found("shop", "santé").to_string(),
            "shop `santé` not found"
        );
    }
}
