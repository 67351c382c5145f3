//! Content keys for the on-disk caches (the index cache and the pack snapshots).
//!
//! A key names a cached file by what it was made from, so it must not collide in practice
//! but need not resist an attacker (whoever can write the cache folder can write any file
//! there): two independently seeded SipHash passes, 128 bits, cost a fraction of what they
//! save. Every key also holds the engine's build id, so another build never reads them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// The 128-bit key of what `feed` writes into a hasher (it is called twice, once per half).
pub(crate) fn key128(feed: impl Fn(&mut DefaultHasher)) -> [u8; 16] {
    let mut out = [0; 16];
    for (half, chunk) in out.chunks_exact_mut(8).enumerate() {
        let mut h = DefaultHasher::new();
        half.hash(&mut h);
        env!("FIXBOOK_BUILD_ID").hash(&mut h);
        feed(&mut h);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

/// `key` as 32 hex digits.
pub(crate) fn hex(key: &[u8; 16]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_with_their_input_and_repeat_with_it() {
        let a = key128(|h| "pack a".hash(h));
        assert_eq!(a, key128(|h| "pack a".hash(h)));
        assert_ne!(a, key128(|h| "pack b".hash(h)));
        assert_ne!(a[..8], a[8..], "the halves are seeded apart");
        assert_eq!(hex(&a).len(), 32);
    }
}
