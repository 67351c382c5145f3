//! django-helpdesk: its native webhooks (`HELPDESK_NEW_TICKET_WEBHOOK_URLS`,
//! `HELPDESK_FOLLOWUP_WEBHOOK_URLS`) and its REST API.
//!
//! Both webhooks post `{"ticket": <TicketSerializer data>, "queue_slug": "…"}`; the follow-up
//! one adds `followup_id`. The ticket's fields used are `ticket.id`, `ticket.title`,
//! `ticket.description` (plain text), `ticket.status` (1 open, 2 reopened, 3 resolved,
//! 4 closed, 5 duplicate) and `ticket.followup_set[].comment`. It signs nothing, and can only
//! be given URLs: a configured secret goes in the URL's `secret` query parameter.
//!
//! The note is `POST {writeback_url}/api/followups/` `{"ticket", "comment", "public": false}`
//! as an admin user (basic authentication): a follow-up staff see and the submitter does not.
//! It sends no `title`: django-helpdesk reads a follow-up's title as the ticket's new title.

use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{Event, NewTicket, SourceSettings, TicketRef};

/// Statuses that mean solved: resolved, closed.
const SOLVED: [u64; 2] = [3, 4];

/// Reads a new-ticket or follow-up delivery.
pub fn read(v: &Value) -> Result<Event, PayloadError> {
    payload::object(v)?;
    let id = payload::id(v, "ticket.id")?;
    if payload::at(v, "followup_id").is_some() {
        let status = payload::at(v, "ticket.status").and_then(Value::as_u64);
        if !status.is_some_and(|s| SOLVED.contains(&s)) {
            return Ok(Event::Ignored(
                "a follow-up that does not resolve or close the ticket".into(),
            ));
        }
        return Ok(Event::Solved {
            ticket: TicketRef::new(id),
        });
    }
    Ok(Event::Opened(NewTicket {
        ticket: TicketRef::new(id),
        subject: payload::string(v, "ticket.title")?,
        body: payload::text_or_empty(v, "ticket.description")?,
    }))
}

/// The comments of the ticket's follow-ups (a solved ticket's payload carries them all).
pub fn followup_comments(v: &Value) -> Vec<String> {
    payload::at(v, "ticket.followup_set")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("comment").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /api/followups/`, internal.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    let ticket: Value =
        t.id.parse::<u64>()
            .map_or_else(|_| json!(t.id), |n| json!(n));
    NoteRequest::post(
        format!("{}/api/followups/", s.writeback_url),
        Credentials::Basic(
            s.username.clone().unwrap_or_default(),
            s.password.clone().unwrap_or_default(),
        ),
        json!({ "ticket": ticket, "comment": note, "public": false }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tickets_and_resolving_followups() {
        let new = json!({"ticket": {"id": 12, "title": "Sign-in", "description": "It fails",
                         "status": 1, "followup_set": []}, "queue_slug": "it"});
        let Event::Opened(t) = read(&new).unwrap() else {
            panic!()
        };
        assert_eq!(
            (t.ticket.id.as_str(), t.text().as_str()),
            ("12", "Sign-in\n\nIt fails")
        );
        let mut f = new.clone();
        f["followup_id"] = json!(40);
        assert!(matches!(read(&f).unwrap(), Event::Ignored(_)));
        f["ticket"]["status"] = json!(3);
        assert!(matches!(read(&f).unwrap(), Event::Solved { .. }));
        let e = read(&json!({"ticket": {"title": "x"}})).unwrap_err();
        assert_eq!(e.field, "ticket.id");
        let e = read(&json!({"ticket": {"id": 3}})).unwrap_err();
        assert_eq!(e.field, "ticket.title");
    }
}
