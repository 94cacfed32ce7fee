//! Fuzzes `parse_frame` with arbitrary reply bytes: it must never panic or
//! overflow the stack, and must report a consumed length within the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_resp::parse_frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((frame, used))) = parse_frame(data) {
        assert!(used <= data.len());
        // Every prefix of a complete frame is either incomplete or the same
        // frame (never an error), since decoding is incremental.
        let prefix = &data[..used.saturating_sub(1)];
        assert_eq!(parse_frame(prefix).ok(), Some(None));
        // Exercise the encoder; not asserted to round-trip, since lossy
        // UTF-8 text (e.g. a verbatim format) may re-encode differently.
        let mut encoded = Vec::new();
        frame.encode(&mut encoded);
        let _ = parse_frame(&encoded);
    }
});
