//! Facts: typed values the checks reason about, and their declarations.
//!
//! A fact arrives as text (a capture, an extractor match, `--fact k=v`), as JSON (the C and
//! Python doors) or as TOML (pack tests). Each is converted once, here, against the fact's
//! declared type, so a check never sees `"true"` where it expects `true`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::input::quote;

/// The declared type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    /// `true` or `false`.
    Bool,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Float,
    /// Free text.
    String,
    /// One of the declared `values`.
    Enum,
    /// A list of strings.
    List,
}

impl fmt::Display for FactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FactType::Bool => "bool",
            FactType::Int => "int",
            FactType::Float => "float",
            FactType::String => "string",
            FactType::Enum => "enum",
            FactType::List => "list",
        })
    }
}

/// A fact's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum FactValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (also enum values).
    Str(String),
    /// A list of strings.
    List(Vec<String>),
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Int(i) => write!(f, "{i}"),
            FactValue::Float(x) => write!(f, "{x}"),
            FactValue::Str(s) => write!(f, "{s}"),
            FactValue::List(l) => write!(f, "[{}]", l.join(", ")),
        }
    }
}

/// A fact declared by a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactDecl {
    /// Dotted name, e.g. `saml.nameid_format`.
    pub name: String,
    /// Declared type.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Allowed values (enums only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// What the fact means.
    pub description: String,
    /// The question that asks a person for it.
    pub question: String,
}

/// Facts known for one query: name → value.
pub type Facts = BTreeMap<String, FactValue>;

/// Why a value does not fit a fact's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactTypeError {
    /// The fact's name.
    pub fact: String,
    /// What is wrong, naming the declared type.
    pub message: String,
}

impl fmt::Display for FactTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fact `{}`: {}", self.fact, self.message)
    }
}

impl FactTypeError {
    /// The error for a value that is none of the fact value kinds (bool, int, float,
    /// string, list of strings) — e.g. a Python `dict` — described by `got`, for fact
    /// `name` declared by `decl` (if a loaded pack declares it). The same wording as every
    /// other fact error, so every door reports it alike.
    pub fn unsupported(name: &str, decl: Option<&FactDecl>, got: &str) -> FactTypeError {
        match decl {
            Some(d) => d.mismatch(got),
            None => FactTypeError {
                fact: name.to_owned(),
                message: format!(
                    "expected bool, int, float, string or a list of strings, got {got}"
                ),
            },
        }
    }
}

impl From<FactTypeError> for crate::Error {
    fn from(e: FactTypeError) -> crate::Error {
        crate::Error::Fact(e.to_string())
    }
}

impl FactDecl {
    fn mismatch(&self, got: &str) -> FactTypeError {
        let expected = match self.ty {
            FactType::Enum => format!("enum, one of {}", self.values.join(", ")),
            ty => ty.to_string(),
        };
        FactTypeError {
            fact: self.name.clone(),
            message: format!("expected {expected}, got {got}"),
        }
    }

    /// Parses a value written as text (a capture, `--fact k=v`) into the declared type.
    pub fn parse_text(&self, text: &str) -> Result<FactValue, FactTypeError> {
        let t = text.trim();
        match self.ty {
            FactType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "on" => Ok(FactValue::Bool(true)),
                "false" | "no" | "n" | "0" | "off" => Ok(FactValue::Bool(false)),
                _ => Err(self.mismatch(&quote(t))),
            },
            FactType::Int => t
                .parse::<i64>()
                .map(FactValue::Int)
                .map_err(|_| self.mismatch(&quote(t))),
            FactType::Float => t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(FactValue::Float)
                .ok_or_else(|| self.mismatch(&quote(t))),
            FactType::String => Ok(FactValue::Str(text.to_owned())),
            FactType::Enum => self.check(FactValue::Str(t.to_owned())),
            FactType::List => Ok(FactValue::List(
                t.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            )),
        }
    }

    /// Checks (and where lossless, converts) a typed value against the declared type.
    pub fn check(&self, value: FactValue) -> Result<FactValue, FactTypeError> {
        match (self.ty, value) {
            (FactType::Bool, v @ FactValue::Bool(_)) => Ok(v),
            (FactType::Int, v @ FactValue::Int(_)) => Ok(v),
            (FactType::Float, FactValue::Int(i)) => Ok(FactValue::Float(i as f64)),
            (FactType::Float, v @ FactValue::Float(_)) => Ok(v),
            (FactType::String, v @ FactValue::Str(_)) => Ok(v),
            (FactType::Enum, FactValue::Str(s)) => {
                if let Some(v) = self.values.iter().find(|v| v.eq_ignore_ascii_case(&s)) {
                    Ok(FactValue::Str(v.clone()))
                } else {
                    Err(self.mismatch(&quote(&s)))
                }
            }
            (FactType::List, v @ FactValue::List(_)) => Ok(v),
            (FactType::List, FactValue::Str(s)) => Ok(FactValue::List(vec![s])),
            (_, other) => Err(self.mismatch(&format!(
                "{} {}",
                other.type_name(),
                crate::input::cut(&other.to_string())
            ))),
        }
    }
}

impl FactValue {
    /// The name of this value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            FactValue::Bool(_) => "bool",
            FactValue::Int(_) => "int",
            FactValue::Float(_) => "float",
            FactValue::Str(_) => "string",
            FactValue::List(_) => "list",
        }
    }

    /// Converts a JSON value; `None` for null, objects and lists of non-strings.
    pub fn from_json(v: &serde_json::Value) -> Option<FactValue> {
        use serde_json::Value;
        Some(match v {
            Value::Bool(b) => FactValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => FactValue::Int(i),
                None => FactValue::Float(n.as_f64()?),
            },
            Value::String(s) => FactValue::Str(s.clone()),
            Value::Array(items) => FactValue::List(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Value::Null | Value::Object(_) => return None,
        })
    }

    /// Converts a TOML value; `None` for tables, dates and lists of non-strings.
    pub fn from_toml(v: &toml::Value) -> Option<FactValue> {
        use toml::Value;
        Some(match v {
            Value::Boolean(b) => FactValue::Bool(*b),
            Value::Integer(i) => FactValue::Int(*i),
            Value::Float(x) => FactValue::Float(*x),
            Value::String(s) => FactValue::Str(s.clone()),
            Value::Array(items) => FactValue::List(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Value::Datetime(_) | Value::Table(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(ty: FactType) -> FactDecl {
        FactDecl {
            name: "x.y".into(),
            ty,
            values: vec!["email".into(), "persistent".into()],
            description: String::new(),
            question: "?".into(),
        }
    }

    #[test]
    fn text_parses_into_each_type() {
        assert_eq!(
            decl(FactType::Bool).parse_text("Yes"),
            Ok(FactValue::Bool(true))
        );
        assert_eq!(
            decl(FactType::Int).parse_text(" 51 "),
            Ok(FactValue::Int(51))
        );
        assert_eq!(
            decl(FactType::Float).parse_text("2.5"),
            Ok(FactValue::Float(2.5))
        );
        assert_eq!(
            decl(FactType::Enum).parse_text("EMAIL"),
            Ok(FactValue::Str("email".into()))
        );
        assert_eq!(
            decl(FactType::List).parse_text("a, b,"),
            Ok(FactValue::List(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn wrong_type_names_fact_and_declared_type() {
        let e = decl(FactType::Int).parse_text("many").unwrap_err();
        assert_eq!(e.to_string(), "fact `x.y`: expected int, got \"many\"");
        let e = decl(FactType::Enum)
            .check(FactValue::Str("bogus".into()))
            .unwrap_err();
        assert!(e.message.contains("one of email, persistent"));
        let e = decl(FactType::Bool).check(FactValue::Int(1)).unwrap_err();
        assert!(e.message.contains("expected bool, got int 1"));
        assert!(decl(FactType::Float).parse_text("NaN").is_err());
    }

    #[test]
    fn a_huge_value_is_not_echoed_whole() {
        let huge = "y".repeat(100_000);
        let e = decl(FactType::Bool).parse_text(&huge).unwrap_err();
        assert!(e.to_string().len() < 300, "{} bytes", e.to_string().len());
        let e = decl(FactType::Enum)
            .check(FactValue::Str(huge))
            .unwrap_err();
        assert!(
            e.to_string().len() < 300 + 40,
            "{} bytes",
            e.to_string().len()
        );
    }
}
