//! The records the doors print besides a [`Diagnosis`]: one scanned line, scan totals, an
//! explanation, the pack listing, lint and test reports. Each door serialises these types
//! as they are (no door builds its own JSON), so every door prints the same shape; the
//! schemas of [`Diagnosis`] and [`ScanRecord`] are committed in `schema/` (see
//! [`diagnosis_schema`], [`scan_record_schema`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnose::{Candidate, Diagnosis, Match, Query};
use crate::engine::{Engine, PackInfo};
use crate::error::{PackError, Result};
use crate::lint::Warning;
use crate::testing::Outcome;

/// One matching line of a scanned log (`fixbook scan --json` prints one per line).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScanRecord {
    /// Line number in the input, 1-based.
    pub line: u64,
    /// Matches for the line, best first (never empty).
    pub matches: Vec<Match>,
    /// Notes about the line (invalid UTF-8 replaced, cut at the line limit, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ScanRecord {
    /// The record of line `line` from its diagnosis.
    pub fn new(line: u64, d: Diagnosis) -> ScanRecord {
        ScanRecord {
            line,
            matches: d.matches,
            notes: d.notes,
        }
    }
}

/// Per-entry totals of a scan (`fixbook scan --count --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ScanCounts {
    /// Lines read.
    pub lines: u64,
    /// Lines where a signature matched.
    pub matched_lines: u64,
    /// Matching lines per entry id.
    pub counts: BTreeMap<String, u64>,
}

/// Why an entry matched a text or not (`fixbook explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The entry, `pack/entry`.
    pub id: String,
    /// Whether it is among the matches.
    pub matched: bool,
    /// Its rank among the matches, 1-based.
    pub rank: Option<usize>,
    /// Its trace as a candidate, if it was one.
    pub candidate: Option<Candidate>,
    /// The search terms of the text.
    pub terms: Option<Vec<String>>,
    /// The questions that would decide its undecided checks, each with its score (the
    /// information its answer is expected to give), asked first to last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<crate::Question>,
}

/// Matches looked at when explaining an entry.
const EXPLAIN_LIMIT: usize = 50;

impl Engine {
    /// Explains why entry `id` matches `query` or not: its rank among the first 50
    /// matches and its trace as a candidate. Fails as [`Engine::diagnose`] does.
    pub fn explain(&self, id: &str, query: &Query) -> Result<Explanation> {
        let mut q = query.clone().limit(EXPLAIN_LIMIT);
        q.trace = true;
        let d = self.diagnose(&q)?;
        let rank = d.matches.iter().position(|m| m.id == id).map(|r| r + 1);
        let trace = d.trace.as_ref();
        Ok(Explanation {
            id: id.to_owned(),
            matched: rank.is_some(),
            rank,
            candidate: trace.and_then(|t| t.candidates.iter().find(|c| c.id == id).cloned()),
            terms: trace.map(|t| t.terms.clone()),
            questions: d
                .matches
                .iter()
                .find(|m| m.id == id)
                .map(|m| m.questions.clone())
                .unwrap_or_default(),
        })
    }
}

/// The loaded packs and the problems of those skipped (`fixbook packs --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PacksReport {
    /// The loaded packs.
    pub packs: Vec<PackInfo>,
    /// Problems of the packs skipped at load.
    pub skipped: Vec<PackError>,
}

impl Engine {
    /// The loaded packs and the skipped ones' problems.
    pub fn packs_report(&self) -> PacksReport {
        PacksReport {
            packs: self.packs(),
            skipped: self.skipped(),
        }
    }
}

/// What `fixbook lint --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct LintReport {
    /// Errors (the pack does not load).
    pub errors: Vec<PackError>,
    /// Warnings.
    pub warnings: Vec<Warning>,
}

/// The examples of one pack in a [`TestReport`].
#[derive(Debug, Clone, Serialize)]
pub struct PackTests {
    /// Pack id.
    pub pack: String,
    /// Each example's outcome.
    pub examples: Vec<Outcome>,
}

/// What `fixbook test --format json` prints.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TestReport {
    /// Per pack.
    pub packs: Vec<PackTests>,
    /// Examples that passed (or were fixed).
    pub passed: usize,
    /// Examples that failed.
    pub failed: usize,
    /// Known gaps still failing.
    pub todo: usize,
}

/// The schema of what `T` serialises to.
fn schema_of<T: schemars::JsonSchema>() -> String {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON Schema of a [`Diagnosis`]: what every door answers.
pub fn diagnosis_schema() -> String {
    schema_of::<Diagnosis>()
}

/// The JSON Schema of a [`ScanRecord`]: one line of `fixbook scan --json`.
pub fn scan_record_schema() -> String {
    schema_of::<ScanRecord>()
}

/// What `fixbook feedback --json` prints: the outcome recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackReceipt {
    /// The row id of the recorded outcome in the store.
    pub recorded: i64,
    /// The entry the outcome is about.
    pub entry: String,
    /// Whether the entry's remedy resolved the ticket.
    pub outcome: crate::outcomes::Resolution,
    /// The ticket, when given.
    pub ticket: Option<String>,
}

/// What `fixbook gaps --json` prints: the content gaps, biggest first, and the draft pack
/// written for them when one was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct GapsReport {
    /// Templates of texts nothing matched.
    pub gaps: Vec<crate::outcomes::Gap>,
    /// The pack skeleton written, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<crate::outcomes::draft::Drafted>,
}

/// What `fixbook pack build --json` prints: the archive written.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveBuilt {
    /// Where the archive was written.
    pub file: std::path::PathBuf,
    /// Its manifest.
    pub manifest: crate::archive::Manifest,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

/// What `fixbook pack list --json` prints: the packs installed in a pack folder.
#[derive(Debug, Clone, Serialize)]
pub struct InstalledReport {
    /// The pack folder.
    pub folder: std::path::PathBuf,
    /// The packs in it.
    pub packs: Vec<crate::archive::Installed>,
}

/// What `fixbook pack inspect --json` prints: an archive's manifest, signatures and checks.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveInspection {
    /// Its manifest.
    pub manifest: crate::archive::Manifest,
    /// The signatures it carries.
    pub signatures: Vec<crate::archive::SignatureInfo>,
    /// SHA-256 of the signed content, hex.
    pub sha256: String,
    /// The trusted keys that signed it, when its signatures are trusted.
    pub trusted: Option<Vec<String>>,
    /// Why it is not trusted, when it is not.
    pub trust_error: Option<String>,
    /// Why this engine cannot load it, when it cannot.
    pub engine_error: Option<String>,
}
