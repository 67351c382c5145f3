//! Reading vendor payloads by dotted field path (`issue.fields.summary`), so that a payload
//! missing a field is refused with that field's path: the helpdesk's administrator sees what
//! their webhook template or version leaves out.

use serde_json::Value;

/// A payload without a field fixbook needs, or with a field of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PayloadError {
    /// The dotted path of the field (`ticket.id`, `detail.subject`).
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl PayloadError {
    /// The field at `path` is missing.
    pub fn missing(path: &str) -> PayloadError {
        PayloadError {
            field: path.to_owned(),
            message: format!("the payload has no `{path}`"),
        }
    }

    /// The field at `path` is not of the type `expected`.
    pub fn wrong_type(path: &str, expected: &str) -> PayloadError {
        PayloadError {
            field: path.to_owned(),
            message: format!("`{path}` must be {expected}"),
        }
    }
}

/// The value at a dotted path, `None` when any step is missing or null.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for step in path.split('.') {
        cur = cur.get(step)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// The string at `path` (required).
pub fn string(v: &Value, path: &str) -> Result<String, PayloadError> {
    match at(v, path) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(PayloadError::wrong_type(path, "a string")),
        None => Err(PayloadError::missing(path)),
    }
}

/// The string at `path`, empty when it is missing or null (for optional text such as a
/// ticket's body, which vendors omit when it is empty).
pub fn text_or_empty(v: &Value, path: &str) -> Result<String, PayloadError> {
    match at(v, path) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(PayloadError::wrong_type(path, "a string")),
        None => Ok(String::new()),
    }
}

/// An id at `path` (required): a string or an integer, as vendors send either.
pub fn id(v: &Value, path: &str) -> Result<String, PayloadError> {
    match at(v, path) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        Some(_) => Err(PayloadError::wrong_type(
            path,
            "a non-empty string or an integer",
        )),
        None => Err(PayloadError::missing(path)),
    }
}

/// The top-level value must be an object.
pub fn object(v: &Value) -> Result<(), PayloadError> {
    if v.is_object() {
        Ok(())
    } else {
        Err(PayloadError {
            field: String::new(),
            message: "the payload must be a JSON object".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_missing_step() {
        let v = json!({"issue": {"fields": {"summary": "x", "n": 3}}});
        assert_eq!(string(&v, "issue.fields.summary").unwrap(), "x");
        let e = string(&v, "issue.fields.description").unwrap_err();
        assert_eq!(e.field, "issue.fields.description");
        assert_eq!(text_or_empty(&v, "issue.fields.description").unwrap(), "");
        assert_eq!(id(&v, "issue.fields.n").unwrap(), "3");
        assert_eq!(id(&v, "issue.fields.summary").unwrap(), "x");
        assert!(string(&v, "issue.fields.n")
            .unwrap_err()
            .message
            .contains("string"));
    }
}
