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
//! Data flows one way inside the engine: load and validate packs → index them (full text)
//! and compile their signatures → match a query → run the checks → rank → answer. The
//! vocabulary is small: an [`Engine`] (built by an [`EngineBuilder`]) answers a [`Query`]
//! with a [`Diagnosis`] of [`Match`]es, each with its [`Evidence`], [`CauseResult`]s and
//! [`Question`]s; facts are [`FactValue`]s declared by [`FactDecl`]s; failures are
//! [`Error`]s whose [`ErrorKind`] every door maps to its own codes. Around a diagnosis:
//! [`answer`] (every record the doors print), [`pack`] (the knowledge format), [`testing`]
//! and [`lint`] (for authors), [`archive`] (signed pack archives), [`outcomes`] (resolution
//! history and content gaps) and [`input`] (bounded reading at the doors).
//! See `ARCHITECTURE.md` and the runnable programs in `engine/examples/`.

#![deny(missing_docs)]

// The vocabulary a user learns: the root re-exports (engine, query, answer, facts, errors)
// and seven namespaces for the jobs around a diagnosis (printed records, pack archives,
// bounded input, lint, outcomes, the pack model, pack tests). Everything else is private;
// the fuzz targets, benches and property tests reach the internals they exercise through
// the hidden modules below, which are not part of the API and may change in any release.
pub mod answer;
pub mod archive;
pub mod input;
pub mod lint;
pub mod outcomes;
pub mod pack;
pub mod testing;

mod budget;
mod context;
mod dates;
mod diagnose;
mod digest;
mod engine;
mod error;
mod facts;
mod index;
mod names;
mod parallel;

#[doc(hidden)]
pub mod embedded;
#[doc(hidden)]
pub mod matcher;
#[doc(hidden)]
pub mod script;
#[doc(hidden)]
pub mod set;

pub use answer::{Explanation, ScanRecord};
pub use diagnose::{
    Candidate, CauseResult, CheckTrace, Diagnosis, Evidence, Match, Query, Question,
    SignatureEvidence, SymptomResult, Trace,
};
pub use engine::{
    default_pack_path, user_pack_dir, CauseInfo, Engine, EngineBuilder, EntryInfo, LineHit,
    PackInfo, SignatureInfo,
};
pub use error::{Error, ErrorKind, PackError, PackErrorKind, Result};
pub use facts::{FactDecl, FactType, FactTypeError, FactValue, Facts};
pub use input::DEFAULT_LIMIT;
pub use script::{Limits, Verdict};

/// This engine's version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This engine's version, parsed.
pub fn engine_version() -> semver::Version {
    #[allow(clippy::unwrap_used)] // the crate version is always semver
    semver::Version::parse(VERSION).unwrap()
}

/// The folder where the engine keeps its index cache: `FIXBOOK_CACHE_DIR`, else the user's
/// cache folder (`$XDG_CACHE_HOME/fixbook`, `~/.cache/fixbook`); `None` when there is none
/// (an empty `FIXBOOK_CACHE_DIR` turns the cache off).
pub fn default_cache_dir() -> Option<std::path::PathBuf> {
    index::cache::default_dir()
}
