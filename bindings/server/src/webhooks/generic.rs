//! Any other system: it posts `{"id", "subject", "body"}` (optional `"html": true` when the
//! body is HTML, `"status": "solved"` for a resolution), with the shared secret in
//! `X-Fixbook-Webhook-Secret`. The note is `POST {writeback_url}`
//! `{"ticket", "note", "internal": true}`, with `Authorization: Bearer` when `token_env` is
//! set.

use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{html, Event, NewTicket, SourceSettings, TicketRef};

/// Reads a delivery.
pub fn read(v: &Value) -> Result<Event, PayloadError> {
    payload::object(v)?;
    let id = payload::id(v, "id")?;
    if payload::at(v, "status")
        .and_then(Value::as_str)
        .is_some_and(|s| s == "solved")
    {
        return Ok(Event::Solved {
            ticket: TicketRef::new(id),
        });
    }
    let body = payload::text_or_empty(v, "body")?;
    let is_html = payload::at(v, "html").and_then(Value::as_bool) == Some(true);
    Ok(Event::Opened(NewTicket {
        ticket: TicketRef::new(id),
        subject: payload::text_or_empty(v, "subject")?,
        body: if is_html { html::strip(&body) } else { body },
    }))
}

/// `POST {writeback_url}`.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    NoteRequest::post(
        s.writeback_url.clone(),
        s.token
            .clone()
            .map_or(Credentials::None, Credentials::Bearer),
        json!({ "ticket": t.id, "note": note, "internal": true }),
    )
}
