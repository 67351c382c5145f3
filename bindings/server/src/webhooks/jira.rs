//! Jira (Service Management): webhooks `jira:issue_created` and `jira:issue_updated`,
//! signed (when a secret is set on the webhook) with `X-Hub-Signature: sha256=<hex>`.
//!
//! The ticket is `issue.key`, `issue.fields.summary`, `issue.fields.description` (a string
//! in wiki markup, or an Atlassian Document Format tree whose text nodes are read); an update
//! with `issue.fields.resolution` set is a resolution. The note is
//! `POST {writeback_url}/rest/servicedeskapi/request/{key}/comment` `{"body", "public": false}`
//! (an internal comment), with `email:token` basic authentication.

use serde_json::{json, Value};

use super::payload::{self, PayloadError};
use super::writeback::{Credentials, NoteRequest};
use super::{Event, NewTicket, SourceSettings, TicketRef};

/// Reads an issue event.
pub fn read(v: &Value) -> Result<Event, PayloadError> {
    payload::object(v)?;
    let kind = payload::string(v, "webhookEvent")?;
    match kind.as_str() {
        "jira:issue_created" => {
            let description = match payload::at(v, "issue.fields.description") {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(doc @ Value::Object(_)) => adf_text(doc),
                Some(_) => {
                    return Err(PayloadError::wrong_type(
                        "issue.fields.description",
                        "a string or a document",
                    ))
                }
            };
            Ok(Event::Opened(NewTicket {
                ticket: TicketRef::new(payload::id(v, "issue.key")?),
                subject: payload::string(v, "issue.fields.summary")?,
                body: description,
            }))
        }
        "jira:issue_updated" => {
            let key = payload::id(v, "issue.key")?;
            if payload::at(v, "issue.fields.resolution").is_some() {
                Ok(Event::Solved {
                    ticket: TicketRef::new(key),
                })
            } else {
                Ok(Event::Ignored(
                    "an update that does not resolve the issue".into(),
                ))
            }
        }
        other => Ok(Event::Ignored(format!("event {other}"))),
    }
}

/// The text of an Atlassian Document Format tree: text nodes, paragraphs on their own lines.
fn adf_text(doc: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        if let Some(t) = v.get("text").and_then(Value::as_str) {
            out.push_str(t);
        }
        if v.get("type").and_then(Value::as_str) == Some("hardBreak") {
            out.push('\n');
        }
        if let Some(children) = v.get("content").and_then(Value::as_array) {
            for c in children {
                walk(c, out);
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    let mut out = String::new();
    walk(doc, &mut out);
    out.trim().to_owned()
}

/// `POST /rest/servicedeskapi/request/{key}/comment`, internal.
pub fn note_request(s: &SourceSettings, t: &TicketRef, note: &str) -> NoteRequest {
    NoteRequest::post(
        format!(
            "{}/rest/servicedeskapi/request/{}/comment",
            s.writeback_url, t.id
        ),
        Credentials::Basic(
            s.username.clone().unwrap_or_default(),
            s.token.clone().unwrap_or_default(),
        ),
        json!({ "body": note, "public": false }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_read_as_text() {
        let v = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "SUP-1",
            "fields": {"summary": "Login", "description": {"type": "doc", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Session token"},
                 {"type": "text", "text": " not found"}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "again"}]}]}}}});
        let Event::Opened(t) = read(&v).unwrap() else {
            panic!()
        };
        assert_eq!(t.body, "Session token not found\nagain");
        let resolved = json!({"webhookEvent": "jira:issue_updated", "issue": {"key": "SUP-1",
            "fields": {"resolution": {"name": "Done"}}}});
        assert!(matches!(read(&resolved).unwrap(), Event::Solved { .. }));
        let edited = json!({"webhookEvent": "jira:issue_updated", "issue": {"key": "SUP-1",
            "fields": {"resolution": null}}});
        assert!(matches!(read(&edited).unwrap(), Event::Ignored(_)));
        let e = read(
            &json!({"webhookEvent": "jira:issue_created", "issue": {"key": "S-2",
            "fields": {}}}),
        )
        .unwrap_err();
        assert_eq!(e.field, "issue.fields.summary");
    }
}
