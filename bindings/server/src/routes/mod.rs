//! One router per resource; [`crate::app`] merges them and adds the layers. [`page`] is
//! the agent page (`GET /`), a client of the others.
//!
//! A new family of routes is a new module here with its own `router()` returning
//! `Router<AppState>`, merged in [`crate::app`]; its handlers take an
//! [`Auth<S>`](crate::auth::Auth) for their scope and return `Result<_, ApiError>`.

pub mod admin;
pub mod catalog;
pub mod feedback;
pub mod health;
pub mod openapi;
pub mod page;
pub mod query;
pub mod webhooks;
