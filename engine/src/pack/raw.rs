//! The pack files exactly as written: serde types mirroring the TOML, with spans.
//!
//! Unknown keys are refused (`deny_unknown_fields`) so a typo is an error, not a silently
//! ignored field. Values that later checks must locate (ids, patterns, scripts) keep their
//! byte span in the file.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::facts::FactType;

/// One pack file: `pack.toml` (manifest + content) or `entries/*.toml` (content only).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fixbook pack file")]
pub(crate) struct RawFile {
    /// Pack format version; this engine reads 1.
    #[schemars(with = "Option<i64>")]
    pub format: Option<Spanned<i64>>,
    /// Identifier: lowercase letters, digits, `-` and `_`.
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    /// Human-readable name of the pack.
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The pack's semver version, e.g. "1.2.0".
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<String>>,
    /// What the pack (or fact, signature, symptom) is about.
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// The oldest fixbook version that can load the pack (semver).
    #[schemars(with = "Option<String>")]
    pub min_engine_version: Option<Spanned<String>>,
    /// Script limits for this pack (capped by the application's ceiling).
    #[schemars(with = "Option<RawLimits>")]
    pub limits: Option<Spanned<RawLimits>>,
    /// Short forms and synonyms of the pack's domain: short form → what it stands for
    /// (`idc = "IAM Identity Center"`). Read in every query, like the engine's shorthand table.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub synonyms: Option<Spanned<BTreeMap<String, String>>>,
    /// What the pack is about: its products, services and vendors. A generic signature
    /// needs one of them in the text (or a fact placing the user in the domain), and a text
    /// that names another product and none of these is not answered by the pack.
    #[schemars(with = "Option<RawDomain>")]
    pub domain: Option<Spanned<RawDomain>>,
    /// Fact declarations, by dotted name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawFact>")]
    pub facts: BTreeMap<String, Spanned<RawFact>>,
    /// Facts that imply other facts: when every `when` fact has its value, the `then` facts
    /// are set (unless the caller gave them), before any check runs.
    #[serde(default)]
    #[schemars(with = "Vec<RawImplication>")]
    pub implications: Vec<Spanned<RawImplication>>,
    /// Regexes that set facts from the input text.
    #[serde(default)]
    #[schemars(with = "Vec<RawExtractor>")]
    pub extractors: Vec<Spanned<RawExtractor>>,
    /// Known problems.
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    pub entries: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawImplication {
    /// Fact → value; all must hold.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub when: BTreeMap<String, toml::Value>,
    /// Fact → value implied.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub then: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDomain {
    /// Product names, as people write them (`IAM Identity Center`, `access portal`).
    #[serde(default)]
    pub products: Vec<String>,
    /// Services, tools and components of the products (`sso-admin`, `kubectl`).
    #[serde(default)]
    pub services: Vec<String>,
    /// Vendors and the products the pack's products work with (`AWS`, `Okta`).
    #[serde(default)]
    pub vendors: Vec<String>,
    /// Facts whose being known places the user in the domain (e.g. `identity.source`).
    #[serde(default)]
    pub facts: Vec<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    /// Maximum operations per check evaluation (default 100000).
    pub max_operations: Option<u64>,
    /// Maximum function call depth (default 12).
    pub max_call_depth: Option<usize>,
    /// Maximum expression nesting depth (default 48).
    pub max_expr_depth: Option<usize>,
    /// Maximum string length in bytes (default 1 MiB).
    pub max_string_size: Option<usize>,
    /// Maximum array length (default 10000).
    pub max_array_size: Option<usize>,
    /// Maximum map size (default 10000).
    pub max_map_size: Option<usize>,
    /// CPU-time budget per evaluation in milliseconds (default 50).
    pub max_duration_ms: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFact {
    /// bool, int, float, string, enum or list.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Allowed values of an enum fact.
    #[serde(default)]
    pub values: Vec<String>,
    /// What the pack (or fact, signature, symptom) is about.
    #[serde(default)]
    pub description: String,
    /// The question that asks a person for this fact.
    pub question: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtractor {
    /// The declared fact this extractor sets.
    #[schemars(with = "String")]
    pub fact: Spanned<String>,
    /// Regex over the normalised text (case-insensitive; placeholders like {email}, {uuid}; named captures become facts).
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
    /// Constant value to set; default: the capture named `value`, else the whole match.
    #[schemars(with = "Option<serde_json::Value>")]
    pub value: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawStatus {
    Draft,
    #[default]
    Approved,
    Retired,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntry {
    /// Identifier: lowercase letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// One-line title.
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    /// What happens and why.
    #[serde(default)]
    pub summary: String,
    /// Free labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Short phrases people use for this problem (indexed with a high boost).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Whole paraphrases of the problem in users' words.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Error-message regexes.
    #[serde(default)]
    #[schemars(with = "Vec<RawSignature>")]
    pub signatures: Vec<Spanned<RawSignature>>,
    /// Conditions on facts that make this entry more or less likely.
    #[serde(default)]
    #[schemars(with = "Vec<RawSymptom>")]
    pub symptoms: Vec<Spanned<RawSymptom>>,
    /// Possible causes, each with a Rhai check.
    #[serde(default)]
    #[schemars(with = "Vec<RawCause>")]
    pub causes: Vec<Spanned<RawCause>>,
    /// Fix steps, in order.
    #[serde(default)]
    pub remedy: Vec<String>,
    /// Further reading: { title, url }.
    #[serde(default)]
    pub references: Vec<RawReference>,
    /// Logs, consoles and event names: { place, event, hint }.
    #[serde(default)]
    pub where_to_look: Vec<RawPlace>,
    /// draft (matches only when asked for), approved (default), retired (never matches).
    #[serde(default)]
    pub status: RawStatus,
    /// Who maintains the entry.
    pub owner: Option<String>,
    /// Date of the last review, YYYY-MM-DD.
    #[schemars(with = "Option<serde_json::Value>")]
    pub updated: Option<Spanned<toml::Value>>,
    /// Date after which the entry needs review, YYYY-MM-DD.
    #[schemars(with = "Option<serde_json::Value>")]
    pub valid_until: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignature {
    /// Identifier: lowercase letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Regex over the normalised text (case-insensitive; placeholders like {email}, {uuid}; named captures become facts).
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
    /// What the pack (or fact, signature, symptom) is about.
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSymptom {
    /// Identifier: lowercase letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// What the pack (or fact, signature, symptom) is about.
    #[serde(default)]
    pub description: String,
    /// Rhai expression returning true when this applies; read facts with fact("name"), has("name"), fact_or("name", default).
    #[schemars(with = "String")]
    pub check: Spanned<String>,
    /// The symptom tells this entry from a neighbour with the same message: when it is ruled out, the entry is left with a tenth of its score (default false: it only moves the score by a step).
    #[serde(default)]
    pub defining: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCause {
    /// Identifier: lowercase letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// One-line title.
    pub title: String,
    /// Rhai expression returning true when this applies; read facts with fact("name"), has("name"), fact_or("name", default).
    #[schemars(with = "Option<String>")]
    pub check: Option<Spanned<String>>,
    /// How likely this cause is among its entry's causes before anything is known
    /// (0 < likelihood ≤ 1; default: by pack order, the first most likely).
    #[schemars(with = "Option<f64>")]
    pub likelihood: Option<Spanned<f64>>,
    /// Why this cause produces the problem.
    #[serde(default)]
    pub explanation: String,
    /// Fix steps, in order.
    #[serde(default)]
    pub remedy: Vec<String>,
    /// Further reading: { title, url }.
    #[serde(default)]
    pub references: Vec<RawReference>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReference {
    /// One-line title.
    pub title: String,
    /// Address of the page.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlace {
    /// The log, console or tool to look in.
    pub place: String,
    /// An event name to filter on.
    pub event: Option<String>,
    /// What to look for.
    pub hint: Option<String>,
}
