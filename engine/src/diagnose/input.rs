//! Step 1: what a query knows before any check runs.
//!
//! A check sees facts from four places, weakest first: the `input.*` facts the engine reads
//! from any text (e-mails, URLs, IPs, …, and the text itself), the pack's extractors, the
//! captures of the signatures that hit, and the caller's facts. A stronger source replaces a
//! weaker one's value, so what the caller states always wins over a guess from the text.
//! Each pack sees only the facts it declares (besides `input.*`), converted to its own
//! declared types.

use std::collections::BTreeMap;

use super::score::Scored;
use super::tuning::QueryLimits;
use crate::error::{Error, Result};
use crate::facts::{FactDecl, FactType, FactValue, Facts};
use crate::matcher::{
    find_variables, normalize, text_for_search, PatternMatch, SignatureHit, VariableKind,
};
use crate::pack::{Extractor, Pack};
use crate::set::PackSet;

/// The query's text, read once.
pub(super) struct Input {
    /// The normalised text (what signatures see).
    pub text: String,
    /// The text for word search: without its variable parts, at most `max_search_bytes`.
    pub search_text: String,
    /// The `input.*` facts.
    pub facts: Facts,
    /// What was cut or replaced, for the answer's notes.
    pub notes: Vec<String>,
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Normalises the query text and reads its variable parts as `input.*` facts.
pub(super) fn read(raw: &str, limits: &QueryLimits) -> Input {
    let norm = normalize(raw, limits.max_input_bytes);
    let mut notes = norm.notes.clone();
    let text = norm.text;
    let vars = find_variables(&text);
    let mut facts = Facts::new();
    for kind in VariableKind::ALL {
        if let Some(name) = kind.fact_name() {
            let values: Vec<String> = vars
                .iter()
                .filter(|v| v.kind == kind)
                .map(|v| text[v.start..v.end].to_owned())
                .collect();
            facts.insert(name.to_owned(), FactValue::List(values));
        }
    }
    // checks see at most the part of the text that word search sees
    let seen = prefix(&text, limits.max_search_bytes).to_owned();
    facts.insert("input.text".into(), FactValue::Str(seen));
    let mut search_text = text_for_search(&text, &vars);
    if search_text.len() > limits.max_search_bytes {
        let cut = prefix(&search_text, limits.max_search_bytes).len();
        search_text.truncate(cut);
        notes.push(format!(
            "only the first {cut} bytes were used for word search; signatures saw all of the input"
        ));
    }
    Input {
        text,
        search_text,
        facts,
        notes,
    }
}

/// The caller's facts, typed for each pack by that pack's own declarations.
///
/// Two packs may declare one fact name with different types (`service.restarted` a bool in
/// one, a string in another). Typing a caller's value once, by the first declaration, would
/// hand the other pack a value of a type it never declared: `"no"` would become `false` for
/// both, confirming one pack's cause and wrongly ruling out the other's. So each pack gets
/// the value converted by its own declaration, and a pack that does not declare a fact does
/// not see it. A value that fits none of the declarations is an error (a fact of the wrong
/// type); one that fits some is given to those packs only, with a note naming the others.
pub(super) struct CallerFacts {
    /// Per pack, in the pack set's order.
    by_pack: Vec<Facts>,
}

impl CallerFacts {
    /// The caller's facts as the pack at `pack` (its index in the set) declares them.
    pub fn for_pack(&self, pack: usize) -> &Facts {
        &self.by_pack[pack]
    }
}

/// Converts the caller's facts to their declared types, pack by pack.
pub(super) fn caller_facts(
    set: &PackSet,
    facts: &BTreeMap<String, FactValue>,
    notes: &mut Vec<String>,
) -> Result<CallerFacts> {
    let mut by_pack = vec![Facts::new(); set.packs.len()];
    for (name, value) in facts {
        let mut declared = false;
        let mut refused: Vec<(&str, Error)> = Vec::new();
        for (i, pack) in set.packs.iter().enumerate() {
            let Some(decl) = pack.facts.get(name) else {
                continue;
            };
            declared = true;
            match typed(decl, value) {
                Ok(v) => {
                    by_pack[i].insert(name.clone(), v);
                }
                Err(e) => refused.push((&pack.id, e)),
            }
        }
        if !declared {
            notes.push(format!(
                "fact {} is not declared by any loaded pack; ignored",
                crate::input::quote(name)
            ));
            continue;
        }
        let fitted = by_pack.iter().any(|f| f.contains_key(name));
        match refused.into_iter().next() {
            Some((_, e)) if !fitted => return Err(e),
            Some((pack, e)) => notes.push(format!(
                "pack `{pack}` does not see fact {}: {e}",
                crate::input::quote(name)
            )),
            None => {}
        }
    }
    Ok(CallerFacts { by_pack })
}

/// A caller's value as `decl`'s type: text is parsed (`"no"` is a bool), other values are
/// checked as they are.
fn typed(decl: &FactDecl, value: &FactValue) -> Result<FactValue> {
    let typed = match (decl.ty, value) {
        (FactType::String | FactType::Enum | FactType::List, v) => decl.check(v.clone()),
        (_, FactValue::Str(s)) => decl.parse_text(s),
        (_, v) => decl.check(v.clone()),
    };
    typed.map_err(|e| Error::Fact(e.to_string()))
}

/// The facts one candidate's checks see.
pub(super) struct EntryFacts {
    /// Everything the checks read: input < extractors < captures < caller.
    pub all: Facts,
    /// The part read from the text (extractors and captures), shown as evidence.
    pub from_text: BTreeMap<String, FactValue>,
    /// Facts set by the pack's implications, as the trace says them.
    pub implied: Vec<String>,
}

/// Facts for a candidate: its pack's extracted facts, its signatures' captures, the caller's
/// facts as the pack declares them (`caller`, see [`CallerFacts::for_pack`]), and the input
/// facts.
pub(super) fn for_entry(
    pack: &Pack,
    c: &Scored,
    hits: &[SignatureHit],
    caller: &Facts,
    input: &Facts,
    extracted: &BTreeMap<String, FactValue>,
) -> EntryFacts {
    let mut from_text = extracted.clone();
    for &h in &c.sig_hits {
        for (name, value) in &hits[h].captures {
            if let Some(decl) = pack.facts.get(name) {
                if let Ok(v) = decl.parse_text(value) {
                    from_text.insert(name.clone(), v);
                }
            }
        }
    }
    let mut all = input.clone();
    all.extend(from_text.clone());
    all.extend(caller.iter().map(|(k, v)| (k.clone(), v.clone())));
    let implied = imply(pack, &mut all, caller);
    EntryFacts {
        all,
        from_text,
        implied,
    }
}

/// Applies the pack's implications until nothing changes (a few rounds at most): when every
/// `when` fact has its value, each `then` fact gets its value, unless the caller gave it.
/// Returns what was implied, as the trace says it (`a = x ⇒ b = y`).
pub(super) fn imply(pack: &Pack, facts: &mut Facts, caller: &Facts) -> Vec<String> {
    let mut said = Vec::new();
    for _ in 0..4 {
        let mut changed = false;
        for imp in &pack.implications {
            if !imp.when.iter().all(|(f, v)| facts.get(f) == Some(v)) {
                continue;
            }
            for (f, v) in &imp.then {
                if caller.contains_key(f) || facts.get(f) == Some(v) {
                    continue;
                }
                facts.insert(f.clone(), v.clone());
                changed = true;
                let when: Vec<String> = imp
                    .when
                    .iter()
                    .map(|(f, v)| format!("{f} = {}", serde_json::to_string(v).unwrap_or_default()))
                    .collect();
                said.push(format!(
                    "{} ⇒ {f} = {}",
                    when.join(", "),
                    serde_json::to_string(v).unwrap_or_default()
                ));
            }
        }
        if !changed {
            break;
        }
    }
    said
}

/// Facts a pack's extractors read from the text (run once per pack and query, whatever the
/// number of its candidates).
pub(super) fn extracted(pack: &Pack, text: &str) -> BTreeMap<String, FactValue> {
    let mut from_text: BTreeMap<String, FactValue> = BTreeMap::new();
    // one pass finds the extractors whose literal occurs; those without one check their own
    let mut may_match = vec![false; pack.extractors.len()];
    let literals = pack.extractor_literals();
    for i in literals.candidates(text) {
        may_match[i] = true;
    }
    for &i in literals.residual() {
        may_match[i] = pack.extractors[i].regex.may_match(text);
    }
    for (x, _) in pack.extractors.iter().zip(may_match).filter(|(_, m)| *m) {
        extract(pack, x, text, &mut from_text);
    }
    from_text
}

/// Adds what extractor `x` of `pack` reads from `text`: the items of a list fact, or the
/// first value of a single-valued one that has none yet.
fn extract(pack: &Pack, x: &Extractor, text: &str, from_text: &mut BTreeMap<String, FactValue>) {
    let Some(decl) = pack.facts.get(&x.fact) else {
        return;
    };
    if decl.ty == FactType::List {
        add_list_items(from_text, x, text);
    } else if !from_text.contains_key(&x.fact) {
        if let Some(v) = single_value(decl, x, text) {
            from_text.insert(x.fact.clone(), v);
        }
    }
}

/// The text an extractor's match gives: its `value` group, or the whole match.
fn matched_text(text: &str, m: &PatternMatch) -> String {
    let r = m.group("value").unwrap_or(m.start..m.end);
    text[r].to_owned()
}

/// A list fact gathers the items of every extractor that sets it, without repeats.
fn add_list_items(from_text: &mut BTreeMap<String, FactValue>, x: &Extractor, text: &str) {
    let items: Vec<String> = match &x.value {
        // a constant list is added once when the pattern matches
        Some(FactValue::List(l)) if x.regex.is_match(text) => l.clone(),
        Some(FactValue::Str(v)) if x.regex.is_match(text) => vec![v.clone()],
        Some(_) => Vec::new(),
        None => x
            .regex
            .captures_all(text)
            .iter()
            .map(|m| matched_text(text, m))
            .collect(),
    };
    if items.is_empty() {
        return;
    }
    let slot = from_text
        .entry(x.fact.clone())
        .or_insert_with(|| FactValue::List(Vec::new()));
    if let FactValue::List(l) = slot {
        for v in items {
            if !l.contains(&v) {
                l.push(v);
            }
        }
    }
}

/// The value of a single-valued fact from an extractor's first match (its constant, or the
/// matched text parsed as the declared type).
fn single_value(decl: &FactDecl, x: &Extractor, text: &str) -> Option<FactValue> {
    let m = x.regex.captures(text)?;
    match &x.value {
        Some(v) => Some(v.clone()),
        None => decl.parse_text(&matched_text(text, &m)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`extracted`] gave when each extractor looked for its own literal.
    fn extracted_one_by_one(pack: &Pack, text: &str) -> BTreeMap<String, FactValue> {
        let mut from_text = BTreeMap::new();
        for x in pack.extractors.iter().filter(|x| x.regex.may_match(text)) {
            extract(pack, x, text, &mut from_text);
        }
        from_text
    }

    #[test]
    fn one_pass_over_the_extractor_literals_extracts_what_each_extractor_would() {
        let set = crate::set::PackSet::embedded_for_tests();
        let mut texts: Vec<String> = include_str!("../../../tests/data/dev-queries.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| v["q"].as_str().unwrap().to_owned())
            .collect();
        texts.extend(
            [
                "Ana signed in as CORP\\ana in Google Chrome on macOS, then as ana@example.com",
                r#"{"eventName": "CreateAccountAssignment", "errorCode": "AccessDenied"}"#,
                "role AWSReservedSSO_Admin_0123abcd cannot be modified; kubelet stopped",
                "Permission denied (publickey,password). sshd[812]: Connection closed by 10.0.0.7 port 22",
            ]
            .map(str::to_owned),
        );
        // each extractor's own literals, alone in a text
        for p in &set.packs {
            for x in &p.extractors {
                for lit in x.regex.required_literals() {
                    texts.push(format!("see {} here", String::from_utf8_lossy(lit)));
                }
            }
        }
        // the two non-ASCII letters a case-insensitive regex reads as `k` and `s`
        let folded: Vec<String> = texts
            .iter()
            .map(|t| t.replace('k', "\u{212A}").replace('s', "\u{17F}"))
            .collect();
        texts.extend(folded);
        let mut found = 0;
        for p in &set.packs {
            for text in &texts {
                let facts = extracted(p, text);
                assert_eq!(facts, extracted_one_by_one(p, text), "{}: {text:?}", p.id);
                found += facts.len();
            }
        }
        assert!(found > 50, "{found} facts extracted in all");
    }

    #[test]
    fn variable_parts_become_input_facts() {
        let input = read(
            "login failed for ann@example.com from 10.0.0.7",
            &QueryLimits::default(),
        );
        assert_eq!(
            input.facts["input.emails"],
            FactValue::List(vec!["ann@example.com".into()])
        );
        assert_eq!(
            input.facts["input.ips"],
            FactValue::List(vec!["10.0.0.7".into()])
        );
        // every kind is present, empty when the text has none
        assert_eq!(input.facts["input.urls"], FactValue::List(Vec::new()));
        // word search does not see the variable parts
        assert!(!input.search_text.contains("ann@example.com"));
        assert!(input.notes.is_empty());
    }

    #[test]
    fn checks_and_word_search_see_at_most_max_search_bytes_cut_on_a_character() {
        let limits = QueryLimits {
            max_search_bytes: 10,
            ..QueryLimits::default()
        };
        // "é" is two bytes: byte 10 falls inside the sixth one
        let input = read("ééééééééé", &limits);
        assert_eq!(input.facts["input.text"], FactValue::Str("ééééé".into()));
        assert_eq!(input.search_text, "ééééé");
        assert_eq!(
            input.notes,
            vec![
                "only the first 10 bytes were used for word search; signatures saw all of the input"
            ]
        );
        // signatures see all of it
        assert_eq!(input.text, "ééééééééé");
    }

    fn decl(ty: FactType) -> FactDecl {
        FactDecl {
            name: "svc.restarted".into(),
            ty,
            values: Vec::new(),
            description: String::new(),
            question: String::new(),
        }
    }

    /// Two packs declaring `svc.restarted`, as a bool and as a string, and a third that
    /// does not declare it.
    fn two_declarations() -> PackSet {
        let pack = |id: &str, ty: &str| {
            let manifest =
                format!("format = 1\nid = \"{id}\"\nname = \"N\"\nversion = \"1.0.0\"\n{ty}");
            let entries = "[[entries]]\nid = \"e\"\ntitle = \"T\"\nkeywords = [\"k\"]\n";
            crate::pack::PackSource::from_memory(
                id,
                crate::pack::Origin::Builtin,
                &[("pack.toml", &manifest), ("entries/a.toml", entries)],
            )
        };
        let sources = [
            pack("as-bool", "[facts.\"svc.restarted\"]\ntype = \"bool\"\n"),
            pack(
                "as-string",
                "[facts.\"svc.restarted\"]\ntype = \"string\"\n",
            ),
            pack("neither", ""),
        ];
        PackSet::load(&sources, &crate::pack::LoadOptions::default(), true).unwrap()
    }

    #[test]
    fn each_pack_gets_the_callers_value_typed_by_its_own_declaration() {
        let set = two_declarations();
        let given: BTreeMap<String, FactValue> = [("svc.restarted".into(), "no".into())].into();
        let mut notes = Vec::new();
        let caller = caller_facts(&set, &given, &mut notes).unwrap();
        assert_eq!(caller.for_pack(0)["svc.restarted"], FactValue::Bool(false));
        assert_eq!(
            caller.for_pack(1)["svc.restarted"],
            FactValue::Str("no".into())
        );
        assert!(caller.for_pack(2).is_empty());
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_value_that_fits_only_some_declarations_goes_to_those_packs_with_a_note() {
        let set = two_declarations();
        let given: BTreeMap<String, FactValue> = [("svc.restarted".into(), "twice".into())].into();
        let mut notes = Vec::new();
        let caller = caller_facts(&set, &given, &mut notes).unwrap();
        assert!(caller.for_pack(0).is_empty());
        assert_eq!(
            caller.for_pack(1)["svc.restarted"],
            FactValue::Str("twice".into())
        );
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("pack `as-bool` does not see fact \"svc.restarted\""),
            "{notes:?}"
        );
        // a value no declaration accepts is an error, as with one pack
        let given: BTreeMap<String, FactValue> = [("svc.restarted".into(), 3_i64.into())].into();
        let err = caller_facts(&set, &given, &mut notes)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Fact);
    }

    #[test]
    fn caller_text_is_parsed_as_the_declared_type() {
        let no = FactValue::Str("no".into());
        assert_eq!(typed(&decl(FactType::Bool), &no).ok(), Some(false.into()));
        assert_eq!(typed(&decl(FactType::String), &no).ok(), Some(no.clone()));
        let err = typed(&decl(FactType::Int), &no).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Fact);
    }
}

#[cfg(test)]
mod implication_tests {
    use crate::facts::FactValue;
    use crate::pack::{load_pack, LoadOptions, Origin, PackSource, SourceFile};

    #[test]
    fn implications_set_facts_the_caller_did_not_give() {
        let src = PackSource {
            origin: Origin::Builtin,
            files: vec![SourceFile {
                path: "pack.toml".into(),
                rel: "pack.toml".into(),
                text: r#"format = 1
id = "p"
name = "P"
version = "1.0.0"
[facts."cert.matches"]
type = "bool"
question = "?"
[facts."source"]
type = "enum"
values = ["directory", "external-idp"]
question = "?"
[facts."other"]
type = "bool"
question = "?"
[[implications]]
when = { "cert.matches" = false }
then = { "source" = "external-idp" }
[[implications]]
when = { "source" = "external-idp" }
then = { "other" = true }
"#
                .into(),
            }],
        };
        let pack = load_pack(&src, &LoadOptions::default()).unwrap();
        let mut facts = crate::facts::Facts::new();
        facts.insert("cert.matches".into(), FactValue::Bool(false));
        let said = super::imply(&pack, &mut facts, &crate::facts::Facts::new());
        assert_eq!(facts["source"], FactValue::Str("external-idp".into()));
        assert_eq!(facts["other"], FactValue::Bool(true), "implications chain");
        assert_eq!(said[0], r#"cert.matches = false ⇒ source = "external-idp""#);
        // the caller's own value is never overridden
        let mut facts = crate::facts::Facts::new();
        facts.insert("cert.matches".into(), FactValue::Bool(false));
        facts.insert("source".into(), FactValue::Str("directory".into()));
        let caller = facts.clone();
        super::imply(&pack, &mut facts, &caller);
        assert_eq!(facts["source"], FactValue::Str("directory".into()));
    }
}
