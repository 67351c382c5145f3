//! Freshdesk: automation-rule webhooks. Freshdesk posts whatever JSON the rule's author
//! writes with its placeholders; fixbook reads the shape of its classic webhook:
//!
//! ```json
//! {"freshdesk_webhook": {"ticket_id": "{{ticket.id}}", "ticket_subject": "{{ticket.subject}}",
//!   "ticket_description": "{{ticket.description}}", "ticket_status": "{{ticket.status}}"}}
//! ```
//!
//! The description is HTML (stripped). A rule may add a custom header with the shared
//! secret (`X-Fixbook-Webhook-Secret`). A `ticket_status` of `Resolved` or `Closed` is a
//! resolution. The note is `POST {writeback_url}/api/v2/tickets/{id}/notes`
//! `{"body": <html>, "private": true}`, authenticated with the API key (`key:X`).

use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{html, Event, NewTicket, SourceSettings, TicketRef};

/// Reads an automation delivery.
pub fn read(v: &Value) -> Result<Event, PayloadError> {
    payload::object(v)?;
    let id = payload::id(v, "freshdesk_webhook.ticket_id")?;
    let status = payload::at(v, "freshdesk_webhook.ticket_status").and_then(Value::as_str);
    if status
        .is_some_and(|s| s.eq_ignore_ascii_case("resolved") || s.eq_ignore_ascii_case("closed"))
    {
        return Ok(Event::Solved {
            ticket: TicketRef::new(id),
        });
    }
    Ok(Event::Opened(NewTicket {
        ticket: TicketRef::new(id),
        subject: payload::string(v, "freshdesk_webhook.ticket_subject")?,
        body: html::strip(&payload::text_or_empty(
            v,
            "freshdesk_webhook.ticket_description",
        )?),
    }))
}

/// `POST /api/v2/tickets/{id}/notes`, private.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    NoteRequest::post(
        format!("{}/api/v2/tickets/{}/notes", s.writeback_url, t.id),
        Credentials::Basic(s.token.clone().unwrap_or_default(), "X".into()),
        json!({ "body": html::from_text(note), "private": true }),
    )
}
