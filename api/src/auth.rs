//! API keys: the `Caller` extractor turns `Authorization: Bearer <key>` into an owner tag.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pixpipe_core::owner_tag;

use crate::AppState;
use crate::problem::{ApiError, Code};

/// The accepted API keys; empty means auth is off (local development only).
#[derive(Clone, Default)]
pub struct ApiKeys(Arc<HashSet<String>>);

impl ApiKeys {
    pub fn new(keys: impl IntoIterator<Item = String>) -> Self {
        ApiKeys(Arc::new(
            keys.into_iter()
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
        ))
    }

    /// Parses a comma-separated list, as in `PIXPIPE_API_KEYS`.
    pub fn from_csv(csv: &str) -> Self {
        Self::new(csv.split(',').map(str::to_owned))
    }

    pub fn is_enabled(&self) -> bool {
        !self.0.is_empty()
    }

    fn check(&self, presented: &str) -> bool {
        // Compare digests so the time taken does not depend on how much of a key matches.
        use sha2::{Digest, Sha256};
        let wanted = Sha256::digest(presented.as_bytes());
        self.0.iter().fold(false, |hit, k| {
            hit | (Sha256::digest(k.as_bytes()) == wanted)
        })
    }
}

/// Who is calling: jobs are visible only to the owner that created them.
pub struct Caller {
    pub owner: String,
}

/// The token of an `Authorization: Bearer <token>` value. The scheme name is
/// case-insensitive (RFC 9110, section 11.1), so `bearer` and `BEARER` count.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !state.keys.is_enabled() {
            return Ok(Caller {
                owner: owner_tag(None),
            });
        }
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(|| {
                ApiError::new(Code::Unauthorized, "send Authorization: Bearer <api key>")
            })?;
        if !state.keys.check(presented) {
            return Err(ApiError::new(Code::Unauthorized, "unknown API key"));
        }
        Ok(Caller {
            owner: owner_tag(Some(presented)),
        })
    }
}
