//! The background delivery queue: diagnose an accepted ticket on the engine pool, render the
//! note, write it back, retrying with exponential backoff; and the ledger that makes it
//! idempotent.
//!
//! The ledger is claimed when a delivery is accepted, before `202` is answered: a ticket
//! (per source) gets at most one note, whether the helpdesk repeats the delivery (same
//! delivery id) or sends the same ticket again (another id), and whether or not the first
//! attempt has finished. A write-back that fails for good releases the claim, so a
//! redelivery can try again. The ledger lives in memory (bounded: the oldest tickets are
//! forgotten first), so a restart forgets it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::settings::{SourceSettings, WebhookSettings};
use super::writeback::{Client, SendError};
use super::{note, NewTicket, Source};
use crate::state::AppState;

/// Tickets remembered per server (the oldest are forgotten past it).
const LEDGER_CAPACITY: usize = 100_000;
/// Deliveries waiting or running at once; past it a delivery is refused with 429 (the
/// helpdesk retries), so memory stays bounded.
pub const MAX_PENDING: usize = 1024;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the ledger knows of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketState {
    /// Accepted; the note is being made.
    InFlight,
    /// A note naming this entry was written.
    Noted(String),
    /// Nothing matched well enough: no note.
    NothingMatched,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The ticket is new: make its note.
    New,
    /// Seen before (this delivery or this ticket): the state it is in.
    Duplicate(TicketState),
}

type Key = (Source, String);

#[derive(Debug, Default)]
struct Ledger {
    tickets: HashMap<Key, TicketState>,
    fed_back: HashSet<Key>,
    deliveries: HashSet<Key>,
    order: VecDeque<(Key, Option<Key>)>,
}

impl Ledger {
    fn claim(&mut self, ticket: Key, delivery: Option<Key>) -> Claim {
        if let Some(s) = self.tickets.get(&ticket) {
            return Claim::Duplicate(s.clone());
        }
        if let Some(d) = &delivery {
            if self.deliveries.contains(d) {
                return Claim::Duplicate(TicketState::InFlight);
            }
            self.deliveries.insert(d.clone());
        }
        self.tickets.insert(ticket.clone(), TicketState::InFlight);
        self.order.push_back((ticket, delivery));
        while self.order.len() > LEDGER_CAPACITY {
            if let Some((t, d)) = self.order.pop_front() {
                self.tickets.remove(&t);
                self.fed_back.remove(&t);
                if let Some(d) = d {
                    self.deliveries.remove(&d);
                }
            }
        }
        Claim::New
    }

    fn release(&mut self, ticket: &Key) {
        self.tickets.remove(ticket);
        let mut kept = VecDeque::with_capacity(self.order.len());
        for (t, d) in self.order.drain(..) {
            if &t == ticket {
                if let Some(d) = d {
                    self.deliveries.remove(&d);
                }
            } else {
                kept.push_back((t, d));
            }
        }
        self.order = kept;
    }
}

/// The webhooks' settings and shared machinery.
#[derive(Debug)]
pub struct Webhooks {
    settings: WebhookSettings,
    client: Option<Client>,
    ledger: Mutex<Ledger>,
    pending: Arc<AtomicUsize>,
}

impl Webhooks {
    /// The webhooks for `settings`.
    pub fn new(settings: WebhookSettings) -> Result<Webhooks, String> {
        Ok(Webhooks {
            settings,
            client: Some(Client::new()?),
            ledger: Mutex::default(),
            pending: Arc::default(),
        })
    }

    /// No source configured (every webhook route answers 404).
    pub fn empty() -> Webhooks {
        Webhooks {
            settings: WebhookSettings::default(),
            client: None,
            ledger: Mutex::default(),
            pending: Arc::default(),
        }
    }

    /// A source's settings, when it is configured.
    pub fn source(&self, s: Source) -> Option<&SourceSettings> {
        self.settings.sources.get(&s)
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims a ticket (and the delivery id, when the vendor sends one).
    pub fn claim(&self, source: Source, ticket: &str, delivery: Option<&str>) -> Claim {
        self.ledger().claim(
            (source, ticket.to_owned()),
            delivery.map(|d| (source, d.to_owned())),
        )
    }

    /// What the ledger knows of a ticket.
    pub fn state(&self, source: Source, ticket: &str) -> Option<TicketState> {
        self.ledger()
            .tickets
            .get(&(source, ticket.to_owned()))
            .cloned()
    }

    /// Marks a ticket's resolution as reported; `false` when it already was.
    pub fn mark_fed_back(&self, source: Source, ticket: &str) -> bool {
        self.ledger().fed_back.insert((source, ticket.to_owned()))
    }

    /// Forgets a resolution report that could not be recorded (a redelivery may try again).
    pub fn unmark_fed_back(&self, source: Source, ticket: &str) {
        self.ledger().fed_back.remove(&(source, ticket.to_owned()));
    }

    fn settle(&self, source: Source, ticket: &str, state: Option<TicketState>) {
        let key = (source, ticket.to_owned());
        let mut l = self.ledger();
        match state {
            Some(s) => {
                l.tickets.insert(key, s);
            }
            None => l.release(&key),
        }
    }

    /// Whether another delivery may be queued; if so it is counted until it ends.
    fn reserve(&self) -> Option<PendingGuard> {
        let n = self.pending.fetch_add(1, Ordering::AcqRel);
        if n >= MAX_PENDING {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(PendingGuard(self.pending.clone()))
    }
}

struct PendingGuard(Arc<AtomicUsize>);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The delay before attempt `n + 1` (n ≥ 1): `base · 2^(n-1)`, at most a minute.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Queues the note for a claimed ticket; `false` when the queue is full (the claim is
/// released: the helpdesk's retry will be taken).
pub fn enqueue(state: &AppState, source: Source, ticket: NewTicket) -> bool {
    let hooks = state.webhooks();
    let Some(guard) = hooks.reserve() else {
        hooks.settle(source, &ticket.ticket.key(), None);
        return false;
    };
    let state = state.clone();
    let accepted = std::time::Instant::now();
    tokio::spawn(async move {
        let _guard = guard;
        deliver(&state, source, ticket, accepted).await;
    });
    true
}

async fn deliver(state: &AppState, source: Source, t: NewTicket, accepted: std::time::Instant) {
    let hooks = state.webhooks();
    let key = t.ticket.key();
    let Some(s) = hooks.source(source).cloned() else {
        hooks.settle(source, &key, None);
        return;
    };
    let Some(diagnosis) = diagnose(state, &s, &t).await else {
        hooks.settle(source, &key, None);
        return;
    };
    let Some(text) = note::render(
        &diagnosis,
        s.template.as_deref(),
        s.min_confidence,
        source.as_str(),
        &t.ticket,
    ) else {
        tracing::info!(source = source.as_str(), ticket = %key, "no note: nothing matched");
        hooks.settle(source, &key, Some(TicketState::NothingMatched));
        return;
    };
    let entry = diagnosis.matches[0].id.clone();
    let diagnosed_ms = accepted.elapsed().as_millis() as u64;
    let req = source.note_request(&s, &t.ticket, &text);
    let Some(client) = &hooks.client else {
        hooks.settle(source, &key, None);
        return;
    };
    for attempt in 1..=s.max_attempts {
        match client.send(&req).await {
            Ok(()) => {
                let ms = accepted.elapsed().as_millis() as u64;
                tracing::info!(source = source.as_str(), ticket = %key, %entry, attempt, diagnosed_ms, ms, "note written");
                hooks.settle(source, &key, Some(TicketState::Noted(entry)));
                return;
            }
            Err(SendError::Transient(e)) if attempt < s.max_attempts => {
                tracing::warn!(source = source.as_str(), ticket = %key, attempt, "write-back failed: {e}");
                tokio::time::sleep(backoff(s.retry_base, attempt)).await;
            }
            Err(e) => {
                tracing::error!(source = source.as_str(), ticket = %key, attempt, "write-back gave up: {e}");
                break;
            }
        }
    }
    hooks.settle(source, &key, None);
}

/// Diagnoses on the engine pool, waiting and retrying while the pool sheds load.
async fn diagnose(
    state: &AppState,
    s: &SourceSettings,
    t: &NewTicket,
) -> Option<fixbook::Diagnosis> {
    let text = t.text();
    for attempt in 1..=s.max_attempts {
        let engine = state.engine().clone();
        let text = text.clone();
        match state
            .pool()
            .run(move |_| engine.diagnose(&fixbook::Query::new(text)))
            .await
        {
            Ok(Ok(d)) => return Some(d),
            Ok(Err(e)) => {
                tracing::error!(source = s.source.as_str(), ticket = %t.ticket.key(), "diagnosis failed: {e}");
                return None;
            }
            Err(e) if attempt < s.max_attempts => {
                tracing::debug!("engine busy ({e}); retrying");
                tokio::time::sleep(backoff(s.retry_base, attempt)).await;
            }
            Err(e) => {
                tracing::error!(source = s.source.as_str(), ticket = %t.ticket.key(), "diagnosis gave up: {e}");
                return None;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_claimed_once_until_released() {
        let mut l = Ledger::default();
        let t = (Source::Zendesk, "7".to_owned());
        let d = Some((Source::Zendesk, "d1".to_owned()));
        assert_eq!(l.claim(t.clone(), d.clone()), Claim::New);
        assert_eq!(
            l.claim(t.clone(), d.clone()),
            Claim::Duplicate(TicketState::InFlight)
        );
        assert_eq!(
            l.claim(t.clone(), Some((Source::Zendesk, "d2".into()))),
            Claim::Duplicate(TicketState::InFlight)
        );
        // another source's ticket 7 is another ticket
        assert_eq!(l.claim((Source::Jira, "7".into()), None), Claim::New);
        l.release(&t);
        assert_eq!(l.claim(t, d), Claim::New);
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let b = Duration::from_millis(500);
        assert_eq!(backoff(b, 1), b);
        assert_eq!(backoff(b, 3), Duration::from_secs(2));
        assert_eq!(backoff(b, 40), MAX_BACKOFF);
    }
}
