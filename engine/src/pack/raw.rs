//! The pack files exactly as written: serde types mirroring the TOML, with spans.
//!
//! Unknown keys are refused (`deny_unknown_fields`) so a typo is an error, not a silently
//! ignored field. Values that later checks must locate (ids, patterns, scripts) keep their
//! byte span in the file.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::facts::FactType;

/// One pack file: `pack.toml` (manifest + content) or `entries/*.toml` (content only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub format: Option<Spanned<i64>>,
    pub id: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub min_engine_version: Option<Spanned<String>>,
    pub limits: Option<Spanned<RawLimits>>,
    #[serde(default)]
    pub facts: BTreeMap<String, Spanned<RawFact>>,
    #[serde(default)]
    pub extractors: Vec<Spanned<RawExtractor>>,
    #[serde(default)]
    pub entries: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub max_operations: Option<u64>,
    pub max_call_depth: Option<usize>,
    pub max_expr_depth: Option<usize>,
    pub max_string_size: Option<usize>,
    pub max_array_size: Option<usize>,
    pub max_map_size: Option<usize>,
    pub max_duration_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFact {
    #[serde(rename = "type")]
    pub ty: FactType,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub question: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtractor {
    pub fact: Spanned<String>,
    pub pattern: Spanned<String>,
    pub value: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawStatus {
    Draft,
    #[default]
    Approved,
    Retired,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntry {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub signatures: Vec<Spanned<RawSignature>>,
    #[serde(default)]
    pub symptoms: Vec<Spanned<RawSymptom>>,
    #[serde(default)]
    pub causes: Vec<Spanned<RawCause>>,
    #[serde(default)]
    pub remedy: Vec<String>,
    #[serde(default)]
    pub references: Vec<RawReference>,
    #[serde(default)]
    pub where_to_look: Vec<RawPlace>,
    #[serde(default)]
    pub status: RawStatus,
    pub owner: Option<String>,
    pub updated: Option<Spanned<toml::Value>>,
    pub valid_until: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignature {
    pub id: Spanned<String>,
    pub pattern: Spanned<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSymptom {
    pub id: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub check: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCause {
    pub id: Spanned<String>,
    pub title: String,
    pub check: Option<Spanned<String>>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub remedy: Vec<String>,
    #[serde(default)]
    pub references: Vec<RawReference>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReference {
    pub title: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlace {
    pub place: String,
    pub event: Option<String>,
    pub hint: Option<String>,
}
