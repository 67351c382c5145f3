//! Zendesk: event webhooks (`zen:event-type:ticket.created`,
//! `zen:event-type:ticket.status_changed`), signed with `X-Zendesk-Webhook-Signature`.
//!
//! The ticket is `detail.id`, `detail.subject`, `detail.description` (HTML is stripped when
//! the description holds tags); a status change carries `event.current` (`SOLVED` is
//! solved). The note is `PUT {writeback_url}/api/v2/tickets/{id}.json`
//! `{"ticket": {"comment": {"body", "public": false}}}`, with an API token
//! (`{email}/token:{token}` basic authentication).

use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{html, Event, NewTicket, SourceSettings, TicketRef};

/// Reads an event delivery.
pub fn read(v: &Value) -> Result<Event, PayloadError> {
    payload::object(v)?;
    let kind = payload::string(v, "type")?;
    match kind.as_str() {
        "zen:event-type:ticket.created" => {
            let body = payload::text_or_empty(v, "detail.description")?;
            let body = if body.contains('<') {
                html::strip(&body)
            } else {
                body
            };
            Ok(Event::Opened(NewTicket {
                ticket: TicketRef::new(payload::id(v, "detail.id")?),
                subject: payload::string(v, "detail.subject")?,
                body,
            }))
        }
        "zen:event-type:ticket.status_changed" => {
            let id = payload::id(v, "detail.id")?;
            let current = payload::string(v, "event.current")?;
            if current.eq_ignore_ascii_case("solved") || current.eq_ignore_ascii_case("closed") {
                Ok(Event::Solved {
                    ticket: TicketRef::new(id),
                })
            } else {
                Ok(Event::Ignored(format!("status changed to {current}")))
            }
        }
        other => Ok(Event::Ignored(format!("event type {other}"))),
    }
}

/// `PUT /api/v2/tickets/{id}.json` with a private comment.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    let mut r = NoteRequest::post(
        format!("{}/api/v2/tickets/{}.json", s.writeback_url, t.id),
        Credentials::Basic(
            format!("{}/token", s.username.clone().unwrap_or_default()),
            s.token.clone().unwrap_or_default(),
        ),
        json!({ "ticket": { "comment": { "body": note, "public": false } } }),
    );
    r.method = reqwest::Method::PUT;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_solved_and_other_events() {
        let created = json!({"type": "zen:event-type:ticket.created", "id": "e1",
            "detail": {"id": "35436", "subject": "Help", "description": "<p>a&amp;b</p>"}});
        let Event::Opened(t) = read(&created).unwrap() else {
            panic!()
        };
        assert_eq!((t.ticket.id.as_str(), t.body.as_str()), ("35436", "a&b"));
        let solved = json!({"type": "zen:event-type:ticket.status_changed",
            "detail": {"id": 35436}, "event": {"current": "SOLVED", "previous": "OPEN"}});
        assert!(matches!(read(&solved).unwrap(), Event::Solved { .. }));
        let pending = json!({"type": "zen:event-type:ticket.status_changed",
            "detail": {"id": 1}, "event": {"current": "PENDING"}});
        assert!(matches!(read(&pending).unwrap(), Event::Ignored(_)));
        let other = json!({"type": "zen:event-type:ticket.priority_changed"});
        assert!(matches!(read(&other).unwrap(), Event::Ignored(_)));
        assert_eq!(read(&json!({"id": "e"})).unwrap_err().field, "type");
    }
}
