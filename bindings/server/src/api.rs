//! The request bodies of the JSON API and how each becomes an engine [`Query`].
//!
//! Answers are the engine's own types ([`fixbook::Diagnosis`], [`fixbook::EntryInfo`], …)
//! serialised exactly as `fixbook … --json` prints them.

use std::collections::BTreeMap;

use fixbook::{Engine, FactType, FactValue, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::config::Limits;
use crate::error::ApiError;

/// Matches returned when a request sets no `limit`: the engine's default, as in every door.
pub const DEFAULT_LIMIT: usize = fixbook::DEFAULT_LIMIT;

/// `POST /v1/search`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// An error string, a log excerpt or a ticket.
    pub text: String,
    /// Most matches to return (default: the engine's, `fixbook::DEFAULT_LIMIT` = 10; 0 means it).
    pub limit: Option<usize>,
}

/// `POST /v1/diagnose`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseRequest {
    /// An error string, a log excerpt or a ticket.
    pub text: String,
    /// Facts the caller knows, by name: `true`, `5`, `2.5`, `"email"`, `["a", "b"]`. A string
    /// is converted to the fact's declared type.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub facts: BTreeMap<String, Value>,
    /// Most matches to return (default: the engine's, `fixbook::DEFAULT_LIMIT` = 10; 0 means it).
    pub limit: Option<usize>,
    /// Include the decision trace.
    #[serde(default)]
    pub trace: bool,
    /// Let draft entries match too.
    #[serde(default)]
    pub drafts: bool,
    /// The text may still change (an agent typing): with an outcome store open, a miss is
    /// not recorded as a content gap.
    #[serde(default)]
    pub provisional: bool,
}

/// One item of `POST /v1/diagnose/batch`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    /// The caller's id for this item, echoed in the answer.
    pub id: Option<String>,
    /// The text.
    pub text: String,
    /// Facts, as in `/v1/diagnose`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub facts: BTreeMap<String, Value>,
}

/// `POST /v1/diagnose/batch`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The items, answered in this order.
    pub items: Vec<BatchItem>,
    /// Most matches per item (default: the engine's, 10; 0 means it).
    pub limit: Option<usize>,
    /// Include the decision trace in every answer.
    #[serde(default)]
    pub trace: bool,
}

/// One answer of a batch: the item's `id` and either its `diagnosis` or its `error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// The item's id, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The diagnosis (as `/v1/diagnose` answers it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub diagnosis: Option<fixbook::Diagnosis>,
    /// Why this item could not be diagnosed (a fact of the wrong type, a text too long).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub error: Option<crate::error::ErrorObject>,
}

/// The answer of `POST /v1/diagnose/batch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One answer per item, in the items' order.
    pub items: Vec<BatchAnswer>,
}

/// Refuses a text over the configured length.
pub fn check_text(text: &str, limits: &Limits) -> Result<(), ApiError> {
    if text.len() > limits.max_text_bytes {
        return Err(ApiError::too_large(
            "text-too-long",
            limits.max_text_bytes,
            format!(
                "text is {} bytes; this server takes at most {} (limits.max_text_bytes)",
                text.len(),
                limits.max_text_bytes
            ),
        ));
    }
    Ok(())
}

/// The caller's facts as engine values, refusing (400 `invalid-fact`, naming the fact and its
/// declared type) a value that cannot be a fact or does not fit the fact's declaration. The
/// values go to the engine as sent: the engine converts them, as it does for every door.
pub fn facts(
    engine: &Engine,
    facts: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, FactValue>, ApiError> {
    let mut out = BTreeMap::new();
    for (name, json) in facts {
        let decl = engine.fact(name);
        let expected = decl.as_ref().map_or_else(
            || "bool, int, float, string or list of strings".to_owned(),
            |d| expected(d.ty, &d.values),
        );
        let Some(value) = FactValue::from_json(json) else {
            return Err(ApiError::invalid_fact(
                name,
                &expected,
                format!(
                    "fact `{name}`: expected {expected}, got {}",
                    json_type(json)
                ),
            ));
        };
        if let Some(d) = &decl {
            // the same conversion the engine applies, run first to name the fact and type
            let typed = match (d.ty, &value) {
                (FactType::String | FactType::Enum | FactType::List, v) => d.check(v.clone()),
                (_, FactValue::Str(s)) => d.parse_text(s),
                (_, v) => d.check(v.clone()),
            };
            if let Err(e) = typed {
                return Err(ApiError::invalid_fact(name, &expected, e.to_string()));
            }
        }
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn expected(ty: FactType, values: &[String]) -> String {
    match ty {
        FactType::Enum => format!("enum, one of {}", values.join(", ")),
        ty => ty.to_string(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "a list holding non-strings",
        Value::Object(_) => "an object",
    }
}

/// Turns an engine error on a query into the client's error (a fact of the wrong type is 400;
/// nothing else can fail because of what the client sent).
pub fn engine_error(e: &fixbook::Error) -> ApiError {
    match e.kind() {
        fixbook::ErrorKind::Fact => ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid-fact",
            e.to_string(),
        ),
        fixbook::ErrorKind::Query => ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid-query",
            e.to_string(),
        ),
        _ => ApiError::internal(e.to_string()),
    }
}

impl DiagnoseRequest {
    /// The engine query for this request.
    pub fn query(&self, engine: &Engine, limits: &Limits) -> Result<Query, ApiError> {
        check_text(&self.text, limits)?;
        let mut q = Query::new(self.text.clone()).limit(self.limit.unwrap_or(DEFAULT_LIMIT));
        q.trace = self.trace;
        q.drafts = self.drafts;
        q.provisional = self.provisional;
        q.facts = facts(engine, &self.facts)?;
        Ok(q)
    }
}
