//! Property tests (placeholder while written).

#![allow(clippy::unwrap_used, clippy::expect_used)]
