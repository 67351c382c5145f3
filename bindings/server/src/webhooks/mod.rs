//! Ticketing systems: `POST /v1/webhooks/{source}` reads a helpdesk's own new-ticket payload,
//! diagnoses the ticket and writes an internal note back through the helpdesk's API.
//!
//! A helpdesk waits for its webhook synchronously (django-helpdesk gives up after 3 s), so
//! the route only checks the delivery (signature, payload shape, idempotency) and answers
//! `202 Accepted`; the diagnosis and the write-back run afterwards in [`queue`], with retries
//! and backoff. One module per vendor reads that vendor's payload at the field paths it
//! documents, knows its signature scheme and builds its note request:
//! [`django_helpdesk`], [`zendesk`], [`jira`], [`github`], [`freshdesk`], [`generic`]. The
//! shared parts are [`signature`] (HMACs and shared secrets, checked over the raw body before
//! it is parsed), [`html`] (vendors that send HTML), [`note`] (the note's text, with an
//! optional template per source), [`writeback`] (the HTTP client) and [`settings`] (the
//! `[webhooks.<source>]` sections of the config file). A solved ticket that carries a
//! fixbook note is recorded as feedback in the outcome store ([`feedback`]).

pub mod django_helpdesk;
pub mod feedback;
pub mod freshdesk;
pub mod generic;
pub mod github;
pub mod html;
pub mod jira;
pub mod note;
pub mod payload;
pub mod queue;
pub mod settings;
pub mod signature;
pub mod writeback;
pub mod zendesk;

use axum::http::HeaderMap;
use serde_json::Value;

pub use payload::PayloadError;
pub use queue::Webhooks;
pub use settings::{SourceSettings, WebhookConfig, WebhookSettings};
pub use signature::SignatureError;
pub use writeback::NoteRequest;

/// A ticketing system fixbook has an adapter for (the `{source}` of the route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// django-helpdesk's native new-ticket and follow-up webhooks.
    DjangoHelpdesk,
    /// Zendesk event webhooks (`zen:event-type:ticket.created`).
    Zendesk,
    /// Jira (Service Management) webhooks (`jira:issue_created`).
    Jira,
    /// GitHub `issues` events.
    Github,
    /// Freshdesk automation-rule webhooks.
    Freshdesk,
    /// Any system that can post `{"id", "subject", "body"}`.
    Generic,
}

impl Source {
    /// Every source, in the order the docs list them.
    pub const ALL: [Source; 6] = [
        Source::DjangoHelpdesk,
        Source::Zendesk,
        Source::Jira,
        Source::Github,
        Source::Freshdesk,
        Source::Generic,
    ];

    /// The name in the route and in the config (`django-helpdesk`, `zendesk`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DjangoHelpdesk => "django-helpdesk",
            Source::Zendesk => "zendesk",
            Source::Jira => "jira",
            Source::Github => "github",
            Source::Freshdesk => "freshdesk",
            Source::Generic => "generic",
        }
    }

    /// The source named `name`, if fixbook has an adapter for it.
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// How this source signs its deliveries.
    pub fn scheme(self) -> signature::Scheme {
        match self {
            Source::Zendesk => signature::Scheme::Zendesk,
            Source::Github => signature::Scheme::Hub("x-hub-signature-256"),
            Source::Jira => signature::Scheme::Hub("x-hub-signature"),
            Source::DjangoHelpdesk | Source::Freshdesk | Source::Generic => {
                signature::Scheme::SharedSecret
            }
        }
    }

    /// Reads a delivery's payload into what it means for fixbook.
    pub fn read(self, body: &Value, headers: &HeaderMap) -> Result<Event, PayloadError> {
        match self {
            Source::DjangoHelpdesk => django_helpdesk::read(body),
            Source::Zendesk => zendesk::read(body),
            Source::Jira => jira::read(body),
            Source::Github => github::read(body, headers),
            Source::Freshdesk => freshdesk::read(body),
            Source::Generic => generic::read(body),
        }
    }

    /// The request that adds `note` to `ticket` as an internal note.
    pub fn note_request(self, s: &SourceSettings, ticket: &TicketRef, note: &str) -> NoteRequest {
        match self {
            Source::DjangoHelpdesk => django_helpdesk::note_request(s, ticket, note),
            Source::Zendesk => zendesk::note_request(s, ticket, note),
            Source::Jira => jira::note_request(s, ticket, note),
            Source::Github => github::note_request(s, ticket, note),
            Source::Freshdesk => freshdesk::note_request(s, ticket, note),
            Source::Generic => generic::note_request(s, ticket, note),
        }
    }

    /// The vendor's id of a delivery, from its headers, when it sends one.
    pub fn delivery_header(self) -> Option<&'static str> {
        match self {
            Source::Zendesk => Some("x-zendesk-webhook-invocation-id"),
            Source::Jira => Some("x-atlassian-webhook-identifier"),
            Source::Github => Some("x-github-delivery"),
            Source::DjangoHelpdesk | Source::Freshdesk | Source::Generic => {
                Some("x-fixbook-delivery")
            }
        }
    }
}

/// Where a ticket lives: what the write-back needs to address it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketRef {
    /// The ticket's id as the vendor's API takes it (`42`, `SUP-7`).
    pub id: String,
    /// The container it lives in, for vendors whose ids are per container (GitHub's
    /// `owner/repo`); empty otherwise.
    pub container: String,
}

impl TicketRef {
    /// A ticket with no container.
    pub fn new(id: impl Into<String>) -> TicketRef {
        TicketRef {
            id: id.into(),
            container: String::new(),
        }
    }

    /// The ticket's key for idempotency and logs (`owner/repo#7`, `42`).
    pub fn key(&self) -> String {
        if self.container.is_empty() {
            self.id.clone()
        } else {
            format!("{}#{}", self.container, self.id)
        }
    }
}

/// A new ticket to diagnose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Where it lives.
    pub ticket: TicketRef,
    /// Its subject (plain text).
    pub subject: String,
    /// Its body (plain text; HTML already stripped).
    pub body: String,
}

impl NewTicket {
    /// The text the engine reads: subject, a blank line, body.
    pub fn text(&self) -> String {
        match (self.subject.trim().is_empty(), self.body.trim().is_empty()) {
            (false, false) => format!("{}\n\n{}", self.subject.trim(), self.body.trim()),
            (false, true) => self.subject.trim().to_owned(),
            _ => self.body.trim().to_owned(),
        }
    }
}

/// What one delivery means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A ticket was created: diagnose it and write a note.
    Opened(NewTicket),
    /// A ticket was solved (its note's entry is reported as feedback).
    Solved {
        /// The ticket.
        ticket: TicketRef,
    },
    /// Nothing for fixbook to do (another event type or action); the reason is answered.
    Ignored(String),
}
