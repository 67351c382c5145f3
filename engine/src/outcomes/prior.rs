//! The resolution prior: how much an entry's history moves it among the matches shown.
//!
//! An entry linked `n` times and resolving `r` of them has the smoothed rate
//! `(r + m·p₀) / (n + m)`, where `p₀` is its pack's rate and `m` = [`SMOOTHING`]: a few
//! reports barely move it, many move it towards the entry's own rate. Every report counts
//! with the weight `0.5^(age / HALF_LIFE_DAYS)`, so a fix that stopped working fades. The
//! score adjustment is `SCALE · (rate − p₀)`, bounded by ±[`CAP`].
//!
//! The adjustment is applied to the matches that passed the relevance floors and the limit:
//! it can reorder close candidates, never make a match appear or disappear (so no history
//! lifts an unrelated text over the floor, and none hides a signature match).

use std::collections::HashMap;

use serde::Serialize;

/// Pseudo-count of the pack's rate in the smoothed rate (`m`).
pub const SMOOTHING: f64 = 5.0;
/// Age at which a report counts half, in days.
pub const HALF_LIFE_DAYS: f64 = 90.0;
/// Score points per unit of (smoothed rate − pack rate).
pub const SCALE: f64 = 1.5;
/// The most the prior moves a score, either way (a signature hit is worth 6).
pub const CAP: f32 = 1.0;
/// The pack rate used while a pack has no reports at all.
const DEFAULT_RATE: f64 = 0.5;

/// An entry's resolution history and what it did to the score (shown in the trace).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Prior {
    /// Reports that it resolved the problem (within the retention period).
    pub resolved: u64,
    /// Reports about it in all (within the retention period).
    pub linked: u64,
    /// The smoothed, decayed resolution rate, 0 to 1.
    #[serde(serialize_with = "crate::diagnose::model::decimal_f32")]
    pub rate: f32,
    /// The pack's resolution rate it is smoothed towards.
    #[serde(serialize_with = "crate::diagnose::model::decimal_f32")]
    pub pack_rate: f32,
    /// Score points added (negative: removed).
    #[serde(serialize_with = "crate::diagnose::model::decimal_f32")]
    pub adjustment: f32,
    /// The same in words: `resolved 46 of 70 times: +0.30`.
    pub note: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    resolved: f64,
    linked: f64,
    raw_resolved: u64,
    raw_linked: u64,
}

impl Tally {
    fn add(&mut self, resolved: bool, weight: f64) {
        self.linked += weight;
        self.raw_linked += 1;
        if resolved {
            self.resolved += weight;
            self.raw_resolved += 1;
        }
    }
}

/// Decayed tallies per entry and per pack.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    entries: HashMap<String, Tally>,
    packs: HashMap<String, Tally>,
}

impl Stats {
    pub(crate) fn add(&mut self, entry: &str, pack: &str, resolved: bool, at: i64, now: i64) {
        let w = weight(at, now);
        self.entries
            .entry(entry.to_owned())
            .or_default()
            .add(resolved, w);
        self.packs
            .entry(pack.to_owned())
            .or_default()
            .add(resolved, w);
    }
}

/// The weight of a report made at `at`, seen at `now` (reports from the future count 1).
pub fn weight(at: i64, now: i64) -> f64 {
    let age_days = (now - at).max(0) as f64 / 86_400.0;
    0.5_f64.powf(age_days / HALF_LIFE_DAYS)
}

/// The smoothed rate `(r + m·p₀) / (n + m)`.
pub fn smoothed_rate(resolved: f64, linked: f64, pack_rate: f64) -> f64 {
    (resolved + SMOOTHING * pack_rate) / (linked + SMOOTHING)
}

/// The score adjustment for a smoothed rate against its pack's rate, within ±[`CAP`].
pub fn adjustment(rate: f64, pack_rate: f64) -> f32 {
    ((SCALE * (rate - pack_rate)) as f32).clamp(-CAP, CAP)
}

/// The prior of `entry` (of `pack`), or `None` when nobody reported on it.
pub(crate) fn prior(stats: &Stats, entry: &str, pack: &str, _now: i64) -> Option<Prior> {
    let t = stats.entries.get(entry)?;
    let p0 = stats
        .packs
        .get(pack)
        .filter(|p| p.linked > 0.0)
        .map_or(DEFAULT_RATE, |p| p.resolved / p.linked);
    let rate = smoothed_rate(t.resolved, t.linked, p0);
    let adj = adjustment(rate, p0);
    // shown as the score is: three decimals
    let adj = (adj * 1000.0).round() / 1000.0;
    Some(Prior {
        resolved: t.raw_resolved,
        linked: t.raw_linked,
        rate: rate as f32,
        pack_rate: p0 as f32,
        adjustment: adj,
        note: format!(
            "resolved {} of {} times: {:+.2}",
            t.raw_resolved, t.raw_linked, adj
        ),
    })
}

/// Applies the priors to matches that are already chosen: adds each one's adjustment to its
/// score, then sorts by the new score (ties keep their order). `key` gives an item's entry
/// id, pack id and score. Returns the prior of each item, in the new order.
pub(crate) fn rerank<T>(
    outcomes: Option<&super::Outcomes>,
    items: &mut Vec<T>,
    mut key: impl FnMut(&mut T) -> (String, String, &mut f32),
) -> Vec<Option<Prior>> {
    let Some(outcomes) = outcomes else {
        return vec![None; items.len()];
    };
    let ids: Vec<(String, String)> = items
        .iter_mut()
        .map(|it| {
            let (e, p, _) = key(it);
            (e, p)
        })
        .collect();
    let refs: Vec<(&str, &str)> = ids.iter().map(|(e, p)| (e.as_str(), p.as_str())).collect();
    let priors = outcomes.priors(&refs);
    if priors.iter().all(Option::is_none) {
        return priors;
    }
    let mut scores = Vec::with_capacity(items.len());
    for (it, p) in items.iter_mut().zip(&priors) {
        let (_, _, score) = key(it);
        if let Some(p) = p {
            *score += p.adjustment;
        }
        scores.push(*score);
    }
    // a stable sort: equal scores keep the engine's order
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut slots: Vec<Option<(T, Option<Prior>)>> =
        items.drain(..).zip(priors).map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for i in order {
        if let Some((it, p)) = slots[i].take() {
            items.push(it);
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_reports_means_the_pack_rate() {
        assert!((smoothed_rate(0.0, 0.0, 0.3) - 0.3).abs() < 1e-9);
        assert_eq!(adjustment(0.3, 0.3), 0.0);
    }

    #[test]
    fn a_few_reports_move_little_many_move_more_and_never_past_the_cap() {
        let few = adjustment(smoothed_rate(2.0, 2.0, 0.5), 0.5);
        let many = adjustment(smoothed_rate(60.0, 60.0, 0.5), 0.5);
        assert!(few > 0.0 && few < many, "{few} {many}");
        assert!(many <= CAP);
        let bad = adjustment(smoothed_rate(0.0, 10_000.0, 1.0), 1.0);
        assert_eq!(bad, -CAP);
    }

    #[test]
    fn old_reports_fade() {
        let now = 1_000_000_000;
        assert!((weight(now, now) - 1.0).abs() < 1e-9);
        let half = weight(now - (HALF_LIFE_DAYS * 86_400.0) as i64, now);
        assert!((half - 0.5).abs() < 1e-6, "{half}");
    }
}
