//! Domain context: which products a text names, and which packs' domains.
//!
//! Many messages are not one product's: "An unexpected error has occurred" is shown by
//! word processors, meeting apps and sign-in pages alike. A pack declares its `[domain]`
//! (products, services, vendors); the engine reads from a text
//!
//! * which packs' domains it names (whole words, any case), and
//! * whether it names another product: one of the bundled list `engine/data/products.txt`,
//!   one of another pack's domain names, or a capitalised name that opens the text and says
//!   something (`Reddit: …`, `Spotify desktop says …`) and is a word neither the packs nor
//!   everyday text use.
//!
//! A signature is **generic** when it matches a line of `engine/data/generic-messages.txt`
//! (the same message as other products word it) or of the background corpus: such a hit
//! counts as a signature only with domain context (the text names the pack's domain, or a
//! fact of `domain.facts` is known). A text that names another product and nothing of a
//! pack's domain is not answered by that pack at all.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::pack::Pack;

/// Names of products and vendors outside any pack (one per line, `#` comments).
pub const PRODUCTS: &str = include_str!("../data/products.txt");
/// Messages other products show (one per line, `#` comments).
pub const GENERIC_MESSAGES: &str = include_str!("../data/generic-messages.txt");

/// Lines of a bundled list, comments and blank lines left out.
pub fn list_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Who a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// A pack's domain (its index in the set).
    Pack(usize),
    /// Another product.
    Other,
}

/// Finds product and domain names in texts, for one pack set.
#[derive(Debug)]
pub struct DomainIndex {
    packs: usize,
    /// The names and their finder, with the product names each entry mentions.
    mentioned: std::sync::Arc<Mentions>,
}

/// For each entry of a set: the product names it mentions where people describe the problem
/// (title, summary, keywords, aliases), and anywhere. Found for an entry the first time a
/// text naming a product makes it a candidate: reading every entry's text at start cost
/// more than the rest of building the set.
#[derive(Debug, Default)]
pub struct Mentions {
    names: Vec<(String, Owner)>,
    finder: Option<AhoCorasick>,
    /// Global entry index → (its pack, the pack's index in the set, the entry in the pack).
    entries: Vec<(std::sync::Arc<Pack>, usize, usize)>,
    found: Vec<std::sync::OnceLock<(Vec<String>, Vec<String>)>>,
}

impl Mentions {
    /// The product names entry `entry` (global index) mentions where people describe the
    /// problem, and anywhere; `None` for an index outside the set.
    pub fn of(&self, entry: usize) -> Option<&(Vec<String>, Vec<String>)> {
        let (pack, own, e) = self.entries.get(entry)?;
        let cell = self.found.get(entry)?;
        Some(cell.get_or_init(|| self.find_in(&pack.entries[*e], *own)))
    }

    fn find_in(&self, e: &crate::pack::Entry, own: usize) -> (Vec<String>, Vec<String>) {
        let strong = format!(
            "{}\n{}\n{}\n{}",
            e.title,
            e.summary,
            e.keywords.join("\n"),
            e.aliases.join("\n")
        );
        let mut all = strong.clone();
        for c in &e.causes {
            all.push('\n');
            all.push_str(&c.title);
            all.push('\n');
            all.push_str(&c.explanation);
            for r in &c.remedy {
                all.push('\n');
                all.push_str(r);
            }
        }
        for r in &e.remedy {
            all.push('\n');
            all.push_str(r);
        }
        for w in &e.where_to_look {
            all.push('\n');
            all.push_str(&w.place);
        }
        (self.find(&strong, own), self.find(&all, own))
    }

    /// The names in `text` that are not pack `own`'s, each once, as whole words.
    fn find(&self, text: &str, own: usize) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let Some(f) = &self.finder else { return found };
        let b = text.as_bytes();
        for m in f.find_overlapping_iter(text) {
            let (name, owner) = &self.names[m.pattern().as_usize()];
            // `aws-auth` is a ConfigMap, not a mention of AWS
            let joined = |i: Option<&u8>| i.is_some_and(|&c| c == b'-');
            if *owner != Owner::Pack(own)
                && whole_word(b, m.start(), m.end())
                && !joined(b.get(m.end()))
                && !(m.start() > 0 && joined(b.get(m.start() - 1)))
                && !found.contains(name)
            {
                found.push(name.clone());
            }
        }
        found
    }
}

/// What a text names.
#[derive(Debug, Clone, Default)]
pub struct TextContext {
    /// For each pack: the first of its domain names found in the text.
    pub domain: Vec<Option<String>>,
    /// Products named in the text, with the pack whose domain holds each (None: no pack's).
    pub products: Vec<(String, Option<usize>)>,
    /// A name taken from the text's opening (`Reddit: …`) rather than from a list; it is
    /// less sure, so an entry whose own, specific message is in the text is not refused for it.
    pub opening: Option<String>,
    /// For each entry (global index): product names it mentions where people describe the
    /// problem, and anywhere.
    pub mentioned: std::sync::Arc<Mentions>,
}

impl TextContext {
    /// The first product the text names that is neither in `pack`'s domain nor mentioned
    /// by the entry (global index `entry`); none when the text names the pack's domain.
    /// With `specific_hit` (the entry's own, specific message is in the text) a name taken
    /// from the text's opening does not count.
    pub fn other_product_but(&self, pack: usize, entry: usize, specific_hit: bool) -> Option<&str> {
        if self.domain.get(pack).is_some_and(Option::is_some) {
            return None;
        }
        if self.products.is_empty() {
            return None;
        }
        let mentioned = self
            .mentioned
            .of(entry)
            .map(|(strong, all)| if specific_hit { all } else { strong });
        self.products
            .iter()
            .find(|(name, owner)| {
                *owner != Some(pack)
                    && !(specific_hit && self.opening.as_deref() == Some(name.as_str()))
                    && !mentioned.is_some_and(|m| m.iter().any(|x| x.eq_ignore_ascii_case(name)))
            })
            .map(|(n, _)| n.as_str())
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn whole_word(text: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !is_word_byte(text[start - 1]))
        && (end == text.len() || !is_word_byte(text[end]))
}

/// Verbs and marks after a name that say it is the one showing a message.
const SAYS: &[&str] = &[
    ":",
    " says",
    " shows",
    " said",
    " reports",
    " returns",
    " displays",
    " gives",
    " throws",
    " shows:",
    " error",
    " keeps",
];
/// Words that may stand between a product name and what it says.
const PRODUCT_NOUNS: &[&str] = &[
    "app",
    "desktop",
    "client",
    "web",
    "server",
    "mobile",
    "online",
    "player",
    "launcher",
    "portal",
    "api",
    "cloud",
    "plugin",
    "extension",
];

impl DomainIndex {
    /// Builds the name finder for `packs`.
    pub fn new(packs: &[std::sync::Arc<Pack>]) -> DomainIndex {
        let mut names: Vec<(String, Owner)> = Vec::new();
        for (i, p) in packs.iter().enumerate() {
            for n in p.domain.names() {
                names.push((n.clone(), Owner::Pack(i)));
            }
        }
        for n in list_lines(PRODUCTS) {
            if !names.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)) {
                names.push((n.to_owned(), Owner::Other));
            }
        }
        let finder = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(names.iter().map(|(n, _)| n.as_str()))
            .ok();
        // a product an entry names (an SSH agent, a Git host) is part of its world: named
        // where people describe the problem for any candidate, anywhere in the entry for one
        // whose specific message is in the text
        let entries: Vec<(std::sync::Arc<Pack>, usize, usize)> = packs
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| (0..p.entries.len()).map(move |ei| (p.clone(), pi, ei)))
            .collect();
        let mentioned = Mentions {
            names,
            finder,
            found: (0..entries.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            entries,
        };
        DomainIndex {
            packs: packs.len(),
            mentioned: std::sync::Arc::new(mentioned),
        }
    }

    /// What `text` names. `known_word` says whether a word is used by the packs or by
    /// everyday text (such a word opening a text is not taken for a product name).
    pub fn context(&self, text: &str, known_word: impl Fn(&str) -> bool) -> TextContext {
        let mut out = TextContext {
            domain: vec![None; self.packs],
            products: Vec::new(),
            opening: None,
            mentioned: self.mentioned.clone(),
        };
        let bytes = text.as_bytes();
        if let Some(f) = &self.mentioned.finder {
            for m in f.find_overlapping_iter(text) {
                if !whole_word(bytes, m.start(), m.end()) {
                    continue;
                }
                let (name, owner) = &self.mentioned.names[m.pattern().as_usize()];
                match owner {
                    Owner::Pack(p) => {
                        out.domain[*p].get_or_insert_with(|| name.clone());
                        // the same name may be in several packs' domains: any of them
                        for (n2, o2) in &self.mentioned.names {
                            if let Owner::Pack(q) = o2 {
                                if n2.eq_ignore_ascii_case(name) {
                                    out.domain[*q].get_or_insert_with(|| name.clone());
                                }
                            }
                        }
                        if !out.products.iter().any(|(n, _)| n == name) {
                            out.products.push((name.clone(), Some(*p)));
                        }
                    }
                    Owner::Other => {
                        if !out.products.iter().any(|(n, _)| n == name) {
                            out.products.push((name.clone(), None));
                        }
                    }
                }
            }
        }
        if let Some(name) = opening_name(text, &known_word) {
            let lower = name.to_lowercase();
            if !out.products.iter().any(|(n, _)| n.to_lowercase() == lower) {
                out.products.push((name.clone(), None));
                out.opening = Some(name);
            }
        }
        // a name of one pack's domain is another product for the other packs only when the
        // text names nothing of theirs: kept as is, `other_product` decides per pack
        out
    }
}

/// A capitalised name of one to three words opening the text and saying something
/// (`Reddit: …`, `Spotify desktop says …`), made of words the packs and everyday text do
/// not use.
fn opening_name(text: &str, known_word: &impl Fn(&str) -> bool) -> Option<String> {
    let t = text.trim_start();
    let mut words: Vec<&str> = Vec::new();
    let mut rest = t;
    for _ in 0..3 {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        let w = rest[..end].trim_end_matches('.');
        if w.is_empty() || !w.chars().next().is_some_and(char::is_uppercase) {
            break;
        }
        words.push(w);
        rest = &rest[end..];
        if !rest.starts_with(' ') {
            break;
        }
        let next = rest[1..].chars().next();
        if !next.is_some_and(char::is_uppercase) {
            break;
        }
        rest = &rest[1..];
    }
    // a name has a word of three letters or more: `A0:` or `E2 says` is a code, not a product
    if !words
        .iter()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
    {
        return None;
    }
    // optional nouns such as "desktop", "app" before the verb
    let mut tail = rest;
    for _ in 0..2 {
        let lower = tail.to_lowercase();
        match PRODUCT_NOUNS.iter().find(|n| {
            lower.starts_with(&format!(" {n}")) && whole_word(lower.as_bytes(), 1, n.len() + 1)
        }) {
            Some(n) => tail = &tail[n.len() + 1..],
            None => break,
        }
    }
    let lower = tail.to_lowercase();
    if !SAYS.iter().any(|s| lower.starts_with(s)) {
        return None;
    }
    if words.iter().any(|w| known_word(&w.to_lowercase())) {
        return None;
    }
    Some(words.join(" "))
}

/// The lines a generic signature matches: messages of other products ([`GENERIC_MESSAGES`])
/// and ordinary text ([`crate::set::BACKGROUND`]), normalised as queries are.
fn generic_lines() -> &'static [String] {
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LINES.get_or_init(|| {
        list_lines(GENERIC_MESSAGES)
            .chain(list_lines(crate::set::BACKGROUND))
            .map(|line| crate::matcher::normalize(line, 1 << 16).text)
            .collect()
    })
}

/// Whether a signature pattern is generic: it matches a message of another product
/// ([`GENERIC_MESSAGES`]) or a line of ordinary text.
pub fn is_generic(pattern: &crate::matcher::Pattern) -> bool {
    // a pattern is compiled only for a line holding its literal
    generic_lines()
        .iter()
        .any(|l| pattern.may_match(l) && pattern.is_match(l))
}

/// [`is_generic`] for every signature of `set`, by index: each line is read once by the
/// set's literal automaton, and only the signatures whose literals it holds are tried on it
/// (trying every signature on every line was half of a start).
pub fn generic_signatures(set: &crate::matcher::SignatureSet) -> Vec<bool> {
    let mut generic = vec![false; set.len()];
    for line in generic_lines() {
        for i in set.matching(line) {
            generic[i] = true;
        }
    }
    generic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_finds_the_generic_signatures_each_pattern_finds() {
        let packs = crate::set::PackSet::embedded_for_tests();
        let one_by_one: Vec<bool> = (0..packs.signatures.len())
            .map(|i| {
                let (e, si) = packs.signature_owner[i];
                is_generic(&packs.entry(e).signatures[si].regex)
            })
            .collect();
        assert_eq!(generic_signatures(&packs.signatures), one_by_one);
        assert_eq!(packs.generic, one_by_one);
        // the shipped packs hold both kinds
        assert!(one_by_one.contains(&true) && one_by_one.contains(&false));
    }

    fn known(w: &str) -> bool {
        ["error", "authenticator", "hello", "the", "users"].contains(&w)
    }

    #[test]
    fn opening_names_that_say_something() {
        assert_eq!(
            opening_name("Reddit: 'Something went wrong'", &known).as_deref(),
            Some("Reddit")
        );
        assert_eq!(
            opening_name("Spotify desktop says 'x'", &known).as_deref(),
            Some("Spotify")
        );
        assert_eq!(
            opening_name("Acme Flow Server returns 500", &known).as_deref(),
            Some("Acme Flow Server")
        );
        for t in [
            "Error: boom",
            "Authenticator: AWS 123",
            "Hello, it fails",
            "users say it fails",
            "Okta",
            "A0: Session token not found or invalid",
            "E2 says boom",
        ] {
            assert_eq!(opening_name(t, &known), None, "{t}");
        }
    }

    #[test]
    fn whole_words_only() {
        let b = b"xawsx aws";
        assert!(!whole_word(b, 1, 4));
        assert!(whole_word(b, 6, 9));
    }
}

#[cfg(test)]
mod generic_tests {
    /// The shipped packs' generic signatures: the IAM pack's shared message is one.
    #[test]
    fn shipped_generic_signatures() {
        let set = crate::set::PackSet::embedded_for_tests();
        let mut found = Vec::new();
        for (i, &g) in set.generic.iter().enumerate() {
            if g {
                let (e, si) = set.signature_owner[i];
                found.push(format!(
                    "{}#{}",
                    set.entry(e).id,
                    set.entry(e).signatures[si].id
                ));
            }
        }
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("aws-iam-identity-center/external-idp-unexpected-error#")),
            "{found:#?}"
        );
    }
}
