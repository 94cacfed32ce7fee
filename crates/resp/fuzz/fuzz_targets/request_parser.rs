//! Fuzzes `RequestParser` with arbitrary client bytes. It must never panic,
//! and (below the 64 KiB line limits, where Redis's outcome depends on how
//! input arrives) parsing the input whole must equal feeding it in chunks.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use shoal_resp::{ParseLimits, ProtocolError, RequestParser};

type Outcome = (Vec<Vec<Vec<u8>>>, Option<ProtocolError>);

fn run(input: &[u8], chunk_len: usize, limits: &ParseLimits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut commands = Vec::new();
    for chunk in input.chunks(chunk_len.max(1)) {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf, limits) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty(), "empty commands are skipped");
                    commands.push(args.iter().map(|arg| arg.to_vec()).collect());
                }
                Ok(None) => break,
                Err(error) => return (commands, Some(error)),
            }
        }
    }
    (commands, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let limits = ParseLimits {
        authenticated: control & 0x80 == 0,
        max_bulk_len_bytes: if control & 0x40 == 0 {
            512 * 1024 * 1024
        } else {
            64
        },
        ..ParseLimits::default()
    };
    let whole = run(input, input.len(), &limits);
    let chunked = run(input, usize::from(control & 0x0f) + 1, &limits);
    if input.len() <= 64 * 1024 {
        assert_eq!(whole, chunked);
    }
});
