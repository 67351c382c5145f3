//! Which patterns of a set may match a text: one pass over the text for the required
//! literals of them all, instead of one search per pattern.
//!
//! Signatures ([`super::SignatureSet`]) and a pack's extractors both ask it. A pattern
//! without a literal of [`MIN_LITERAL_LEN`] bytes is *residual*: the set cannot rule it
//! out, and its owner decides how to try it.
//!
//! The literals are found with a table of their first four bytes, not an automaton: building an
//! Aho-Corasick automaton over every signature's literal was the largest part of a start
//! (6.6 M of the CLI's 36 M instructions with the shipped packs, half of a warm start of
//! 10 000 entries), while a query is a few hundred bytes. The table costs one hash insert
//! per literal; a text is read once, each position looked up only when its first two bytes
//! begin some literal (a bit set of 64 Ki pairs), each literal found there then compared.
//! Logs, which are long, get an automaton of their own (see `SignatureSet::scan_automaton`).

use super::pattern::{fold_outliers, has_case_folding_outliers, Pattern, MIN_LITERAL_LEN};

/// The required literals of a set of patterns, indexed by their first bytes.
#[derive(Debug)]
pub struct Literals {
    /// Every distinct literal (lowercase ASCII, other bytes as is), by id.
    bytes: Vec<Vec<u8>>,
    /// The first four bytes of a literal, lowercased → the literals of four bytes or more
    /// that start so (a key of three bytes for the literals of three: see [`head`]).
    by_head: std::collections::HashMap<u32, Vec<u32>, foldhash::fast::RandomState>,
    /// Whether some literal has only [`MIN_LITERAL_LEN`] bytes.
    any_short: bool,
    /// Bit `a << 8 | b` set when some literal starts with the bytes `a`, `b` (lowercased).
    pairs: Box<[u64]>,
    /// Literal id → patterns requiring that literal, ascending.
    owners: Vec<Vec<u32>>,
    /// Patterns without a literal, ascending.
    residual: Vec<usize>,
}

/// The lookup key of the first `n` (3 or 4) bytes of `b`, lowercased. A three-byte key has
/// the top byte 0xFF, which UTF-8 never holds, so no four-byte key is ever equal to one and
/// both kinds share one table.
fn head(b: &[u8], n: usize) -> u32 {
    let low = |i: usize| u32::from(b[i].to_ascii_lowercase());
    match n {
        3 => 0xff00_0000 | low(0) << 16 | low(1) << 8 | low(2),
        _ => low(0) << 24 | low(1) << 16 | low(2) << 8 | low(3),
    }
}

fn pair(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

impl Literals {
    /// The literals of `patterns` (numbered in iteration order).
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> Literals {
        let mut ids: std::collections::HashMap<&[u8], u32, foldhash::fast::RandomState> =
            Default::default();
        let mut out = Literals {
            bytes: Vec::new(),
            by_head: Default::default(),
            any_short: false,
            pairs: vec![0u64; 1 << 10].into_boxed_slice(),
            owners: Vec::new(),
            residual: Vec::new(),
        };
        for (i, p) in patterns.into_iter().enumerate() {
            let mut any = false;
            for lit in p.required_literals().filter(|l| l.len() >= MIN_LITERAL_LEN) {
                any = true;
                let id = *ids.entry(lit).or_insert_with(|| {
                    let id = out.bytes.len() as u32;
                    out.bytes.push(lit.to_vec());
                    out.owners.push(Vec::new());
                    let n = lit.len().min(4);
                    out.any_short |= n == 3;
                    out.by_head.entry(head(lit, n)).or_default().push(id);
                    let bit = pair(lit[0], lit[1]);
                    out.pairs[bit >> 6] |= 1 << (bit & 63);
                    id
                });
                let o = &mut out.owners[id as usize];
                if o.last() != Some(&(i as u32)) {
                    o.push(i as u32);
                }
            }
            if !any {
                out.residual.push(i);
            }
        }
        out
    }

    /// Every distinct literal, by id.
    pub fn bytes(&self) -> &[Vec<u8>] {
        &self.bytes
    }

    /// The patterns requiring literal `id`, ascending.
    pub fn owners(&self, id: u32) -> &[u32] {
        self.owners.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The patterns without a literal, ascending.
    pub fn residual(&self) -> &[usize] {
        &self.residual
    }

    /// Ids of the literals present in `hay` (ASCII case ignored), each once, ascending.
    pub fn present(&self, hay: &str) -> Vec<u32> {
        let hay = hay.as_bytes();
        let mut ids = Vec::new();
        if self.bytes.is_empty() || hay.len() < MIN_LITERAL_LEN {
            return ids;
        }
        for at in 0..=hay.len() - MIN_LITERAL_LEN {
            let bit = pair(hay[at], hay[at + 1]);
            if self.pairs[bit >> 6] & (1 << (bit & 63)) == 0 {
                continue;
            }
            let rest = &hay[at..];
            if self.any_short {
                // a three-byte literal is its key: found where the key is
                ids.extend(self.by_head.get(&head(rest, 3)).into_iter().flatten());
            }
            if rest.len() < 4 {
                continue;
            }
            for &id in self.by_head.get(&head(rest, 4)).into_iter().flatten() {
                let lit = &self.bytes[id as usize];
                if rest.len() >= lit.len() && rest[4..lit.len()].eq_ignore_ascii_case(&lit[4..]) {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The patterns one of whose literals occurs in `text` (read with the two non-ASCII
    /// letters that fold to ASCII ones folded, as their regexes would), ascending; residual
    /// patterns are not among them.
    pub fn candidates(&self, text: &str) -> Vec<usize> {
        let folded;
        let hay = if has_case_folding_outliers(text) {
            folded = fold_outliers(text);
            folded.as_str()
        } else {
            text
        };
        let mut out: Vec<usize> = self
            .present(hay)
            .into_iter()
            .flat_map(|id| self.owners(id).iter().map(|&s| s as usize))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The literals found are those an Aho-Corasick automaton over the same literals finds
    /// (overlapping, ASCII case ignored), on the dev queries and on texts made of the
    /// literals themselves: whole, in capitals, cut short by one byte, at the very end,
    /// overlapping one another, next to non-ASCII text.
    #[test]
    fn the_literals_found_are_those_an_automaton_finds() {
        let set = crate::set::PackSet::embedded_for_tests();
        let patterns: Vec<&Pattern> = set
            .packs
            .iter()
            .flat_map(|p| {
                let sigs = p
                    .entries
                    .iter()
                    .flat_map(|e| e.signatures.iter().map(|s| &*s.regex));
                sigs.chain(p.extractors.iter().map(|x| &x.regex))
            })
            .collect();
        let literals = Literals::new(patterns.iter().copied());
        assert!(literals.bytes().len() > 100, "{}", literals.bytes().len());
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(literals.bytes())
            .unwrap();
        let mut texts: Vec<String> = include_str!("../../../tests/data/dev-queries.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| v["q"].as_str().unwrap().to_owned())
            .collect();
        let words: Vec<String> = literals
            .bytes()
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let next = &words[(i + 1) % words.len()];
            // the last character off; the word split where a character starts
            let cut = w.char_indices().last().map_or("", |(at, _)| &w[..at]);
            let mid = (w.len() / 2..=w.len())
                .find(|&at| w.is_char_boundary(at))
                .unwrap();
            texts.extend([
                w.clone(),
                format!("x{}", w.to_uppercase()),
                format!("{cut} é {cut}"),
                format!("{w}{next}"),
                format!("ünï {} {}", &w[..mid], &w[mid..]),
            ]);
        }
        let mut found = 0;
        for text in &texts {
            let mut expected: Vec<u32> = ac
                .find_overlapping_iter(text.as_str())
                .map(|m| m.pattern().as_u32())
                .collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(literals.present(text), expected, "{text:?}");
            found += expected.len();
        }
        assert!(found > words.len(), "{found}");
        // a text shorter than any literal, and an empty one, hold none
        assert!(literals.present("ab").is_empty() && literals.present("").is_empty());
        // three-byte literals, and longer ones sharing their first bytes
        let own: Vec<Pattern> = ["ssh", "sshd", r"sshd\[", "ssh-agent", "née", r"x\.yz"]
            .iter()
            .map(|p| Pattern::new(p).unwrap())
            .collect();
        let few = Literals::new(&own);
        assert_eq!(few.bytes().len(), 6);
        let present = |t: &str| -> Vec<&str> {
            let ids = few.present(t);
            ids.iter()
                .map(|&i| std::str::from_utf8(&few.bytes()[i as usize]).unwrap())
                .collect()
        };
        assert_eq!(present("SSHD[812]"), ["ssh", "sshd", "sshd["]);
        assert_eq!(present("an ssh-agent"), ["ssh", "ssh-agent"]);
        assert_eq!(present("ss hd, NÉE, née x.yz"), ["née", "x.yz"]);
        assert_eq!(present("ssh"), ["ssh"]);
    }
}
