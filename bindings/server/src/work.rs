//! The one path of every JSON route that calls the engine: the body is decoded on the engine
//! pool (parsing a large body is CPU work too, and must not run on the reactor), the work runs
//! there with its [`Caller`], the engine calls are counted, and the answer is printed as the
//! CLI prints it. Handlers only say what to decode and what to do with it.

use axum::body::Bytes;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::body::json_response;
use crate::decode::{decode_json, Decoded};
use crate::error::ApiError;
use crate::pool::Caller;
use crate::state::AppState;

/// What a route's work answers: the value to print and how many engine calls it made.
#[derive(Debug)]
pub struct Answered<T> {
    /// The answer.
    pub value: T,
    /// Engine calls made (counted under the route's kind in `/metrics`).
    pub calls: u64,
}

impl<T> Answered<T> {
    /// An answer that took one engine call.
    pub fn one(value: T) -> Answered<T> {
        Answered { value, calls: 1 }
    }
}

/// Decodes `body` as `R` and runs `work` on the engine pool, counts its engine calls under
/// `kind` and answers its value as JSON. Errors are the client's: 400 for a body that does
/// not decode, 429 when the pool is full, or whatever `work` refuses.
pub async fn engine_json<R, T, F>(
    state: &AppState,
    body: Bytes,
    kind: &'static str,
    work: F,
) -> Result<Response, ApiError>
where
    R: DeserializeOwned,
    T: Serialize + Send + 'static,
    F: FnOnce(&AppState, Decoded<R>, &Caller) -> Result<Answered<T>, ApiError> + Send + 'static,
{
    let st = state.clone();
    let answered = state
        .pool()
        .run(move |caller| work(&st, decode_json::<R>(&body)?, caller))
        .await??;
    if answered.calls > 0 {
        state.metrics().queries(kind, answered.calls);
    }
    Ok(json_response(&answered.value))
}
