//! fixbook: an embeddable troubleshooting rules engine.
//!
//! Knowledge lives in **packs** (TOML): each [`pack::Entry`] is one known problem, with
//! error-message **signatures** (regexes whose named captures become facts), keywords for
//! full-text lookup, and **causes** whose Rhai **checks** decide, from the known facts,
//! whether they apply. The [`Engine`] answers a [`Query`] with a [`Diagnosis`]: the matching
//! entries, why they matched, each cause's [`Verdict`], what to ask next and how to fix it.
//!
//! ```
//! use fixbook::{Engine, Query, Verdict};
//!
//! let engine = Engine::embedded()?;
//! let answer = engine.search("Session token not found or invalid", 5);
//! assert_eq!(answer.matches[0].id, "aws-iam-identity-center/session-token-invalid");
//!
//! // Facts decide causes; a missing fact becomes a question instead of a guess.
//! let q = Query::new("An unexpected error has occurred after signing in with Okta")
//!     .fact("saml.nameid_format", "persistent");
//! let d = engine.diagnose(&q)?;
//! let top = &d.matches[0];
//! assert!(top.causes.iter().any(|c| c.verdict == Verdict::Confirmed));
//! # Ok::<(), fixbook::Error>(())
//! ```
//!
//! Data flows one way: [`pack`] (load, validate) → [`index`] (full text) and [`matcher`]
//! (normalise, signatures) → [`script`] (checks) → [`diagnose`] (merge, rank, questions).
//! See `ARCHITECTURE.md` and the runnable programs in `engine/examples/`.

#![deny(missing_docs)]

pub mod answer;
mod budget;
pub mod diagnose;
pub mod embedded;
mod engine;
mod error;
pub mod facts;
pub mod index;
pub mod input;
pub mod lint;
pub mod matcher;
pub mod names;
pub mod outcomes;
pub mod pack;
pub mod script;
pub mod set;
pub mod testing;

pub use answer::{Explanation, ScanRecord};
pub use diagnose::{CauseResult, Diagnosis, Evidence, Match, Query, Question};
pub use engine::{
    default_pack_path, CauseInfo, Engine, EngineBuilder, EntryInfo, LineHit, PackInfo,
    SignatureInfo,
};
pub use error::{Error, ErrorKind, PackError, PackErrorKind, Result};
pub use facts::{FactDecl, FactType, FactValue};
pub use input::DEFAULT_LIMIT;
pub use script::{Limits, Verdict};

/// This engine's version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This engine's version, parsed.
pub fn engine_version() -> semver::Version {
    #[allow(clippy::unwrap_used)] // the crate version is always semver
    semver::Version::parse(VERSION).unwrap()
}
