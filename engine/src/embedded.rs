//! The packs shipped in `packs/`, embedded at build time (see `build.rs`).

use crate::pack::{Origin, PackSource};

include!(concat!(env!("OUT_DIR"), "/embedded_packs.rs"));

/// The embedded packs as loadable sources, labelled `builtin:<folder>`.
pub fn sources() -> Vec<PackSource> {
    PACKS
        .iter()
        .map(|(name, files)| {
            PackSource::from_memory(&format!("builtin:{name}"), Origin::Builtin, files)
        })
        .collect()
}

/// Names of the embedded pack folders.
pub fn names() -> Vec<&'static str> {
    PACKS.iter().map(|(n, _)| *n).collect()
}
