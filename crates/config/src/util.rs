//! Byte-level helpers that reproduce the exact parsing rules Redis 7.0.15 uses for
//! configuration values: `sdssplitargs` (config-file tokenizer), `sdscatrepr` (quoting
//! used by CONFIG REWRITE and by the command-line-to-config translation), `memtoull`
//! (memory units), `string2ll`, the `strtoll`/`strtod` corner cases the C code relies
//! on, and `stringmatchlen` (glob for CONFIG GET).
//!
//! It owns pure functions only: no I/O, no allocation beyond the returned values, and it
//! must never panic on any input (all indexing goes through bounds-checked helpers).

/// C `isspace` in the "C" locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Byte at `i`, or 0 past the end: mirrors reading the NUL terminator of a C string.
fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Tokenize one line the way `sdssplitargs` does (redis.conf syntax): whitespace separated
/// words, "double quotes" with `\n \r \t \b \a \xHH` and `\<any>` escapes, 'single quotes'
/// with only `\'`. A closing quote must be followed by whitespace or the end of the line.
/// Returns `None` for unbalanced quotes ("Unbalanced quotes in configuration line").
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut p = 0usize;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(out);
        }
        let mut in_double = false;
        let mut in_single = false;
        let mut done = false;
        let mut current = Vec::new();
        while !done {
            let c = at(line, p);
            if in_double {
                if c == b'\\' && at(line, p + 1) == b'x' {
                    if let (Some(h), Some(l)) =
                        (hex_value(at(line, p + 2)), hex_value(at(line, p + 3)))
                    {
                        current.push(h * 16 + l);
                        p += 3;
                    } else {
                        // `\x` not followed by two hex digits: generic escape, yields 'x'.
                        p += 1;
                        current.push(b'x');
                    }
                } else if c == b'\\' && at(line, p + 1) != 0 {
                    p += 1;
                    current.push(match at(line, p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    let next = at(line, p + 1);
                    if next != 0 && !is_c_space(next) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(line, p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    let next = at(line, p + 1);
                    if next != 0 && !is_c_space(next) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
            }
            if p < line.len() {
                p += 1;
            }
        }
        out.push(current);
    }
}

/// `sdscatrepr`: a double-quoted, escaped representation that `split_args` reads back.
pub(crate) fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &c in bytes {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            // isprint() in the C locale: 0x20..=0x7e.
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// `sdstrim(s, " \t\r\n")`.
pub(crate) fn trim_line(line: &str) -> &str {
    line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `memtoull`: digits followed by an optional unit b, k (1000), kb (1024), m, mb, g, gb
/// (case-insensitive). An empty digit string is 0 (so "" and "kb" parse as 0, like Redis).
/// A leading '-' or an unknown unit is an error; overflow of the digits saturates (strtoull
/// ERANGE is not checked by Redis) but overflow of the multiplication is an error.
pub(crate) fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits_end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let unit = s.get(digits_end..).unwrap_or_default().to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128 byte buffer first.
    if digits_end >= 128 {
        return None;
    }
    let mut val: u64 = 0;
    for &d in s.get(..digits_end).unwrap_or_default() {
        val = val.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    if val > u64::MAX / mul {
        return None;
    }
    Some(val * mul)
}

/// Redis `string2ll`: strict decimal, optional '-', no '+', no spaces, no leading zeros,
/// at most 20 characters, within i64.
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let first = *digits.first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Outcome of C `strtoll(s, &end, base)`.
pub(crate) struct StrToLl {
    /// The converted (saturated) value.
    pub(crate) value: i64,
    /// Whether `*end == '\0'`, i.e. the whole string was consumed (true for "" too).
    pub(crate) at_end: bool,
    /// Whether `errno` would be ERANGE (the value saturated).
    pub(crate) overflow: bool,
}

/// C `strtoll` for base 10 or 8: leading whitespace, optional sign, digits; saturates on
/// overflow. When no digit is found `end` points at the start of the string.
pub(crate) fn strtoll(s: &[u8], base: u32) -> StrToLl {
    let mut p = 0;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    let mut negative = false;
    if let Some(&c) = s.get(p) {
        if c == b'+' || c == b'-' {
            negative = c == b'-';
            p += 1;
        }
    }
    let start_digits = p;
    let mut acc: i128 = 0;
    while let Some(&c) = s.get(p) {
        let d = match (c as char).to_digit(base) {
            Some(d) => d,
            None => break,
        };
        acc = (acc * i128::from(base) + i128::from(d)).min(i128::from(u64::MAX) * 2);
        p += 1;
    }
    if p == start_digits {
        return StrToLl {
            value: 0,
            at_end: s.is_empty(),
            overflow: false,
        };
    }
    let signed = if negative { -acc } else { acc };
    let value = signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    let overflow = i128::from(value) != signed;
    StrToLl {
        value,
        at_end: p == s.len(),
        overflow,
    }
}

/// Redis `string2d` (strtod based): rejects empty input, leading whitespace, trailing
/// garbage, NaN and overflow.
pub(crate) fn string2d(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let first = *s.first()?;
    if is_c_space(first) {
        return None;
    }
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        // strtod accepts hexadecimal; integers cover what configuration values need.
        let mut v = 0f64;
        for c in body[2..].chars() {
            v = v * 16.0 + f64::from(c.to_digit(16)?);
        }
        v
    } else {
        if body.starts_with(['+', '-']) {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        if v.is_infinite() && !body.to_ascii_lowercase().starts_with("inf") {
            return None; // ERANGE overflow
        }
        v
    };
    if value.is_nan() {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// `printf("%f")` followed by Redis `trimDoubleString` (drop trailing zeros and dot).
pub(crate) fn format_trimmed_double(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// `rewriteConfigFormatMemory`: use gb/mb/kb suffixes when the value is an exact multiple.
pub(crate) fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// Redis `stringmatchlen` (glob: `*`, `?`, `[...]` with ranges and `^`, `\` escapes).
/// CONFIG GET uses it with `nocase = true`.
pub(crate) fn string_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, text, nocase, &mut skip_longer, 0)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(
    pattern: &[u8],
    text: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    // Same protection as later Redis versions: pathological patterns simply do not match.
    if nesting > 1000 {
        return false;
    }
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < text.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < text.len() {
                    if match_impl(
                        &pattern[p + 1..],
                        &text[s..],
                        nocase,
                        skip_longer,
                        nesting + 1,
                    ) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = at(pattern, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = text[s];
                let mut matched = false;
                loop {
                    let remaining = pattern.len().saturating_sub(p);
                    let pc = at(pattern, p);
                    if pc == b'\\' && remaining >= 2 {
                        p += 1;
                        if at(pattern, p) == c {
                            matched = true;
                        }
                    } else if pc == b']' && remaining > 0 {
                        break;
                    } else if remaining == 0 {
                        // Unterminated class: step back so the outer loop ends on the last
                        // pattern byte, exactly like the C implementation.
                        p -= 1;
                        break;
                    } else if remaining >= 3 && at(pattern, p + 1) == b'-' {
                        let (mut start, mut end) = (pc, at(pattern, p + 2));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, cc) =
                            (fold(start, nocase), fold(end, nocase), fold(c, nocase));
                        p += 2;
                        if cc >= start && cc <= end {
                            matched = true;
                        }
                    } else if fold(pc, nocase) == fold(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            first => {
                let mut pc = first;
                if first == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pc = pattern[p];
                }
                if fold(pc, nocase) != fold(text[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == text.len() {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn split_args_basic_and_quotes() {
        assert_eq!(split("port 6379"), Some(vec!["port".into(), "6379".into()]));
        assert_eq!(
            split("  a   b\t c  "),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(split("save \"\""), Some(vec!["save".into(), "".into()]));
        assert_eq!(
            split("x \"a b\" 'c d'"),
            Some(vec!["x".into(), "a b".into(), "c d".into()])
        );
        assert_eq!(
            split(r#"x "\x41\n\t\"q""#),
            Some(vec!["x".into(), "A\n\t\"q".into()])
        );
        assert_eq!(split(r"x 'it\'s'"), Some(vec!["x".into(), "it's".into()]));
        // A quote in the middle of a word starts a quoted section.
        assert_eq!(split("foo\"bar baz\""), Some(vec!["foobar baz".into()]));
        assert_eq!(split(""), Some(vec![]));
    }

    #[test]
    fn split_args_unbalanced() {
        assert_eq!(split("save \"3600 1"), None);
        assert_eq!(split("save 'a'b"), None);
        assert_eq!(split("save \"a\"b"), None);
        assert_eq!(split("x 'abc"), None);
    }

    #[test]
    fn repr_round_trips() {
        let raw = b"a b\"c\\\n\x01\xff";
        let quoted = repr(raw);
        assert_eq!(quoted, "\"a b\\\"c\\\\\\n\\x01\\xff\"");
        let back = split_args(quoted.as_bytes()).unwrap();
        assert_eq!(back, vec![raw.to_vec()]);
    }

    #[test]
    fn memtoull_units() {
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1kb"), Some(1024));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2m"), Some(2_000_000));
        assert_eq!(memtoull(b"2mB"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull(b"3g"), Some(3_000_000_000));
        assert_eq!(memtoull(b"3gb"), Some(3 << 30));
        assert_eq!(memtoull(b"10b"), Some(10));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"kb"), Some(0));
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1.5mb"), None);
        assert_eq!(memtoull(b"1x"), None);
        assert_eq!(memtoull(b"18446744073709551615kb"), None);
    }

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-5"), Some(-5));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"01"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"-0",
            b"9223372036854775808",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn strtoll_corner_cases() {
        let r = strtoll(b"", 10);
        assert!(r.at_end && r.value == 0);
        let r = strtoll(b" +12", 10);
        assert!(r.at_end && r.value == 12);
        let r = strtoll(b"12x", 10);
        assert!(!r.at_end);
        let r = strtoll(b"  ", 10);
        assert!(!r.at_end);
        let r = strtoll(b"777", 8);
        assert!(r.at_end && r.value == 0o777);
        let r = strtoll(b"99999999999999999999999", 10);
        assert!(r.at_end && r.value == i64::MAX && r.overflow);
        assert!(!strtoll(b"-5", 10).overflow);
    }

    #[test]
    fn string2d_and_format() {
        assert_eq!(string2d(b"99.9"), Some(99.9));
        assert_eq!(string2d(b"1e1"), Some(10.0));
        assert_eq!(string2d(b".5"), Some(0.5));
        assert_eq!(string2d(b"0x10"), Some(16.0));
        for bad in [&b""[..], b" 1", b"abc", b"nan", b"1e400", b"1 "] {
            assert_eq!(string2d(bad), None);
        }
        assert_eq!(format_trimmed_double(50.0), "50");
        assert_eq!(format_trimmed_double(99.9), "99.9");
        assert_eq!(format_trimmed_double(0.5), "0.5");
    }

    #[test]
    fn memory_format() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1023), "1023");
        assert_eq!(format_memory(1024), "1kb");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(-1), "-1");
    }

    #[test]
    fn glob_matching() {
        assert!(string_match(b"*", b"anything", true));
        assert!(string_match(b"*ort", b"port", true));
        assert!(string_match(b"P*RT", b"port", true));
        assert!(!string_match(b"P*RT", b"port", false));
        assert!(string_match(b"h?", b"hz", true));
        assert!(string_match(b"[a-c]ctive*", b"active-expire-effort", true));
        assert!(!string_match(b"[^a]ctive*", b"active-expire-effort", true));
        assert!(string_match(b"a\\*b", b"a*b", false));
        assert!(!string_match(b"a\\*b", b"axb", false));
        assert!(!string_match(b"*x", b"port", true));
        assert!(string_match(b"port*", b"port", true));
        assert!(!string_match(b"[abc", b"d", false));
        assert!(string_match(b"[abc", b"a", false));
        assert!(!string_match(b"", b"a", false));
        assert!(string_match(b"", b"", false));
    }
}
