//! The answer's shape: one JSON form for every door (Rust, CLI, C, Python).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::facts::{FactType, FactValue};
use crate::pack::{Place, Reference};
use crate::script::Verdict;

/// Writes an `f32` as the `f64` of its shortest decimal (the digits `serde_json` prints for
/// the `f32`), so that every format shows the same number: a serialiser that widens the
/// `f32` itself (Python objects, say) would show `0.9179999828338623` for `0.918`. The JSON
/// text is unchanged.
pub(crate) fn decimal_f32<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(widen(*x))
}

/// The `f64` nearest to the shortest decimal that reads back as `x`.
fn widen(x: f32) -> f64 {
    if !x.is_finite() {
        return f64::from(x);
    }
    // the shortest digits in exponent form (`9.18e-1`): at most 15 bytes, kept on the stack
    // (every answer writes a few dozen of these)
    let mut buf = [0u8; 32];
    let mut out = std::io::Cursor::new(&mut buf[..]);
    if std::io::Write::write_fmt(&mut out, format_args!("{x:e}")).is_err() {
        return f64::from(x);
    }
    let len = usize::try_from(out.position()).unwrap_or(0);
    std::str::from_utf8(&buf[..len])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::from(x))
}

/// Writes a pair as a sequence, not a tuple: the same JSON array, and a list (not a tuple)
/// wherever the serialiser tells the two apart.
fn pair<S: serde::Serializer>(x: &[usize; 2], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(2))?;
    seq.serialize_element(&x[0])?;
    seq.serialize_element(&x[1])?;
    seq.end()
}

#[cfg(test)]
mod wire_tests {
    #[test]
    fn a_widened_f32_prints_the_digits_the_f32_prints() {
        for x in [
            0.918f32,
            26.062,
            0.995,
            1.0,
            0.0,
            -0.5,
            1e-7,
            3.402_823_5e38,
            1e-45,
            0.1,
        ] {
            let widened = serde_json::to_string(&super::widen(x)).unwrap();
            assert_eq!(widened, serde_json::to_string(&x).unwrap(), "{x}");
        }
        assert!(super::widen(f32::NAN).is_nan());
    }
}

/// A question to ask a person.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Question {
    /// The fact it asks for.
    pub fact: String,
    /// The question text.
    pub text: String,
    /// The fact's type.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Allowed answers (enum values; `true`/`false` for bools), empty for free answers.
    pub choices: Vec<String>,
    /// How many undecided causes and symptoms of the candidates its answer would decide.
    pub decides: usize,
    /// The information its answer is expected to give, in bits: the entropy of the split
    /// of the weighted candidates (matches by confidence, causes by likelihood) it tells
    /// apart. Questions are asked highest first.
    #[serde(serialize_with = "decimal_f32")]
    pub information: f32,
    /// The candidate entries the answer matters to.
    pub entries: Vec<String>,
}

/// A signature that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SignatureEvidence {
    /// Signature id inside the entry.
    pub id: String,
    /// Byte range of the match in the normalised input.
    #[serde(serialize_with = "pair")]
    pub span: [usize; 2],
    /// The matched text.
    pub text: String,
}

/// Why an entry matched.
#[derive(Debug, Clone, PartialEq, Serialize, Default, schemars::JsonSchema)]
pub struct Evidence {
    /// Signatures that matched, with where.
    pub signatures: Vec<SignatureEvidence>,
    /// Search terms (analysed form) found in the entry.
    pub terms: Vec<String>,
    /// Facts read from the text: captures and extractors.
    pub facts: BTreeMap<String, FactValue>,
    /// Symptom verdicts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<SymptomResult>,
}

/// A symptom's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SymptomResult {
    /// Symptom id inside the entry.
    pub id: String,
    /// What it means.
    pub description: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// One cause of a match, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CauseResult {
    /// Cause id inside the entry.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why this causes the problem.
    pub explanation: String,
    /// Steps that fix it.
    pub remedy: Vec<String>,
    /// Facts the check read.
    pub facts_read: Vec<String>,
    /// Facts it needed that were missing (for `unknown`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_facts: Vec<String>,
    /// What went wrong (for `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Further reading.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// A known problem that matches the input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Match {
    /// `pack/entry`.
    pub id: String,
    /// The entry's title.
    pub title: String,
    /// Relevance score (higher is better; comparable within one answer).
    #[serde(serialize_with = "decimal_f32")]
    pub score: f32,
    /// How sure the engine is, 0 to 1.
    #[serde(serialize_with = "decimal_f32")]
    pub confidence: f32,
    /// Why it matched.
    pub evidence: Evidence,
    /// The causes, confirmed first, ruled out last.
    pub causes: Vec<CauseResult>,
    /// Fix steps: those of confirmed causes first, then the entry's general remedy.
    pub remedy: Vec<String>,
    /// Questions that would decide this entry's undecided causes, most useful first.
    pub questions: Vec<Question>,
    /// Further reading.
    pub references: Vec<Reference>,
    /// The entry's summary.
    pub summary: String,
    /// Where to look for evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub where_to_look: Vec<Place>,
}

/// The engine's answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize, Default, schemars::JsonSchema)]
pub struct Diagnosis {
    /// Matches, best first; empty when nothing is relevant.
    pub matches: Vec<Match>,
    /// Questions across all matches, the one that decides most first.
    pub questions: Vec<Question>,
    /// Notes about the input (truncated, invalid UTF-8 replaced, unknown facts ignored).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The decision trace, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

/// The full decision trace: every candidate, and why it won or lost.
#[derive(Debug, Clone, PartialEq, Serialize, Default, schemars::JsonSchema)]
pub struct Trace {
    /// The normalised input.
    pub normalized: String,
    /// The search terms.
    pub terms: Vec<String>,
    /// Query words read as other words: shorthand, synonyms and typos
    /// (`creds → credentials (shorthand)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrites: Vec<String>,
    /// Products and domain names the text names, and facts that place it in a domain
    /// (`names another product: Reddit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
    /// The questions with their scores, asked first to last
    /// (`signin.stage: 1.000 bit(s) expected, decides 2 check(s) of …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    /// Every candidate considered.
    pub candidates: Vec<Candidate>,
}

/// One candidate in the trace.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// `pack/entry`.
    pub id: String,
    /// Final score.
    #[serde(serialize_with = "decimal_f32")]
    pub score: f32,
    /// Full-text (BM25) score.
    #[serde(serialize_with = "decimal_f32")]
    pub text_score: f32,
    /// Word evidence: idf of the query terms found in the entry, weighted by field.
    #[serde(serialize_with = "decimal_f32")]
    pub weight: f32,
    /// Share of the query's term weight found in the entry, 0 to 1.
    #[serde(serialize_with = "decimal_f32")]
    pub coverage: f32,
    /// Phrases of the entry found in the query (consecutive term triples).
    pub phrases: usize,
    /// Signature ids that hit.
    pub signatures: Vec<String>,
    /// Terms that hit.
    pub terms: Vec<String>,
    /// Whether it was returned.
    pub accepted: bool,
    /// Why it was returned or not.
    pub reason: String,
    /// What else decided its score (e.g. "generic signature without domain context").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Checks run: (cause or symptom id, verdict, facts read).
    pub checks: Vec<CheckTrace>,
    /// Resolution history from the outcome store and what it did to the score (`score`
    /// includes it), when there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior: Option<crate::outcomes::Prior>,
}

/// One check in the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CheckTrace {
    /// `cause:<id>` or `symptom:<id>`.
    pub id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Facts the check read.
    pub facts_read: Vec<String>,
    /// Why it lost or failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A query: text, known facts, how many matches, which packs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Query {
    /// The text: an error string, a log excerpt, a ticket.
    pub text: String,
    /// Facts the caller knows. Each pack sees those it declares, strings converted to the type
    /// it declares.
    pub facts: BTreeMap<String, FactValue>,
    /// Maximum matches; absent or 0 means [`crate::DEFAULT_LIMIT`].
    pub limit: Option<usize>,
    /// Only these packs (ids); empty means all.
    pub packs: Vec<String>,
    /// Include the decision trace.
    pub trace: bool,
    /// Let draft entries match too.
    pub drafts: bool,
    /// The text may still change (typed as you go): with an outcome store open, a
    /// provisional query that matches nothing is not recorded as a content gap.
    pub provisional: bool,
    /// Notes about how the text was read (see [`Query::from_bytes`]); the answer starts
    /// with them.
    #[serde(skip)]
    pub(crate) input_notes: Vec<String>,
}

impl Query {
    /// A query for `text` with no facts.
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            ..Query::default()
        }
    }

    /// Adds a fact.
    pub fn fact(mut self, name: impl Into<String>, value: impl Into<FactValue>) -> Query {
        self.facts.insert(name.into(), value.into());
        self
    }

    /// Sets the maximum number of matches.
    pub fn limit(mut self, limit: usize) -> Query {
        self.limit = Some(limit);
        self
    }

    /// Asks for the decision trace.
    pub fn with_trace(mut self) -> Query {
        self.trace = true;
        self
    }

    /// Restricts the query to some packs.
    pub fn packs(mut self, packs: impl IntoIterator<Item = impl Into<String>>) -> Query {
        self.packs = packs.into_iter().map(Into::into).collect();
        self
    }
}

impl From<bool> for FactValue {
    fn from(b: bool) -> Self {
        FactValue::Bool(b)
    }
}
impl From<i64> for FactValue {
    fn from(i: i64) -> Self {
        FactValue::Int(i)
    }
}
impl From<f64> for FactValue {
    fn from(x: f64) -> Self {
        FactValue::Float(x)
    }
}
impl From<&str> for FactValue {
    fn from(s: &str) -> Self {
        FactValue::Str(s.to_owned())
    }
}
impl From<String> for FactValue {
    fn from(s: String) -> Self {
        FactValue::Str(s)
    }
}
impl From<Vec<String>> for FactValue {
    fn from(l: Vec<String>) -> Self {
        FactValue::List(l)
    }
}
