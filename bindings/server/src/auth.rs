//! API keys: `Authorization: Bearer KEY`, compared in constant time, each limited to scopes.
//!
//! A handler states what it needs by taking an [`Auth<S>`] argument, where `S` is a scope
//! marker ([`SearchScope`], [`AdminScope`], …): the extractor refuses the request (401 without
//! a valid key, 403 for a key without the scope) before the body is read. With no keys
//! configured every request passes. A new route family adds a [`Scope`] variant and a marker.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Scope {
    /// Every scope below.
    All,
    /// `POST /v1/search`.
    Search,
    /// `POST /v1/diagnose`, `POST /v1/diagnose/batch`.
    Diagnose,
    /// `GET /v1/entries/…`, `GET /v1/packs`.
    Read,
    /// `GET /metrics`.
    Metrics,
    /// `POST /v1/admin/reload`.
    Admin,
    /// `POST /v1/webhooks/{source}` (ticketing systems).
    Webhooks,
    /// `POST /v1/feedback`, `GET /v1/gaps` (outcomes).
    Feedback,
}

impl Scope {
    /// The scopes of a key that names none.
    pub const DEFAULT: [Scope; 3] = [Scope::Search, Scope::Diagnose, Scope::Read];

    /// The scope's name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Search => "search",
            Scope::Diagnose => "diagnose",
            Scope::Read => "read",
            Scope::Metrics => "metrics",
            Scope::Admin => "admin",
            Scope::Webhooks => "webhooks",
            Scope::Feedback => "feedback",
        }
    }
}

/// One configured key.
#[derive(Clone)]
pub struct Key {
    name: String,
    secret: Vec<u8>,
    scopes: Vec<Scope>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A key named `name` with the secret `secret`, allowed `scopes`.
    pub fn new(name: String, secret: String, scopes: Vec<Scope>) -> Key {
        Key {
            name,
            secret: secret.into_bytes(),
            scopes,
        }
    }

    /// Whether the key allows `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|&s| s == scope || s == Scope::All)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The configured keys.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    keys: Vec<Key>,
}

impl Keys {
    /// Keys from a list.
    pub fn new(keys: Vec<Key>) -> Keys {
        Keys { keys }
    }

    /// Whether no key is configured (every route open).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key whose secret is `presented`. Every key is compared, each in constant time,
    /// so the time taken tells nothing about which bytes (or which key) matched.
    pub fn find(&self, presented: &[u8]) -> Option<&Key> {
        let mut found = None;
        for k in &self.keys {
            if bool::from(k.secret.as_slice().ct_eq(presented)) {
                found = Some(k);
            }
        }
        found
    }

    /// Checks a request's `Authorization` header for `scope`.
    pub fn check(&self, header: Option<&[u8]>, scope: Scope) -> Result<Option<&Key>, ApiError> {
        if self.keys.is_empty() {
            return Ok(None);
        }
        let Some(value) = header else {
            return Err(ApiError::unauthorized(
                "this route needs an API key: send `Authorization: Bearer KEY`",
            ));
        };
        let token = value
            .strip_prefix(b"Bearer ")
            .or_else(|| value.strip_prefix(b"bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer KEY`")
            })?;
        let token = token.trim_ascii();
        let key = self
            .find(token)
            .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
        if !key.allows(scope) {
            return Err(ApiError::forbidden(format!(
                "key `{}` is not allowed the `{}` scope",
                key.name,
                scope.as_str()
            )));
        }
        Ok(Some(key))
    }
}

/// A scope marker for [`Auth`].
pub trait RouteScope: Send + Sync + 'static {
    /// The scope the route needs.
    const SCOPE: Scope;
}

macro_rules! scopes {
    ($($(#[$m:meta])* $name:ident => $scope:ident;)*) => {$(
        $(#[$m])*
        #[derive(Debug)]
        pub struct $name;
        impl RouteScope for $name {
            const SCOPE: Scope = Scope::$scope;
        }
    )*};
}

scopes! {
    /// Needs [`Scope::Search`].
    SearchScope => Search;
    /// Needs [`Scope::Diagnose`].
    DiagnoseScope => Diagnose;
    /// Needs [`Scope::Read`].
    ReadScope => Read;
    /// Needs [`Scope::Metrics`].
    MetricsScope => Metrics;
    /// Needs [`Scope::Admin`].
    AdminScope => Admin;
    /// Needs [`Scope::Webhooks`].
    WebhooksScope => Webhooks;
    /// Needs [`Scope::Feedback`].
    FeedbackScope => Feedback;
}

/// An authorised request for the scope `S`: the key's name, or `None` when no keys are
/// configured.
#[derive(Debug)]
pub struct Auth<S> {
    /// The name of the key used.
    pub key: Option<String>,
    _scope: PhantomData<S>,
}

impl<S: RouteScope> FromRequestParts<AppState> for Auth<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        let key = state.keys().check(header, S::SCOPE)?;
        Ok(Auth {
            key: key.map(|k| k.name().to_owned()),
            _scope: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(vec![
            Key::new(
                "hook".into(),
                "hook-0123456789abcdef".into(),
                vec![Scope::Webhooks],
            ),
            Key::new(
                "ops".into(),
                "ops-0123456789abcdef".into(),
                vec![Scope::All],
            ),
        ])
    }

    #[test]
    fn scopes_limit_what_a_key_may_do() {
        let k = keys();
        let hook = Some(&b"Bearer hook-0123456789abcdef"[..]);
        assert!(k.check(hook, Scope::Webhooks).is_ok());
        let e = k.check(hook, Scope::Diagnose).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::FORBIDDEN);
        assert!(k
            .check(Some(b"Bearer ops-0123456789abcdef"), Scope::Admin)
            .is_ok());
    }

    #[test]
    fn missing_malformed_and_unknown_keys_are_unauthorised() {
        let k = keys();
        for h in [
            None,
            Some(&b"ops-0123456789abcdef"[..]),
            Some(b"Bearer ops-0123456789abcde"),
            Some(b"Bearer ops-0123456789abcdefX"),
            Some(b"Basic b3BzOg=="),
        ] {
            let e = k.check(h, Scope::Search).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::UNAUTHORIZED, "{h:?}");
        }
        assert!(Keys::default().check(None, Scope::Admin).is_ok());
    }
}
