//! Packs: the knowledge format, its loading and its validation.
//!
//! A [`PackSource`] is the files of one pack, read from a folder or embedded in the binary.
//! [`load_pack`] turns it into a validated [`Pack`]: every regex compiled, every check
//! compiled, every fact reference declared. Problems are collected, not thrown one at a time.

mod load;
mod raw;
pub mod snapshot;
pub mod source;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::facts::{FactDecl, FactValue};
use crate::matcher::Pattern;
use crate::script::{Check, Limits, ScriptEngine};

pub use load::{load_pack, LoadOptions};
pub use source::{Origin, PackSource, SourceFile};

/// The rule every pack and entry id follows (the loader's, the scaffold's and lint's).
pub use crate::names::{is_valid_id, ID_RULE};

/// The pack format version this engine reads.
pub const FORMAT_VERSION: i64 = 1;

/// A loaded, validated pack.
///
/// It serialises whole (with serde) for the pack snapshot: patterns and checks as their
/// checked parts, compiled again on first use.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pack {
    /// Pack id (`aws-iam-identity-center`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// The pack's semver version.
    pub version: String,
    /// One paragraph about the pack.
    pub description: String,
    /// The oldest engine that can load it, if stated.
    pub min_engine_version: Option<String>,
    /// Where it was loaded from.
    pub origin: Origin,
    /// Path of its `pack.toml`, as shown in messages.
    pub manifest_path: String,
    /// What the pack is about (products, services, vendors).
    pub domain: Domain,
    /// The pack's own short forms: (short, long).
    pub synonyms: Vec<(String, String)>,
    /// Declared facts by name.
    pub facts: BTreeMap<String, FactDecl>,
    /// Where each fact is declared.
    pub fact_locations: BTreeMap<String, Location>,
    /// Facts that imply facts, applied before checks.
    pub implications: Vec<Implication>,
    /// Text extractors.
    pub extractors: Vec<Extractor>,
    /// Entries, in file order.
    pub entries: Vec<Entry>,
    /// The sandboxed script engine holding the pack's limits and helpers.
    pub scripts: ScriptEngine,
    /// The extractors' literals in one automaton, built on first use.
    #[serde(skip)]
    extractor_literals: std::sync::OnceLock<crate::matcher::Literals>,
}

impl Pack {
    /// The pack's script limits.
    pub fn limits(&self) -> Limits {
        self.scripts.limits()
    }

    /// The required literals of the extractors (numbered as `extractors`), searched for in
    /// one pass of a text: an extractor whose literal is absent is not run. Built on first
    /// use.
    pub(crate) fn extractor_literals(&self) -> &crate::matcher::Literals {
        self.extractor_literals
            .get_or_init(|| crate::matcher::Literals::new(self.extractors.iter().map(|x| &x.regex)))
    }
}

/// What a pack is about: a generic message is the pack's only when the text (or a fact)
/// places the user in this domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Product names (`IAM Identity Center`, `access portal`).
    pub products: Vec<String>,
    /// Services, tools and components (`sso-admin`, `kubectl`).
    pub services: Vec<String>,
    /// Vendors and partner products (`AWS`, `Okta`).
    pub vendors: Vec<String>,
    /// Facts whose being known places the user in the domain.
    pub facts: Vec<String>,
}

impl Domain {
    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.services.is_empty() && self.vendors.is_empty()
    }

    /// Every name of the domain: products, services, vendors.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.products
            .iter()
            .chain(&self.services)
            .chain(&self.vendors)
    }
}

/// Where in a pack file something was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// File path as shown to users.
    pub path: String,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
}

/// Lifecycle status of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; matches only when drafts are asked for.
    Draft,
    /// In use.
    Approved,
    /// Kept for the record; never matches.
    Retired,
}

/// One known problem.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Full id, `pack/entry`.
    pub id: String,
    /// Id inside the pack.
    pub local_id: String,
    /// One-line title.
    pub title: String,
    /// What happens and why.
    pub summary: String,
    /// Free labels.
    pub tags: Vec<String>,
    /// Short phrases people use for the problem.
    pub keywords: Vec<String>,
    /// Whole paraphrases in users' words.
    pub aliases: Vec<String>,
    /// Error-message regexes.
    pub signatures: Vec<Signature>,
    /// Conditions on facts that characterise the problem.
    pub symptoms: Vec<Symptom>,
    /// Possible causes, each with a check.
    pub causes: Vec<Cause>,
    /// General fix steps.
    pub remedy: Vec<String>,
    /// Further reading.
    pub references: Vec<Reference>,
    /// Where to look: logs, consoles, event names.
    pub where_to_look: Vec<Place>,
    /// Lifecycle status.
    pub status: Status,
    /// Who maintains the entry.
    pub owner: Option<String>,
    /// When it was last reviewed (YYYY-MM-DD).
    pub updated: Option<String>,
    /// After this date (YYYY-MM-DD) the entry needs review.
    pub valid_until: Option<String>,
    /// Where the entry is written.
    pub location: Location,
}

/// An error-message regex of an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signature {
    /// Id inside the entry.
    pub id: String,
    /// The pattern as written.
    pub pattern: String,
    /// The checked pattern (placeholders expanded, case-insensitive), compiled on first use
    /// and shared with the pack set's [`crate::matcher::SignatureSet`].
    pub regex: Arc<Pattern>,
    /// The pattern's literal words, indexed for full-text search.
    pub literals: String,
    /// What message it recognises.
    pub description: Option<String>,
    /// Where it is written.
    pub location: Location,
}

/// A condition on facts that makes an entry more or less likely.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Symptom {
    /// Id inside the entry.
    pub id: String,
    /// What it means.
    pub description: String,
    /// The compiled condition.
    pub check: Check,
    /// Whether it tells the entry from a neighbour with the same message: ruled out, it
    /// leaves the entry a small share of its score.
    pub defining: bool,
}

/// A possible cause of an entry's problem.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cause {
    /// Id inside the entry.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Why this causes the problem.
    pub explanation: String,
    /// Steps that fix this cause.
    pub remedy: Vec<String>,
    /// Further reading.
    pub references: Vec<Reference>,
    /// The check deciding whether it applies; `None` means always unknown.
    pub check: Option<Check>,
    /// Declared prior likelihood (0 < l ≤ 1), if any.
    pub likelihood: Option<f32>,
    /// Where the cause is written.
    pub location: Location,
}

/// A link to further reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reference {
    /// Title of the page.
    pub title: String,
    /// Address, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A place to look for evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Place {
    /// The log, console or tool.
    pub place: String,
    /// An event name to filter on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// What to look for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One fact's value implying others': when every `when` fact has its value, the `then`
/// facts are set (a fact the caller gave is never overridden).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Implication {
    /// Facts and the values they must have.
    pub when: Vec<(String, FactValue)>,
    /// Facts and the values they get.
    pub then: Vec<(String, FactValue)>,
}

/// A text extractor: sets a fact when its pattern matches the input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extractor {
    /// The fact it sets.
    pub fact: String,
    /// The checked pattern, compiled on first use.
    pub regex: Pattern,
    /// A constant value to set, instead of the match.
    pub value: Option<FactValue>,
}

/// The JSON Schema of pack files (`pack.toml`, `entries/*.toml`), for editors and `taplo`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(raw::RawFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
