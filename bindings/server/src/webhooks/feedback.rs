//! Resolutions as feedback: when a helpdesk reports that a ticket carrying a fixbook note was
//! solved (django-helpdesk's follow-up resolving or closing it, Zendesk's
//! `ticket.status_changed` to solved, a Jira resolution, a GitHub issue closed as completed,
//! Freshdesk's resolved status), the note's entry is recorded in the outcome store as
//! `resolved` ([`fixbook::Engine::feedback`]), so resolution history can rank it.
//!
//! The entry is the one the ledger noted for the ticket; for django-helpdesk, whose payload
//! carries every follow-up, a fixbook note among them names it even after a restart. Each
//! ticket's resolution is recorded once.

use fixbook::outcomes::{Feedback, Resolution};
use serde_json::{json, Value};

use super::queue::TicketState;
use super::{django_helpdesk, note, Source, TicketRef};
use crate::state::AppState;

/// Records a solved ticket's resolution; the answer says what was done.
pub async fn solved(
    state: &AppState,
    source: Source,
    ticket: &TicketRef,
    payload: &Value,
) -> Value {
    let key = ticket.key();
    let answer = |status: &str, reason: String| json!({ "status": status, "source": source.as_str(), "ticket": key, "reason": reason });
    if state.engine().outcome_store().is_none() {
        return answer(
            "ignored",
            "a resolution; this server keeps no outcome store to record it in (--outcomes DB)"
                .into(),
        );
    }
    let Some(entry) = noted_entry(state, source, &key, payload) else {
        return answer(
            "ignored",
            "a resolution of a ticket without a fixbook note".into(),
        );
    };
    let hooks = state.webhooks();
    if !hooks.mark_fed_back(source, &key) {
        return answer(
            "duplicate",
            "this ticket's resolution is already recorded".into(),
        );
    }
    let engine = state.engine().clone();
    let mut fb = Feedback::new(&entry, Resolution::Resolved, source.as_str());
    fb.ticket = Some(key.clone());
    match state.pool().run(move |_| engine.feedback(&fb)).await {
        Ok(Ok(_)) => {
            tracing::info!(source = source.as_str(), ticket = %key, %entry, "resolution recorded");
            json!({ "status": "recorded", "source": source.as_str(), "ticket": key,
                    "entry": entry, "outcome": Resolution::Resolved.as_str() })
        }
        Ok(Err(e)) => {
            hooks.unmark_fed_back(source, &key);
            tracing::error!(source = source.as_str(), ticket = %key, "resolution not recorded: {e}");
            answer(
                "failed",
                format!("the resolution could not be recorded: {e}"),
            )
        }
        Err(e) => {
            hooks.unmark_fed_back(source, &key);
            answer(
                "failed",
                format!("the resolution could not be recorded: {e}"),
            )
        }
    }
}

/// The entry of the fixbook note on the ticket.
fn noted_entry(state: &AppState, source: Source, key: &str, payload: &Value) -> Option<String> {
    if let Some(TicketState::Noted(entry)) = state.webhooks().state(source, key) {
        return Some(entry);
    }
    if source != Source::DjangoHelpdesk {
        return None;
    }
    let ids = state.engine().entry_ids();
    django_helpdesk::followup_comments(payload)
        .iter()
        .find_map(|c| note::noted_entry(c, &ids).cloned())
}
