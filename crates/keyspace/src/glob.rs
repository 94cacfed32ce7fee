//! Glob matching identical to Redis 7.0's `stringmatchlen` (util.c), used by
//! KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE.
//!
//! Owns only the matcher. It must never recurse (a pattern is client input
//! and may hold millions of `*`), never panic and never allocate.
//!
//! Semantics, quirks included (all as in Redis 7.0.15):
//! - `*` matches any run of bytes, `?` exactly one byte, `\x` the byte `x`.
//! - `[...]` is a set; `[^...]` its complement; `a-z` a range, either order
//!   (`[z-a]` = `[a-z]`); `\` escapes inside a set; a `-` needs two bytes
//!   after it, so `[a-]` is the range `a`..`]`. Range bounds and the tested
//!   byte compare as C `char`, which is signed on the platforms Redis ships
//!   for, so bytes >= 0x80 sort below ASCII in ranges.
//! - An unterminated set (`[abc` at the end of the pattern) is treated as if
//!   closed at the end of the pattern.
//! - Patterns never match the empty string unless they are empty: the
//!   matching loop runs only while both pattern and string are non-empty, so
//!   `*` does not match `""` (callers special-case a lone `*`, as KEYS and
//!   SCAN do).
//! - `nocase` folds ASCII letters only (C locale `tolower`).
//! - Redis 7.0.9+ stops trying longer matches for an earlier `*` once a
//!   later `*` failed everywhere (`skipLongerMatches`, CVE-2022-36021); this
//!   makes only the most recent `*` a backtracking point, which is what lets
//!   this port be a loop instead of a recursion.

/// True when `text` matches `pattern`; `nocase` folds ASCII case.
pub fn string_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    Matcher {
        pattern,
        text,
        nocase,
    }
    .run()
}

struct Matcher<'a> {
    pattern: &'a [u8],
    text: &'a [u8],
    nocase: bool,
}

/// ASCII-only `tolower`, as glibc's in the C locale (bytes >= 0x80 unchanged).
fn fold(byte: u8) -> u8 {
    byte.to_ascii_lowercase()
}

/// A byte read as C `char` on x86/ARM Linux builds of Redis: signed.
fn signed(byte: u8) -> i32 {
    i32::from(byte as i8)
}

impl Matcher<'_> {
    /// The pattern byte at `index`, or NUL past the end: Redis reads its
    /// NUL-terminated sds one byte past the length in a few places and we
    /// reproduce those reads exactly.
    fn pattern_at(&self, index: usize) -> u8 {
        self.pattern.get(index).copied().unwrap_or(0)
    }

    fn same(&self, left: u8, right: u8) -> bool {
        if self.nocase {
            fold(left) == fold(right)
        } else {
            left == right
        }
    }

    /// The iterative form of `stringmatchlen_impl`. `p` and `s` are the
    /// cursors into pattern and text; the C code's `patternLen` is
    /// `pattern.len() - p` and `stringLen` is `text.len() - s`.
    ///
    /// `backtrack` holds the state of the innermost `*` frame of the
    /// recursive original: the pattern index just after the `*` and the
    /// text index of the current attempt. A failed attempt resumes that
    /// frame one byte further; once the frame runs out of text the whole
    /// match fails (the original sets `skipLongerMatches` and every outer
    /// frame returns 0).
    fn run(&self) -> bool {
        let pattern_len = self.pattern.len();
        let text_len = self.text.len();
        let mut p = 0usize;
        let mut s = 0usize;
        let mut backtrack: Option<(usize, usize)> = None;

        loop {
            let attempt_failed = 'attempt: {
                while p < pattern_len && s < text_len {
                    match self.pattern[p] {
                        b'*' => {
                            // Collapse runs of `*`.
                            while p < pattern_len && self.pattern_at(p + 1) == b'*' {
                                p += 1;
                            }
                            if pattern_len - p == 1 {
                                return true;
                            }
                            // A new innermost frame: try the rest of the
                            // pattern at every text offset, starting here.
                            backtrack = Some((p + 1, s));
                            p += 1;
                            continue;
                        }
                        b'?' => {
                            s += 1;
                        }
                        b'[' => {
                            let text_byte = self.text[s];
                            p += 1;
                            let negate = self.pattern_at(p) == b'^';
                            if negate {
                                p += 1;
                            }
                            let mut matched = false;
                            loop {
                                let remaining = pattern_len - p;
                                let current = self.pattern_at(p);
                                if current == b'\\' && remaining >= 2 {
                                    p += 1;
                                    if self.pattern_at(p) == text_byte {
                                        matched = true;
                                    }
                                } else if current == b']' {
                                    break;
                                } else if remaining == 0 {
                                    // Unterminated set: step back so the
                                    // shared `p += 1` below lands on the end.
                                    p -= 1;
                                    break;
                                } else if remaining >= 3 && self.pattern_at(p + 1) == b'-' {
                                    let mut start = signed(current);
                                    let mut end = signed(self.pattern_at(p + 2));
                                    let mut byte = signed(text_byte);
                                    if start > end {
                                        std::mem::swap(&mut start, &mut end);
                                    }
                                    if self.nocase {
                                        start = fold_signed(start);
                                        end = fold_signed(end);
                                        byte = fold_signed(byte);
                                    }
                                    p += 2;
                                    if byte >= start && byte <= end {
                                        matched = true;
                                    }
                                } else if self.same(current, text_byte) {
                                    matched = true;
                                }
                                p += 1;
                            }
                            if negate {
                                matched = !matched;
                            }
                            if !matched {
                                break 'attempt true;
                            }
                            s += 1;
                        }
                        first => {
                            let literal = if first == b'\\' && pattern_len - p >= 2 {
                                p += 1;
                                self.pattern[p]
                            } else {
                                first
                            };
                            if !self.same(literal, self.text[s]) {
                                break 'attempt true;
                            }
                            s += 1;
                        }
                    }
                    p += 1;
                    if s == text_len {
                        // Trailing stars match the empty rest of the text.
                        while self.pattern_at(p) == b'*' {
                            p += 1;
                        }
                        break;
                    }
                }
                !(p == pattern_len && s == text_len)
            };
            if !attempt_failed {
                return true;
            }
            // Resume the innermost `*` frame one byte further along.
            match backtrack {
                Some((resume_p, attempt_s)) if attempt_s + 1 < text_len => {
                    backtrack = Some((resume_p, attempt_s + 1));
                    p = resume_p;
                    s = attempt_s + 1;
                }
                _ => return false,
            }
        }
    }
}

/// `tolower` on a C `char` value: only ASCII capitals change.
fn fold_signed(value: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&value) {
        value + 32
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A literal, recursive transcription of Redis 7.0.15 `stringmatchlen_impl`
    /// used as a differential oracle for the loop above. Indices into a
    /// NUL-padded copy of the pattern mirror the C pointer arithmetic.
    fn reference(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
        let mut padded = pattern.to_vec();
        padded.extend_from_slice(&[0, 0, 0]);
        let mut skip = false;
        reference_impl(
            &padded,
            0,
            pattern.len() as isize,
            text,
            0,
            nocase,
            &mut skip,
        )
    }

    fn lower(c: i32) -> i32 {
        fold_signed(c)
    }

    #[allow(clippy::too_many_arguments)]
    fn reference_impl(
        pat: &[u8],
        mut pi: usize,
        mut plen: isize,
        text: &[u8],
        mut si: usize,
        nocase: bool,
        skip: &mut bool,
    ) -> bool {
        let mut slen = (text.len() - si) as isize;
        let c = |index: usize| signed(pat[index]);
        while plen > 0 && slen > 0 {
            match pat[pi] {
                b'*' => {
                    while plen > 0 && pat[pi + 1] == b'*' {
                        pi += 1;
                        plen -= 1;
                    }
                    if plen == 1 {
                        return true;
                    }
                    while slen > 0 {
                        if reference_impl(pat, pi + 1, plen - 1, text, si, nocase, skip) {
                            return true;
                        }
                        if *skip {
                            return false;
                        }
                        si += 1;
                        slen -= 1;
                    }
                    *skip = true;
                    return false;
                }
                b'?' => {
                    si += 1;
                    slen -= 1;
                }
                b'[' => {
                    pi += 1;
                    plen -= 1;
                    let not = pat[pi] == b'^';
                    if not {
                        pi += 1;
                        plen -= 1;
                    }
                    let mut matched = false;
                    loop {
                        if pat[pi] == b'\\' && plen >= 2 {
                            pi += 1;
                            plen -= 1;
                            if pat[pi] == text[si] {
                                matched = true;
                            }
                        } else if pat[pi] == b']' {
                            break;
                        } else if plen == 0 {
                            pi -= 1;
                            plen += 1;
                            break;
                        } else if plen >= 3 && pat[pi + 1] == b'-' {
                            let (mut start, mut end) = (c(pi), c(pi + 2));
                            let mut ch = signed(text[si]);
                            if start > end {
                                std::mem::swap(&mut start, &mut end);
                            }
                            if nocase {
                                start = lower(start);
                                end = lower(end);
                                ch = lower(ch);
                            }
                            pi += 2;
                            plen -= 2;
                            if ch >= start && ch <= end {
                                matched = true;
                            }
                        } else if !nocase {
                            if pat[pi] == text[si] {
                                matched = true;
                            }
                        } else if lower(c(pi)) == lower(signed(text[si])) {
                            matched = true;
                        }
                        pi += 1;
                        plen -= 1;
                    }
                    if not {
                        matched = !matched;
                    }
                    if !matched {
                        return false;
                    }
                    si += 1;
                    slen -= 1;
                }
                other => {
                    if other == b'\\' && plen >= 2 {
                        pi += 1;
                        plen -= 1;
                    }
                    let equal = if nocase {
                        lower(c(pi)) == lower(signed(text[si]))
                    } else {
                        pat[pi] == text[si]
                    };
                    if !equal {
                        return false;
                    }
                    si += 1;
                    slen -= 1;
                }
            }
            pi += 1;
            plen -= 1;
            if slen == 0 {
                while pat[pi] == b'*' {
                    pi += 1;
                    plen -= 1;
                }
                break;
            }
        }
        plen == 0 && slen == 0
    }

    /// (pattern, key, matches) as answered by a real Redis 7.0.15: the key
    /// was stored alone (FLUSHALL; SET key v) and `KEYS pattern` either
    /// returned it or not. Covers every branch of the matcher.
    const REDIS_CASES: &[(&[u8], &[u8], bool)] = &[
        (b"h?llo", b"hello", true),
        (b"h?llo", b"hllo", false),
        (b"h*llo", b"hllo", true),
        (b"h*llo", b"heeeello", true),
        (b"h[ae]llo", b"hello", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[b-a]llo", b"hbllo", true),
        (b"h[a-b]llo", b"hcllo", false),
        (b"h\\*llo", b"h*llo", true),
        (b"h\\*llo", b"hello", false),
        (b"*", b"", true),
        (b"**", b"", false),
        (b"?", b"", false),
        (b"a*", b"a", true),
        (b"a**", b"a", true),
        (b"*a", b"a", true),
        (b"[a", b"a", true),
        (b"[a", b"b", false),
        (b"a[", b"a", false),
        (b"a[", b"ab", false),
        (b"a[^", b"ab", true),
        (b"[^", b"x", true),
        (b"[]", b"]", false),
        (b"[]]", b"]", false),
        (b"[]a]", b"]", false),
        (b"[^]", b"x", true),
        (b"[a-]", b"]", true),
        (b"[a-]", b"-", false),
        (b"[-a]", b"-", true),
        (b"[\\]]", b"]", true),
        (b"[\\", b"\\", true),
        (b"\\", b"\\", true),
        (b"a\\", b"a\\", true),
        (b"*a*b*c", b"xaybzc", true),
        (b"*a*b*c", b"xaybzcx", false),
        (b"*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaa", false),
        (b"?*?", b"ab", true),
        (b"?*?", b"a", false),
        (b"[a-z]*", b"KEY", false),
        (b"k[\xff-a]y", b"k\x80y", false),
        (b"k[\xff-a]y", b"k\xffy", true),
        (b"k[\xff-a]y", b"k0y", true),
        (b"k[\x80-\xff]y", b"k\x90y", true),
        (b"k[a-\xff]y", b"kzy", false),
        (b"k[a-\xff]y", b"k_y", true),
        (b"*[", b"ab", false),
        (b"*\\", b"ab\\", true),
    ];

    #[test]
    fn matches_redis_answers() {
        for (pattern, key, expected) in REDIS_CASES {
            // The `*` case is KEYS's allkeys shortcut, not the matcher.
            if *pattern == b"*" {
                continue;
            }
            assert_eq!(
                string_match(pattern, key, false),
                *expected,
                "pattern {:?} key {:?}",
                pattern.escape_ascii().to_string(),
                key.escape_ascii().to_string()
            );
            assert_eq!(
                reference(pattern, key, false),
                *expected,
                "reference disagrees"
            );
        }
    }

    #[test]
    fn lone_star_does_not_match_empty_text() {
        // Redis's matcher quirk: callers special-case a lone `*`.
        assert!(!string_match(b"*", b"", false));
        assert!(string_match(b"", b"", false));
        assert!(!string_match(b"", b"a", false));
        assert!(string_match(b"*", b"anything", false));
    }

    #[test]
    fn nocase_folds_ascii_only() {
        assert!(string_match(b"MAXMEMORY*", b"maxmemory-policy", true));
        assert!(!string_match(b"MAXMEMORY*", b"maxmemory-policy", false));
        assert!(string_match(b"[A-Z]", b"q", true));
        assert!(string_match(b"[a-z]", b"Q", true));
        assert!(string_match(b"[Q]", b"q", true));
        assert!(!string_match(b"\xc4", b"\xe4", true));
    }

    #[test]
    fn many_stars_do_not_blow_up() {
        // Exponential in a naive matcher, and deep recursion in the C one.
        let mut pattern = Vec::new();
        for _ in 0..100_000 {
            pattern.extend_from_slice(b"*a");
        }
        pattern.push(b'b');
        let text = vec![b'a'; 200_000];
        assert!(!string_match(&pattern, &text, false));
        let mut matching = pattern.clone();
        matching.pop();
        assert!(string_match(&matching, &text, false));
    }

    #[test]
    fn binary_safe() {
        assert!(string_match(b"a\0*", b"a\0\0b", false));
        assert!(!string_match(b"a\0", b"a", false));
        assert!(string_match(b"?", b"\0", false));
    }

    fn glob_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(b'*'),
            Just(b'?'),
            Just(b'['),
            Just(b']'),
            Just(b'^'),
            Just(b'-'),
            Just(b'\\'),
            Just(b'a'),
            Just(b'b'),
            Just(b'A'),
            Just(0x80u8),
            Just(0xFFu8),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn loop_equals_recursive_transcription(
            pattern in proptest::collection::vec(glob_byte(), 0..9),
            text in proptest::collection::vec(glob_byte(), 0..9),
            nocase in any::<bool>(),
        ) {
            prop_assert_eq!(
                string_match(&pattern, &text, nocase),
                reference(&pattern, &text, nocase)
            );
        }
    }
}
