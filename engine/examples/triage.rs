//! Triage one ticket with the embedded packs: what is it, which cause applies, what to ask.
//!
//! Run: `cargo run -p fixbook --example triage -- "An unexpected error has occurred after Okta sign-in"`

use fixbook::{Engine, Query, Verdict};

fn main() -> Result<(), fixbook::Error> {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Session token not found or invalid".to_owned());

    // Build the engine once and share it: it is Send + Sync.
    let engine = Engine::embedded()?;

    // A first look, with no facts: the best matches and the questions that would decide.
    let d = engine.diagnose(&Query::new(text.clone()).limit(3))?;
    let Some(top) = d.matches.first() else {
        println!("no known problem matches");
        return Ok(());
    };
    println!("{} ({:.0}% sure)", top.title, top.confidence * 100.0);
    let Some(question) = d.questions.first() else {
        return Ok(());
    };
    println!("ask: {}", question.text);

    // Suppose the answer is the first choice offered: diagnose again with it.
    if let Some(answer) = question.choices.first() {
        let decl = engine
            .fact(&question.fact)
            .expect("questions come from declared facts");
        let value = decl.parse_text(answer).expect("a choice fits its fact");
        let d = engine.diagnose(&Query::new(text).fact(question.fact.clone(), value))?;
        for m in d.matches.iter().take(1) {
            for c in m.causes.iter().filter(|c| c.verdict == Verdict::Confirmed) {
                println!("cause: {}", c.title);
            }
        }
    }
    Ok(())
}
