//! Fuzz target: `decode` on arbitrary bytes must never panic, and anything it
//! accepts must survive an encode/decode round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_cluster::bus::{decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = decode(data) {
        let bytes = encode(&msg);
        assert_eq!(decode(&bytes).ok(), Some(msg));
    }
});
