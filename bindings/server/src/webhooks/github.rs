//! GitHub: `issues` events (`X-GitHub-Event: issues`), signed with
//! `X-Hub-Signature-256: sha256=<hex>`.
//!
//! `action: opened` is a new ticket: `issue.number`, `issue.title`, `issue.body` (Markdown,
//! read as it is), in `repository.full_name`; `action: closed` with
//! `issue.state_reason: completed` (or none) is a resolution. GitHub issues have no internal
//! comments: the note is an ordinary comment,
//! `POST {writeback_url}/repos/{owner}/{repo}/issues/{number}/comments` `{"body"}`, with a
//! token (`Authorization: Bearer`). Point it at a private repository when notes must stay
//! internal.

use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{Event, NewTicket, SourceSettings, TicketRef};

/// Reads an event delivery.
pub fn read(v: &Value, headers: &HeaderMap) -> Result<Event, PayloadError> {
    let event = headers
        .get("x-github-event")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("issues");
    if event != "issues" {
        return Ok(Event::Ignored(format!("event {event}")));
    }
    payload::object(v)?;
    let action = payload::string(v, "action")?;
    let ticket = || -> Result<TicketRef, PayloadError> {
        Ok(TicketRef {
            id: payload::id(v, "issue.number")?,
            container: payload::string(v, "repository.full_name")?,
        })
    };
    match action.as_str() {
        "opened" => Ok(Event::Opened(NewTicket {
            ticket: ticket()?,
            subject: payload::string(v, "issue.title")?,
            body: payload::text_or_empty(v, "issue.body")?,
        })),
        "closed" => {
            let reason = payload::at(v, "issue.state_reason").and_then(Value::as_str);
            if reason.is_none_or(|r| r == "completed") {
                Ok(Event::Solved { ticket: ticket()? })
            } else {
                Ok(Event::Ignored(format!(
                    "closed as {}",
                    reason.unwrap_or_default()
                )))
            }
        }
        other => Ok(Event::Ignored(format!("action {other}"))),
    }
}

/// `POST /repos/{owner}/{repo}/issues/{number}/comments`.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    let mut r = NoteRequest::post(
        format!(
            "{}/repos/{}/issues/{}/comments",
            s.writeback_url, t.container, t.id
        ),
        Credentials::Bearer(s.token.clone().unwrap_or_default()),
        json!({ "body": note }),
    );
    r.headers = vec![
        ("accept", "application/vnd.github+json"),
        ("x-github-api-version", "2022-11-28"),
    ];
    r
}
