//! Content gaps: the texts that matched nothing, grouped into templates.
//!
//! Grouping follows Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed
//! Depth Tree", ICWS 2017) over masked texts: texts are split into tokens; only texts with
//! the same number of tokens and the same first token can share a template; a text joins
//! the most similar template of its group when at least [`SIMILARITY`] of the positions
//! agree, and the positions that differ become `<*>`. Masking has already turned ids,
//! addresses and times into placeholders, so what is left to vary is words.

use std::collections::HashMap;

use serde::Serialize;

/// Share of token positions that must agree for a text to join a template.
pub const SIMILARITY: f64 = 0.5;
/// Examples kept per template.
pub const EXAMPLES: usize = 3;
/// The token standing for a position where a template's texts differ.
pub const WILDCARD: &str = "<*>";

/// A group of unmatched texts that look alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The template: the masked text, `<*>` where the grouped texts differ.
    pub template: String,
    /// How many texts it groups.
    pub count: u64,
    /// A few of them (whole when the store keeps texts, masked otherwise), oldest first.
    pub examples: Vec<String>,
    /// When the first was recorded (`YYYY-MM-DDTHH:MM:SSZ`).
    pub first_seen: String,
    /// When the last was recorded.
    pub last_seen: String,
}

struct Cluster {
    tokens: Vec<String>,
    count: u64,
    examples: Vec<String>,
    first: i64,
    last: i64,
}

fn is_param(token: &str) -> bool {
    token == WILDCARD || (token.starts_with('{') && token.ends_with('}'))
}

/// How alike a template and a text are: the share of positions that agree (a `<*>` agrees
/// with anything).
fn similarity(template: &[String], tokens: &[&str]) -> f64 {
    if template.is_empty() {
        return 1.0;
    }
    let same = template
        .iter()
        .zip(tokens)
        .filter(|(t, k)| t.as_str() == WILDCARD || t.as_str() == **k)
        .count();
    same as f64 / template.len() as f64
}

/// Groups `(time, masked text, example)` rows into templates, biggest first (then the most
/// recent first, then by template).
pub fn group(rows: impl Iterator<Item = (i64, String, String)>) -> Vec<Gap> {
    let mut buckets: HashMap<(usize, String), Vec<usize>> = HashMap::new();
    let mut clusters: Vec<Cluster> = Vec::new();
    for (at, masked, example) in rows {
        let tokens: Vec<&str> = masked.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        let first = if is_param(tokens[0]) {
            WILDCARD.to_owned()
        } else {
            tokens[0].to_owned()
        };
        let bucket = buckets.entry((tokens.len(), first)).or_default();
        let best = bucket
            .iter()
            .map(|&c| (c, similarity(&clusters[c].tokens, &tokens)))
            .filter(|&(_, s)| s >= SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let c = match best {
            Some((c, _)) => {
                let cl = &mut clusters[c];
                for (t, k) in cl.tokens.iter_mut().zip(&tokens) {
                    if t != k {
                        *t = WILDCARD.to_owned();
                    }
                }
                cl.count += 1;
                cl.first = cl.first.min(at);
                cl.last = cl.last.max(at);
                c
            }
            None => {
                clusters.push(Cluster {
                    tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
                    count: 1,
                    examples: Vec::new(),
                    first: at,
                    last: at,
                });
                bucket.push(clusters.len() - 1);
                clusters.len() - 1
            }
        };
        let cl = &mut clusters[c];
        if cl.examples.len() < EXAMPLES && !cl.examples.contains(&example) {
            cl.examples.push(example);
        }
    }
    let mut gaps: Vec<(i64, Gap)> = clusters
        .into_iter()
        .map(|c| {
            (
                c.last,
                Gap {
                    template: c.tokens.join(" "),
                    count: c.count,
                    examples: c.examples,
                    first_seen: super::format_time(c.first),
                    last_seen: super::format_time(c.last),
                },
            )
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.1.count
            .cmp(&a.1.count)
            .then(b.0.cmp(&a.0))
            .then(a.1.template.cmp(&b.1.template))
    });
    gaps.into_iter().map(|(_, g)| g).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(texts: &[&str]) -> impl Iterator<Item = (i64, String, String)> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64, (*t).to_owned(), (*t).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn differing_words_become_wildcards() {
        let g = group(rows(&[
            "quota exceeded for tenant alpha on {ip}",
            "quota exceeded for tenant beta on {ip}",
            "disk full on {ip}",
            "quota exceeded for tenant gamma on {ip}",
        ]));
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].template, "quota exceeded for tenant <*> on {ip}");
        assert_eq!(g[0].count, 3);
        assert_eq!(g[0].examples.len(), 3);
        assert_eq!(g[1].template, "disk full on {ip}");
        assert_eq!(g[0].first_seen, "1970-01-01T00:00:00Z");
        assert_eq!(g[0].last_seen, "1970-01-01T00:00:03Z");
    }

    #[test]
    fn unlike_texts_of_one_length_stay_apart() {
        let g = group(rows(&[
            "printer jammed on floor three",
            "printer offline since monday morning",
        ]));
        assert_eq!(g.len(), 2);
    }
}
