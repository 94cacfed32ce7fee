//! Fuzz target: arbitrary bytes, pushed into a `FrameReader` in chunks whose sizes
//! come from the input, must never panic; every frame it yields must agree with
//! `decode` and re-encode to something `decode` accepts unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_cluster::bus::{decode, encode, Frame, FrameReader};

fuzz_target!(|data: &[u8]| {
    // First byte picks the chunk size; a small cap keeps big totlen values cheap.
    let (chunk, rest) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c).max(1), rest),
        None => return,
    };
    let mut reader = FrameReader::with_max_frame_len(1 << 20);
    let mut offset = 0;
    for part in rest.chunks(chunk) {
        reader.push(part);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    let len = u32::from_be_bytes([
                        rest[offset + 4],
                        rest[offset + 5],
                        rest[offset + 6],
                        rest[offset + 7],
                    ]) as usize;
                    let direct = decode(&rest[offset..offset + len]);
                    match frame {
                        Frame::Message(msg) => {
                            assert_eq!(direct.as_ref().ok(), Some(&msg));
                            let again = decode(&encode(&msg));
                            assert_eq!(again.as_ref().ok(), Some(&msg));
                        }
                        Frame::Ignored(_) => assert!(direct.is_err()),
                    }
                    offset += len;
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
