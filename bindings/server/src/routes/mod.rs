//! One router per resource; [`crate::app`] merges them and adds the layers.
//!
//! A new family of routes is a new module here with its own `router()` returning
//! `Router<AppState>`, merged in [`crate::app`]; its handlers take an
//! [`Auth<S>`](crate::auth::Auth) for their scope and return `Result<_, ApiError>`.

pub mod admin;
pub mod catalog;
pub mod feedback;
pub mod health;
pub mod openapi;
pub mod query;
pub mod webhooks;
