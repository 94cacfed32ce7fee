//! LZF compression as bundled in Redis 7.0 (liblzf 3.6, `src/lzf_c.c` and
//! `src/lzf_d.c`, built with Redis's `lzfP.h` settings: `HLOG` 16,
//! `VERY_FAST`, no `ULTRA_FAST`, `CHECK_INPUT`).
//!
//! Owns the LZF codec only: [`compress`] must produce exactly the bytes
//! redis-server produces (DUMP payloads and RDB files embed them and are
//! compared byte for byte), and [`decompress`] must accept exactly what
//! Redis's decompressor accepts. Must never do I/O, never panic on any input
//! (decompression input comes from clients via RESTORE), and never allocate
//! more than the input can legitimately expand to.
//!
//! Compressed format (from liblzf):
//!
//! ```text
//! 000LLLLL <L+1 bytes>         literal run of L+1 bytes (1..=32)
//! LLLooooo oooooooo            back reference: copy L+2 bytes (L in 1..=6)
//! 111ooooo LLLLLLLL oooooooo   back reference: copy L+9 bytes
//! ```
//!
//! where the offset `o` counts back from the current output position minus 1.

use thiserror::Error;

/// log2 of the hash table size (`HLOG` in `lzfP.h`).
const HLOG: u32 = 16;
/// Number of hash table slots (`HSIZE` in `lzf_c.c`).
const HSIZE: usize = 1 << HLOG;
/// Longest literal run one control byte can describe.
const MAX_LIT: usize = 1 << 5;
/// Largest back-reference offset (exclusive).
const MAX_OFF: usize = 1 << 13;
/// Longest back reference, in bytes, minus 2 (the encoded length limit).
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// Why [`decompress`] rejected its input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LzfError {
    /// The compressed stream ends in the middle of an instruction (or is
    /// empty). Redis's `lzf_decompress` reports `EINVAL`.
    #[error("LZF input is truncated")]
    Truncated,
    /// A back reference points before the start of the output (`EINVAL`).
    #[error("LZF back reference points before the start of the output")]
    BackReferenceBeforeStart,
    /// The stream decodes to more bytes than the expected length (`E2BIG`).
    #[error("LZF output exceeds the expected length of {expected} bytes")]
    OutputOverflow {
        /// The expected decompressed length.
        expected: usize,
    },
    /// The stream decodes completely but to fewer bytes than expected
    /// (Redis checks `lzf_decompress(...) != len`).
    #[error("LZF output is {actual} bytes, expected {expected}")]
    LengthMismatch {
        /// The expected decompressed length.
        expected: usize,
        /// What the stream actually decoded to.
        actual: usize,
    },
}

/// `FRST(p)`: the first two bytes at `pos`, big endian. Past-the-end bytes
/// read as 0 (the C code reads them only when the value ends up unused).
fn hash_first(input: &[u8], pos: usize) -> u32 {
    let byte = |i: usize| u32::from(input.get(i).copied().unwrap_or(0));
    (byte(pos) << 8) | byte(pos.saturating_add(1))
}

/// `NEXT(v, p)`: shifts the byte at `pos + 2` into the running hash value.
fn hash_next(value: u32, input: &[u8], pos: usize) -> u32 {
    let byte = input
        .get(pos.saturating_add(2))
        .copied()
        .map_or(0, u32::from);
    (value << 8) | byte
}

/// `IDX(h)` for `VERY_FAST` (and not `ULTRA_FAST`), in `unsigned int`
/// arithmetic.
fn hash_index(value: u32) -> usize {
    let index = (value >> (3 * 8 - HLOG)).wrapping_sub(value.wrapping_mul(5));
    // Masked to 16 bits, so it always fits.
    (index & (HSIZE as u32 - 1)) as usize
}

/// Writes `byte` at `pos`, or fails (never happens: every write position is
/// checked against the output limit first, as in the C code).
fn put(out: &mut [u8], pos: usize, byte: u8) -> Option<()> {
    *out.get_mut(pos)? = byte;
    Some(())
}

/// Compresses `input` exactly like Redis's
/// `lzf_compress(in, in_len, out, max_output_len)`.
///
/// Returns `None` where the C function returns 0: when `input` is empty,
/// when `max_output_len` is 0, or when the compressed form would not fit in
/// `max_output_len` bytes (the checks are the C code's, which are slightly
/// conservative near the end of the buffer). Redis only stores a string
/// compressed when it is longer than 20 bytes and this succeeds with
/// `max_output_len = input.len() - 4`.
///
/// The hash table starts empty (the C table is uninitialised; an empty slot
/// can never produce a match, as with a zeroed table in Redis).
pub fn compress(input: &[u8], max_output_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || max_output_len == 0 {
        return None;
    }

    // The output can never exceed in_len + in_len / 32 + 1 bytes (literals
    // plus one header per 32 of them; a back reference is always shorter
    // than what it replaces, header included), and no check below looks
    // more than 4 bytes ahead. So a limit above that bound behaves exactly
    // like an unlimited one, and the buffer need not be bigger.
    let bound = in_len.saturating_add(in_len / MAX_LIT).saturating_add(64);
    let out_end = max_output_len.min(bound);
    let mut out = vec![0u8; out_end];

    // Slot value 0 means "empty": position 0 can never be used as a match
    // anyway (the C code requires `ref > in_data`), exactly as a zeroed
    // slot behaves with LZF_HSLOT_BIAS.
    let mut htab = vec![0usize; HSIZE];

    let mut ip = 0usize;
    let mut lit = 0usize;
    let mut op = 1usize; // start run

    let mut hval = hash_first(input, ip);
    // `ip < in_end - 2`
    while ip + 2 < in_len {
        hval = hash_next(hval, input, ip);
        let slot = hash_index(hval);
        let reference = htab[slot];
        htab[slot] = ip;

        // `off = ip - ref - 1 < MAX_OFF` in unsigned arithmetic (so the
        // reference must lie before ip), `ref > in_data`, and the first
        // three bytes equal.
        let matched = reference > 0
            && reference < ip
            && ip - reference - 1 < MAX_OFF
            && input[reference + 2] == input[ip + 2]
            && input[reference] == input[ip]
            && input[reference + 1] == input[ip + 1];

        if matched {
            let off = ip - reference - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(MAX_REF);

            // `op - !lit + 3 + 1 >= out_end` (the exact one of C's two tests).
            if op - usize::from(lit == 0) + 3 + 1 >= out_end {
                return None;
            }

            put(&mut out, op - lit - 1, (lit as u8).wrapping_sub(1))?; // stop run
            op -= usize::from(lit == 0); // undo run if length is zero

            // The C code's unrolled first 16 comparisons run without the
            // `len < maxlen` bound (safe since maxlen > 16 leaves room), so
            // a full run there can end with len == maxlen + 2; keep that.
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[reference + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if len >= maxlen || input[reference + len] != input[ip + len] {
                        break;
                    }
                }
            }

            len -= 2; // len is now #octets - 1
            ip += 1;

            if len < 7 {
                put(&mut out, op, ((off >> 8) + (len << 5)) as u8)?;
                op += 1;
            } else {
                put(&mut out, op, ((off >> 8) + (7 << 5)) as u8)?;
                op += 1;
                put(&mut out, op, (len - 7) as u8)?;
                op += 1;
            }
            put(&mut out, op, off as u8)?;
            op += 1;

            lit = 0;
            op += 1; // start run

            ip += len + 1;

            if ip + 2 >= in_len {
                break;
            }

            // VERY_FAST: hash the last two positions of the match.
            ip -= 2;
            hval = hash_first(input, ip);

            hval = hash_next(hval, input, ip);
            htab[hash_index(hval)] = ip;
            ip += 1;

            hval = hash_next(hval, input, ip);
            htab[hash_index(hval)] = ip;
            ip += 1;
        } else {
            // one more literal byte we must copy
            if op >= out_end {
                return None;
            }

            lit += 1;
            put(&mut out, op, input[ip])?;
            op += 1;
            ip += 1;

            if lit == MAX_LIT {
                put(&mut out, op - lit - 1, (lit - 1) as u8)?; // stop run
                lit = 0;
                op += 1; // start run
            }
        }
    }

    // at most 3 bytes can be missing here
    if op + 3 > out_end {
        return None;
    }

    while ip < in_len {
        lit += 1;
        put(&mut out, op, input[ip])?;
        op += 1;
        ip += 1;

        if lit == MAX_LIT {
            put(&mut out, op - lit - 1, (lit - 1) as u8)?; // stop run
            lit = 0;
            op += 1; // start run
        }
    }

    put(&mut out, op - lit - 1, (lit as u8).wrapping_sub(1))?; // end run
    op -= usize::from(lit == 0); // undo run if length is zero

    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, which must decode to exactly `output_len` bytes,
/// like Redis's `lzf_decompress(in, in_len, out, output_len)` followed by
/// its `!= len` check.
///
/// Every malformed stream is an error, never a panic: a truncated
/// instruction or empty input ([`LzfError::Truncated`]), a back reference
/// before the start of the output, output beyond `output_len`, or a stream
/// that ends short of `output_len`. Allocation is bounded by what `input`
/// can expand to, not by `output_len` alone.
pub fn decompress(input: &[u8], output_len: usize) -> Result<Vec<u8>, LzfError> {
    // A 3-byte back reference expands to at most 264 bytes.
    let capacity = output_len.min(input.len().saturating_mul(MAX_REF / 3 + 1));
    let mut out: Vec<u8> = Vec::with_capacity(capacity);
    let overflow = LzfError::OutputOverflow {
        expected: output_len,
    };

    let mut ip = 0usize;
    loop {
        let ctrl = usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
        ip += 1;

        if ctrl < MAX_LIT {
            // literal run
            let run = ctrl + 1;
            if out.len() + run > output_len {
                return Err(overflow);
            }
            let end = ip + run;
            let literals = input.get(ip..end).ok_or(LzfError::Truncated)?;
            out.extend_from_slice(literals);
            ip = end;
        } else {
            // back reference
            let mut len = ctrl >> 5;
            let mut distance = ((ctrl & 0x1f) << 8) + 1;

            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
                ip += 1;
            }
            distance += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
            ip += 1;

            let copy = len + 2;
            if out.len() + copy > output_len {
                return Err(overflow);
            }
            let start = out
                .len()
                .checked_sub(distance)
                .ok_or(LzfError::BackReferenceBeforeStart)?;

            // Byte by byte: the source may overlap what is being written.
            for from in start..start + copy {
                let byte = *out.get(from).ok_or(LzfError::BackReferenceBeforeStart)?;
                out.push(byte);
            }
        }

        if ip >= input.len() {
            break;
        }
    }

    if out.len() != output_len {
        return Err(LzfError::LengthMismatch {
            expected: output_len,
            actual: out.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unhex(parts: &[&str]) -> Vec<u8> {
        let hex: String = parts.concat();
        assert_eq!(hex.len() % 2, 0);
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn lcg_step(state: &mut u32) -> u32 {
        *state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *state >> 16
    }

    /// Word salad: compressible but irregular text (same generator as was
    /// used to produce the redis-server vectors).
    fn lcg_text(seed: u32, len: usize) -> Vec<u8> {
        const WORDS: [&[u8]; 16] = [
            b"alpha",
            b"beta",
            b"gamma",
            b"delta",
            b"redis",
            b"shoal",
            b"key",
            b"value",
            b"the",
            b"of",
            b"and",
            b"compress",
            b"lzf",
            b"x",
            b"yz",
            b"0123",
        ];
        let mut state = seed;
        let mut out = Vec::new();
        while out.len() < len {
            out.extend_from_slice(WORDS[(lcg_step(&mut state) & 15) as usize]);
            out.push(b" ,.\n"[(lcg_step(&mut state) & 3) as usize]);
        }
        out.truncate(len);
        out
    }

    fn lcg_bytes(seed: u32, len: usize, alphabet: u32) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| (lcg_step(&mut state) % alphabet) as u8)
            .collect()
    }

    /// Checks one vector taken from redis-server 7.0.15 (`SET k <input>`,
    /// `DUMP k`, LZF bytes cut out of the payload).
    fn check_golden(input: &[u8], expected: &[u8]) {
        assert_eq!(compress(input, input.len() - 4).as_deref(), Some(expected));
        assert_eq!(decompress(expected, input.len()).as_deref(), Ok(input));
    }

    #[test]
    fn golden_run_of_one_byte() {
        check_golden(&[b'a'; 52], &unhex(&["016161e02700016161"]));
    }

    #[test]
    fn golden_21_bytes() {
        check_golden(
            b"abcabcabcabcabcabcabc",
            &unhex(&["0361626361e00602016263"]),
        );
    }

    #[test]
    fn golden_repeated_sentence() {
        let input = b"The quick brown fox jumps over the lazy dog. ".repeat(5);
        check_golden(
            &input[..200],
            &unhex(&[
                "1f54686520717569636b2062726f776e20666f78206a756d7073206f7665722074201e0a6c617a79",
                "20646f672e2054200de08c2c017820",
            ]),
        );
    }

    #[test]
    fn golden_repeating_pattern_3000() {
        let input = b"abcdefg".repeat(429);
        check_golden(
            &input[..3000],
            &unhex(&[
                "076162636465666761e0ff06e1ff09e1ff09e1ff09e1ff09e1ff09e1ff09e1ff09e1ff09e1ff09e1",
                "ff09e14d09016364",
            ]),
        );
    }

    #[test]
    fn golden_text_1000() {
        check_golden(
            &lcg_text(1, 1000),
            &unhex(&[
                "1f6b65792e626574610a636f6d70726573730a67616d6d610a72656469732e780a036c7a6620601f",
                "e00004012e6b20320a303132330a76616c75652e6005042c616e6420202b4007032e64656c205060",
                "47002c40364018052073686f616ca032800b2032022e6f66401c600a05797a0a6f662c6058400440",
                "0f047468652c782008002e202a0020407640610078607c60b40520616c706861602e002c402b600e",
                "002c20536081408b60426089a08f2045406d801380a902206f66604d405d002e4046206540e460bb",
                "606c000a2035207740856117406c002060f7811b01782c20bc807c6015002ce1004c808861040278",
                "2c78e0011740d5000a20d8206e60d84021a02c4012604540a780e1002c6046211e801880b6a0ed60",
                "39615081560020a13ce0006b6010207d206dc096002e60ab407881904009412d818b61536081002c",
                "60ed806e60aa8067801b6005621f602580bd0020616b8031a185215d2138a0120078624721d24164",
                "20d080d9400f2023604c40cf810e606ca288016f6661e5002e605e20cc601b8088a1d8214f007860",
                "a360bfe001fd404f0020c0f8804d80aa82028011813a614be1027f603ae101b4614880952232612b",
                "421740b8610be0007380a5a0f1608e60d0002e61278076426b428b211da0bf41b641f16019428122",
                "07010a78803e8074a056206f401b4023a106810c60686125a17882346005012073",
            ]),
        );
    }

    #[test]
    fn golden_text_12000_beyond_max_offset() {
        // 4943 bytes of LZF: pinned by length and CRC64 instead of in full.
        let input = lcg_text(7, 12000);
        let compressed = compress(&input, input.len() - 4).unwrap();
        assert_eq!(compressed.len(), 4943);
        assert_eq!(crate::crc64::crc64(0, &compressed), 0x7b8d_3454_09fd_788f);
        assert_eq!(decompress(&compressed, input.len()), Ok(input));
    }

    #[test]
    fn golden_four_symbol_bytes() {
        check_golden(
            &lcg_bytes(3, 2000, 4),
            &unhex(&[
                "11030301000200010300030102010101000000200a20054014000140140302030203201e200c201e",
                "00014009200840222030402520012015010302400c20090002400060302011000220270003205d01",
                "02032040202c0002200e406b2042202a00032002206a202c40094072200a206e202d20942000204a",
                "400f00008025605b2032203c201a2016401e8065000020540002205220292016201d20d320504037",
                "204c200a200520ad202420782097204320112069402c6052203140272059208d2007402a207d4036",
                "2031201c20324033202120272019207340192005200d409b203220132039209f20c7200c20672079",
                "202a203120152027200e2075202520862025200a40612019201b204d2029203c2004202d40802051",
                "8016203f201b202d2070201b214460262037200d20bc207c2035203c201a40094028200420202006",
                "40362041205d400d2015404b2008214f2009206b2079608f209f4016202b4014202f203a20a02008",
                "205f2061203f2003200c20044029203c400120ba200f204b200720f0204f2019201f4046204320e6",
                "203b20194044202f40162006201a20234034401920312015200320aa20182066204f201f207c61b8",
                "200d207b200b20042003400d203420872021202a200c200440552010201c2038202f400140b740c0",
                "20664035404c204d4000208020032009200440702027604420a62040202f201920cb2080204b2095",
                "20532050202920076009201040182037200060bd6051201020312000206820b04091202a2035201a",
                "206b401e2060408820172002208e204220f32007405e206b205f20442001201220c120472086203c",
                "200921e4201a205c205e2017604b20902058204a204720032009203f2022204a2031203a40062018",
                "2001201f2034403520724069203b20314033202820252034203a409f200140242007208f2015200e",
                "2000202d20024042403020142002406020252001201a615f20272000202980442056214920276021",
                "2023200b2037204140c34042401f606b205340202017203c2009209020a2411920aa6076402e8060",
                "2006209a404020d040552007207640374026201420222042400640d7205220192037201b200c4050",
                "20122065208b20292096406e4020408020172011204940152021402320354083200a201f200e2091",
                "2012403b20a720732004204f2003204a2013208c2040803320c2201820142009203e200420282088",
                "200940032018202c2074201440344022200460712042200c4050802a606220142020201220032033",
                "20532022203d208c200c20132063206a20ba20192037204c202040042001200220ad2003207a2002",
                "200e2043202c2068202820062015200820692024204b204a401c2083400b2012201420a1200e4060",
                "203e601220c5202e20c940e8200c201420622008203480312028205a2061200020ed2004202a8089",
                "2028200b201540362019203a403c209f200e201d200d203020214050200e20374067402a20116073",
                "2065601240646036204b40044007203c200220ab800320cf402b201a205d20002016205a20c12007",
                "2011201e20bb20034088206e2062407b20054029203920bf4081204120312045600e205c20de409c",
                "2006401720ee2128201b402340092064202a204020482003604f2056208c200e40a8202920004006",
                "2026201020312017201b2095207e2006206520102047203c2087201320514015200c20390001",
            ]),
        );
    }

    #[test]
    fn golden_zeros_around_noise() {
        let mut input = vec![0u8; 300];
        input.extend(lcg_bytes(5, 100, 256));
        input.extend([0u8; 300]);
        check_golden(
            &input,
            &unhex(&[
                "010000e0ff00e019001fdf097885d16cb8733c681dacfd15e95946d944626f3deaa9808d92097f31",
                "22111f7ace9480531ca6804e8644a35c83b69e25b789c8d7c83f50b101b6414ea958371fb22108df",
                "16c0c730736f2a6bd0037cd34c5db22ceb4413f620fda4661eaf552903df7aecd8e01985e0ff0001",
                "0000",
            ]),
        );
    }

    #[test]
    fn golden_incompressible_is_not_compressed() {
        // redis-server DUMPs this one raw: 00 1e "ABC...0123" 0a00 <crc>.
        let input = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
        assert_eq!(compress(input, input.len() - 4), None);
    }

    #[test]
    fn compress_edge_cases() {
        assert_eq!(compress(b"", 100), None);
        assert_eq!(compress(b"abc", 0), None);
        assert_eq!(compress(b"a", 1), None);
        assert_eq!(compress(b"a", 4), Some(vec![0, b'a']));
        assert_eq!(compress(b"ab", 5), Some(vec![1, b'a', b'b']));
        // A fit is refused just below the needed size.
        let input = [b'a'; 52];
        assert!(compress(&input, 9).is_none());
        assert!(compress(&input, 10).is_some());
    }

    #[test]
    fn decompress_errors() {
        assert_eq!(decompress(b"", 0), Err(LzfError::Truncated));
        assert_eq!(decompress(&[2, b'a', b'b'], 3), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20], 3), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0, b'a', 0xe0], 20), Err(LzfError::Truncated));
        assert_eq!(
            decompress(&[0, b'a', 0x20, 0x01], 4),
            Err(LzfError::BackReferenceBeforeStart)
        );
        assert_eq!(
            decompress(&[1, b'a', b'b'], 1),
            Err(LzfError::OutputOverflow { expected: 1 })
        );
        assert_eq!(
            decompress(&[0, b'a', 0x20, 0x00], 3),
            Err(LzfError::OutputOverflow { expected: 3 })
        );
        assert_eq!(
            decompress(&[1, b'a', b'b'], 5),
            Err(LzfError::LengthMismatch {
                expected: 5,
                actual: 2
            })
        );
        assert_eq!(decompress(&[0, b'a', 0x20, 0x00], 4), Ok(b"aaaa".to_vec()));
        // A huge claimed length does not allocate it.
        assert_eq!(
            decompress(&[0, b'a'], usize::MAX),
            Err(LzfError::LengthMismatch {
                expected: usize::MAX,
                actual: 1
            })
        );
    }

    proptest! {
        #[test]
        fn roundtrip(input in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let generous = input.len() * 2 + 16;
            match compress(&input, generous) {
                Some(compressed) => {
                    prop_assert!(compressed.len() <= input.len() + input.len() / 32 + 1);
                    prop_assert_eq!(decompress(&compressed, input.len()), Ok(input));
                }
                None => prop_assert!(input.is_empty()),
            }
        }

        #[test]
        fn roundtrip_compressible(
            seed in any::<u32>(),
            alphabet in 1u32..8,
            len in 1usize..5000,
            limit in 0usize..6000,
        ) {
            let input = lcg_bytes(seed, len, alphabet);
            let compressed = compress(&input, usize::MAX).unwrap();
            prop_assert_eq!(decompress(&compressed, input.len()), Ok(input.clone()));
            // Any limit gives either the same bytes or nothing.
            match compress(&input, limit) {
                Some(limited) => prop_assert_eq!(limited, compressed),
                None => prop_assert!(limit < compressed.len() + 4),
            }
        }

        #[test]
        fn decompress_never_panics(
            input in proptest::collection::vec(any::<u8>(), 0..512),
            output_len in 0usize..20_000,
        ) {
            if let Ok(out) = decompress(&input, output_len) {
                prop_assert_eq!(out.len(), output_len);
            }
        }
    }
}
