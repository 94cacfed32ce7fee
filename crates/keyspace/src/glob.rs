//! Glob matching identical to Redis's `stringmatchlen` (KEYS, SCAN MATCH,
//! CONFIG GET, PSUBSCRIBE). STUB: being written.

/// True when `text` matches `pattern`; `nocase` folds ASCII case.
pub fn string_match(_pattern: &[u8], _text: &[u8], _nocase: bool) -> bool {
    false
}
