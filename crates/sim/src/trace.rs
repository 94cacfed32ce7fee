//! A small, stable 64-bit hash of everything that happens in a simulation run.
//!
//! Owns: folding events and effects into one number so two runs of the same seed
//! can be compared cheaply (the determinism test). Must never: depend on process
//! state (std's `RandomState`/`DefaultHasher` are seeded per process, so they are
//! not used), or on pointer values.

/// FNV-style multiply–xor hash over 64-bit words. Not cryptographic; it only has
/// to make accidental equality of two different traces unlikely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceHasher {
    state: u64,
}

const PRIME: u64 = 0x0000_0100_0000_01b3;
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { state: OFFSET }
    }
}

impl TraceHasher {
    /// Folds one word in.
    pub(crate) fn word(&mut self, value: u64) {
        // Mix the whole word, then multiply: every bit of `value` reaches every
        // bit of the state after a couple of words.
        self.state ^= value.rotate_left(23) ^ (value >> 7);
        self.state = self.state.wrapping_mul(PRIME).rotate_left(29);
    }

    /// Folds a signed word in.
    pub(crate) fn int(&mut self, value: i64) {
        self.word(value as u64);
    }

    /// Folds a byte string in (length first, so `ab|c` ≠ `a|bc`).
    pub(crate) fn bytes(&mut self, data: &[u8]) {
        self.word(data.len() as u64);
        let mut chunks = data.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(word));
        }
    }

    /// The hash so far.
    pub(crate) fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(parts: &[&[u8]]) -> u64 {
        let mut h = TraceHasher::default();
        for p in parts {
            h.bytes(p);
        }
        h.finish()
    }

    #[test]
    fn same_input_same_hash() {
        assert_eq!(
            hash_of(&[b"abc", b"defghijkl"]),
            hash_of(&[b"abc", b"defghijkl"])
        );
    }

    #[test]
    fn boundaries_and_order_matter() {
        assert_ne!(hash_of(&[b"ab", b"c"]), hash_of(&[b"a", b"bc"]));
        assert_ne!(hash_of(&[b"x", b"y"]), hash_of(&[b"y", b"x"]));
        assert_ne!(hash_of(&[b""]), hash_of(&[]));
        // A single flipped bit deep inside a long buffer changes the hash.
        let mut long = vec![7u8; 2300];
        let before = hash_of(&[&long]);
        long[1999] ^= 1;
        assert_ne!(before, hash_of(&[&long]));
    }

    #[test]
    fn words_and_ints_agree() {
        let mut a = TraceHasher::default();
        a.int(-1);
        let mut b = TraceHasher::default();
        b.word(u64::MAX);
        assert_eq!(a.finish(), b.finish());
    }
}
