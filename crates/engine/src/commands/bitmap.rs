//! The bitmap family (Redis 7.0.15 `bitops.c`): SETBIT GETBIT BITCOUNT
//! BITPOS BITOP BITFIELD BITFIELD_RO. Bitmaps are plain strings; bit 0 is the
//! most significant bit of the first byte.
//!
//! It owns bit addressing, range arithmetic (BYTE and BIT units), the
//! bitfield overflow rules and these commands' exact errors and
//! `server.dirty` accounting. It never grows a string beyond
//! proto-max-bulk-len (offsets are checked first), never reads a clock and
//! never panics on client input.

use std::borrow::Cow;

use shoal_resp::parse_i64_strict;

use crate::commands::string::{c_str, keyword_is, raw_string, read_string, string_of};
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::Node;
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};
use shoal_config::notify;

const READ_FAST: &[&str] = &["read", "bitmap", "fast"];
const READ_SLOW: &[&str] = &["read", "bitmap", "slow"];
const WRITE_SLOW: &[&str] = &["write", "bitmap", "slow"];

const WRITE_DENYOOM: Flags = Flags::WRITE.with(Flags::DENYOOM);
const READONLY_FAST: Flags = Flags::READONLY.with(Flags::FAST);

/// BITOP's keys: the destination and every source (arguments 2..).
const BITOP_KEYS: KeySpec = KeySpec::Range {
    first: 2,
    last: -1,
    step: 1,
};

const BITFIELD_COMPLEXITY: &str = "O(1) for each subcommand specified";

/// A row with the bitmap group.
#[allow(clippy::too_many_arguments)]
const fn row(
    name: &'static str,
    arity: i32,
    flags: Flags,
    acl_categories: &'static [&'static str],
    keys: KeySpec,
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
    handler: fn(&mut Ctx<'_>) -> CommandResult,
) -> CommandSpec {
    CommandSpec::leaf(
        name,
        arity,
        flags,
        acl_categories,
        keys,
        "bitmap",
        summary,
        since,
        complexity,
        handler,
    )
}

/// Rows of the bitmap family, as `COMMAND INFO` / `COMMAND DOCS` of Redis
/// 7.0.15 report them.
#[rustfmt::skip]
pub(crate) const COMMANDS: &[CommandSpec] = &[
    row("setbit", 4, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "O(1)",
        setbit),
    row("getbit", 3, READONLY_FAST, READ_FAST, KeySpec::ONE,
        "Returns the bit value at offset in the string value stored at key", "2.2.0", "O(1)",
        getbit),
    row("bitcount", -2, Flags::READONLY, READ_SLOW, KeySpec::ONE,
        "Count set bits in a string", "2.6.0", "O(N)", bitcount),
    row("bitpos", -3, Flags::READONLY, READ_SLOW, KeySpec::ONE,
        "Find first bit set or clear in a string", "2.8.7", "O(N)", bitpos),
    row("bitop", -4, WRITE_DENYOOM, WRITE_SLOW, BITOP_KEYS,
        "Perform bitwise operations between strings", "2.6.0", "O(N)", bitop),
    row("bitfield", -2, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Perform arbitrary bitfield integer operations on strings", "3.2.0",
        BITFIELD_COMPLEXITY, bitfield),
    row("bitfield_ro", -2, READONLY_FAST, READ_FAST, KeySpec::ONE,
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of \
         BITFIELD", "6.0.0", BITFIELD_COMPLEXITY, bitfield_ro),
];

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// Redis's `getBitOffsetFromArgument`: a strict non-negative integer whose
/// byte index is below proto-max-bulk-len (2^32 bits by default). With
/// `hash`, `#n` means `n * bits` (multiplied with C's wrap-around).
fn bit_offset(arg: &[u8], max_bytes: u64, hash: bool, bits: u32) -> Result<u64, CommandError> {
    let (use_hash, digits) = match arg.split_first() {
        Some((b'#', rest)) if hash => (true, rest),
        _ => (false, arg),
    };
    let mut offset = parse_i64_strict(digits).ok_or(CommandError::BitOffset)?;
    if use_hash {
        offset = offset.wrapping_mul(i64::from(bits));
    }
    if offset < 0 || (offset >> 3) as u64 >= max_bytes {
        return Err(CommandError::BitOffset);
    }
    Ok(offset as u64)
}

/// A strict integer argument (`getLongLongFromObjectOrReply`).
fn integer_arg(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64_strict(arg).ok_or(CommandError::NotInteger)
}

/// Redis's `lookupStringForBitCommand` followed by the operation: the
/// string (created, or converted to the raw encoding) is zero-extended to
/// hold bit `max_bit`, then `operate` runs on its bytes. The flag passed to
/// `operate` says the key was created or lengthened — Redis then counts a
/// change even when no bit flips.
fn with_bitmap<R>(
    node: &mut Node,
    db: usize,
    key: &[u8],
    max_bit: u64,
    now_ms: i64,
    operate: impl FnOnce(&mut [u8], bool) -> R,
) -> Result<R, CommandError> {
    let needed = (max_bit >> 3) as usize + 1;
    let keyspace_db = node.keyspace.db_mut(db);
    match keyspace_db.lookup(key, now_ms) {
        Some(value) => {
            let bytes = string_of(value).ok_or(CommandError::WrongType)?.make_raw();
            let grown = bytes.len() < needed;
            if grown {
                bytes.resize(needed, 0);
            }
            Ok(operate(bytes, grown))
        }
        None => {
            let mut bytes = vec![0u8; needed];
            let result = operate(&mut bytes, true);
            keyspace_db.set(key, raw_string(bytes), false, now_ms);
            Ok(result)
        }
    }
}

/// Parses the optional `BYTE|BIT` unit argument.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CommandError> {
    if keyword_is(arg, "bit") {
        Ok(true)
    } else if keyword_is(arg, "byte") {
        Ok(false)
    } else {
        Err(CommandError::Syntax)
    }
}

/// Number of set bits.
fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut count: u64 = chunks
        .by_ref()
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from(u64::from_le_bytes(word).count_ones())
        })
        .sum();
    count += chunks
        .remainder()
        .iter()
        .map(|byte| u64::from(byte.count_ones()))
        .sum::<u64>();
    count
}

/// The bits of byte `index` that lie within bits `first..=last` of the string.
fn range_mask(index: u64, first: u64, last: u64) -> u8 {
    let mut mask = 0xffu8;
    if index == first >> 3 {
        mask &= 0xff >> (first & 7);
    }
    if index == last >> 3 {
        mask &= 0xffu8 << (7 - (last & 7));
    }
    mask
}

/// Set bits within bits `first..=last` (callers clamp to the string).
fn count_bits(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (first_byte, last_byte) = (first >> 3, last >> 3);
    let Some(span) = bytes.get(first_byte as usize..=last_byte as usize) else {
        return 0;
    };
    let mut count = popcount(span);
    let edges = if first_byte == last_byte {
        vec![first_byte]
    } else {
        vec![first_byte, last_byte]
    };
    for index in edges {
        let byte = span[(index - first_byte) as usize];
        count -= u64::from((byte & !range_mask(index, first, last)).count_ones());
    }
    count
}

/// Position of the first bit equal to `target` within bits `first..=last`.
fn find_bit(bytes: &[u8], first: u64, last: u64, target: bool) -> Option<u64> {
    for index in first >> 3..=last >> 3 {
        let byte = *bytes.get(index as usize)?;
        let candidates = if target { byte } else { !byte } & range_mask(index, first, last);
        if candidates != 0 {
            return Some(index * 8 + u64::from(candidates.leading_zeros()));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// SETBIT GETBIT
// ---------------------------------------------------------------------------

/// SETBIT key offset value: the previous bit. Order: offset, bit value, type.
fn setbit(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = ctx.args;
    let offset = bit_offset(&args[2], ctx.max_string_len(), false, 0)?;
    let on = parse_i64_strict(&args[3]).ok_or(CommandError::BitValue)?;
    if on & !1 != 0 {
        return Err(CommandError::BitValue);
    }
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let created = creates_key(ctx, &args[1]);
    let node = &mut *ctx.node;
    let (previous, changed) = with_bitmap(node, db, &args[1], offset, now_ms, |bytes, grown| {
        let shift = 7 - (offset & 7);
        let Some(byte) = bytes.get_mut((offset >> 3) as usize) else {
            return (0, false);
        };
        let previous = i64::from((*byte >> shift) & 1);
        *byte = (*byte & !(1 << shift)) | ((on as u8) << shift);
        (previous, grown || previous != on)
    })?;
    if created {
        ctx.notify(notify::NEW, "new", &args[1]);
    }
    if changed {
        ctx.node.dirty += 1;
        ctx.notify(notify::STRING, "setbit", &args[1]);
    }
    ctx.out.integer(previous);
    Ok(())
}

/// GETBIT key offset: 0 past the end or for a missing key.
fn getbit(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = ctx.args;
    let offset = bit_offset(&args[2], ctx.max_string_len(), false, 0)?;
    let bit = match read_string(ctx.node, ctx.client.db, &args[1], ctx.now_ms)? {
        Some(value) => value
            .as_bytes()
            .get((offset >> 3) as usize)
            .map_or(0, |byte| (byte >> (7 - (offset & 7))) & 1),
        None => 0,
    };
    ctx.out.integer(i64::from(bit));
    Ok(())
}

// ---------------------------------------------------------------------------
// BITCOUNT BITPOS
// ---------------------------------------------------------------------------

/// BITCOUNT key [start end [BYTE|BIT]]. A missing key is 0 whatever the
/// arguments (the lookup comes first in 7.0); a lone `start` is a syntax
/// error.
fn bitcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = ctx.args;
    let Some(value) = read_string(ctx.node, ctx.client.db, &args[1], ctx.now_ms)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let bytes = value.as_bytes();
    let length = bytes.len() as i64;
    let count = match args.len() {
        2 => popcount(&bytes),
        4 | 5 => {
            let mut start = integer_arg(&args[2])?;
            let mut end = integer_arg(&args[3])?;
            let is_bit = args.len() == 5 && unit_is_bit(&args[4])?;
            let total = if is_bit { length << 3 } else { length };
            if start < 0 && end < 0 && start > end {
                0
            } else {
                if start < 0 {
                    start += total;
                }
                if end < 0 {
                    end += total;
                }
                start = start.max(0);
                end = end.max(0).min(total - 1);
                if start > end {
                    0
                } else if is_bit {
                    count_bits(&bytes, start as u64, end as u64)
                } else {
                    popcount(&bytes[start as usize..=end as usize])
                }
            }
        }
        _ => return Err(CommandError::Syntax),
    };
    ctx.out.integer(count as i64);
    Ok(())
}

/// BITPOS key bit [start [end [BYTE|BIT]]]. A missing key is all zeros
/// (0 for a clear bit, -1 for a set bit). Looking for a clear bit without
/// an explicit end treats the string as zero-padded on the right.
fn bitpos(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = ctx.args;
    let bit = integer_arg(&args[2])?;
    if bit != 0 && bit != 1 {
        return Err(CommandError::err("The bit argument must be 1 or 0."));
    }
    let Some(value) = read_string(ctx.node, ctx.client.db, &args[1], ctx.now_ms)? else {
        ctx.out.integer(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let bytes = value.as_bytes();
    let length = bytes.len() as i64;
    let (start, end, is_bit, end_given) = match args.len() {
        3 => (0, length - 1, false, false),
        4..=6 => {
            let mut start = integer_arg(&args[3])?;
            // The unit is checked before the end is parsed, as in Redis.
            let is_bit = args.len() == 6 && unit_is_bit(&args[5])?;
            let end_given = args.len() >= 5;
            let mut end = if end_given {
                integer_arg(&args[4])?
            } else if is_bit {
                (length << 3) + 7
            } else {
                length - 1
            };
            let total = if is_bit { length << 3 } else { length };
            if start < 0 {
                start += total;
            }
            if end < 0 {
                end += total;
            }
            (start.max(0), end.max(0).min(total - 1), is_bit, end_given)
        }
        _ => return Err(CommandError::Syntax),
    };
    let position = if start > end {
        -1
    } else {
        let (first, last) = if is_bit {
            (start as u64, end as u64)
        } else {
            (start as u64 * 8, end as u64 * 8 + 7)
        };
        match find_bit(&bytes, first, last, bit == 1) {
            Some(position) => position as i64,
            None if bit == 1 || end_given => -1,
            // No clear bit up to the end of the string: the first padding bit.
            None => (end + 1) * 8,
        }
    };
    ctx.out.integer(position);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: missing sources are empty
/// strings, shorter ones are zero-padded; the result (raw encoding, no TTL)
/// replaces the destination whatever its type, and an empty result deletes
/// it. Replies with the result length.
fn bitop(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = ctx.args;
    let name = c_str(&args[1]);
    let op = if name.eq_ignore_ascii_case(b"and") {
        BitOp::And
    } else if name.eq_ignore_ascii_case(b"or") {
        BitOp::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        BitOp::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        BitOp::Not
    } else {
        return Err(CommandError::Syntax);
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(CommandError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    let mut result: Vec<u8> = Vec::new();
    for (position, key) in args[3..].iter().enumerate() {
        let source = match read_string(node, db, key, now_ms)? {
            Some(value) => value.as_bytes(),
            None => Cow::Borrowed(&[][..]),
        };
        if position == 0 {
            result = source.into_owned();
            continue;
        }
        if source.len() > result.len() {
            result.resize(source.len(), 0);
        }
        match op {
            BitOp::And => {
                for (index, byte) in result.iter_mut().enumerate() {
                    *byte &= source.get(index).copied().unwrap_or(0);
                }
            }
            BitOp::Or => result
                .iter_mut()
                .zip(source.iter())
                .for_each(|(byte, other)| *byte |= other),
            BitOp::Xor => result
                .iter_mut()
                .zip(source.iter())
                .for_each(|(byte, other)| *byte ^= other),
            BitOp::Not => {}
        }
    }
    if op == BitOp::Not {
        result.iter_mut().for_each(|byte| *byte = !*byte);
    }
    let length = result.len();
    let keyspace_db = node.keyspace.db_mut(db);
    if length > 0 {
        let created = keyspace_db.set(&args[2], raw_string(result), false, now_ms);
        node.dirty += 1;
        crate::commands::string::notify_set(ctx, &args[2], created);
    } else if keyspace_db.remove(&args[2], now_ms).is_some() {
        node.dirty += 1;
        ctx.notify(notify::GENERIC, "del", &args[2]);
    }
    ctx.out.integer(length as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITFIELD BITFIELD_RO
// ---------------------------------------------------------------------------

/// What happens when INCRBY or SET leaves the field's range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOpcode {
    Get,
    Set,
    IncrBy,
}

/// One parsed BITFIELD operation.
#[derive(Clone, Copy)]
struct FieldOp {
    opcode: FieldOpcode,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`
/// (lower-case letter; the width is read as a C string).
fn bitfield_type(arg: &[u8]) -> Result<(bool, u32), CommandError> {
    let invalid = || {
        CommandError::err(
            "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported \
             but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(invalid()),
    };
    let bits = parse_i64_strict(c_str(&arg[1..])).ok_or_else(invalid)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(invalid());
    }
    Ok((signed, bits as u32))
}

/// Reads an unsigned field; bits past the end of `bytes` read as zero.
fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + u64::from(bits)).fold(0u64, |value, position| {
        let byte = bytes.get((position >> 3) as usize).copied().unwrap_or(0);
        value << 1 | u64::from((byte >> (7 - (position & 7))) & 1)
    })
}

/// Reads a two's-complement field, sign-extended.
fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let value = get_unsigned(bytes, offset, bits);
    if bits < 64 && value & (1 << (bits - 1)) != 0 {
        (value | (u64::MAX << bits)) as i64
    } else {
        value as i64
    }
}

/// Writes the low `bits` bits of `value` (callers grew `bytes` to fit).
fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for index in 0..u64::from(bits) {
        let bit = ((value >> (u64::from(bits) - 1 - index)) & 1) as u8;
        let position = offset + index;
        if let Some(byte) = bytes.get_mut((position >> 3) as usize) {
            let shift = 7 - (position & 7);
            *byte = (*byte & !(1 << shift)) | (bit << shift);
        }
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: `Some(new value)` on overflow
/// (wrapped or saturated; meaningless for FAIL), `None` when in range.
fn unsigned_overflow(value: u64, increment: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_increment = max.wrapping_sub(value) as i64;
    let min_increment = value.wrapping_neg() as i64;
    let wrapped = || {
        let mask = if bits == 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(increment as u64) & !mask
    };
    if value > max || (increment > 0 && increment > max_increment) {
        Some(match overflow {
            Overflow::Wrap => wrapped(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        })
    } else if increment < 0 && increment < min_increment {
        Some(match overflow {
            Overflow::Wrap => wrapped(),
            Overflow::Sat | Overflow::Fail => 0,
        })
    } else {
        None
    }
}

/// Redis's `checkSignedBitfieldOverflow`, same contract as `unsigned_overflow`.
fn signed_overflow(value: i64, increment: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_increment = (max as u64).wrapping_sub(value as u64) as i64;
    let min_increment = min.wrapping_sub(value);
    let wrapped = || {
        let mut sum = (value as u64).wrapping_add(increment as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if sum & (1 << (bits - 1)) != 0 {
                sum |= mask;
            } else {
                sum &= !mask;
            }
        }
        sum as i64
    };
    if value > max
        || (bits != 64 && increment > max_increment)
        || (value >= 0 && increment > 0 && increment > max_increment)
    {
        Some(match overflow {
            Overflow::Wrap => wrapped(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        })
    } else if value < min
        || (bits != 64 && increment < min_increment)
        || (value < 0 && increment < 0 && increment < min_increment)
    {
        Some(match overflow {
            Overflow::Wrap => wrapped(),
            Overflow::Sat => min,
            Overflow::Fail => 0,
        })
    } else {
        None
    }
}

/// Parses BITFIELD's operations (Redis's `bitfieldGeneric` first loop).
fn parse_bitfield(args: &[bytes::Bytes], max_bytes: u64) -> Result<Vec<FieldOp>, CommandError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut index = 2;
    while index < args.len() {
        let remaining = args.len() - index - 1;
        let subcommand = &args[index];
        let opcode = if keyword_is(subcommand, "get") && remaining >= 2 {
            FieldOpcode::Get
        } else if keyword_is(subcommand, "set") && remaining >= 3 {
            FieldOpcode::Set
        } else if keyword_is(subcommand, "incrby") && remaining >= 3 {
            FieldOpcode::IncrBy
        } else if keyword_is(subcommand, "overflow") && remaining >= 1 {
            let mode = &args[index + 1];
            overflow = if keyword_is(mode, "wrap") {
                Overflow::Wrap
            } else if keyword_is(mode, "sat") {
                Overflow::Sat
            } else if keyword_is(mode, "fail") {
                Overflow::Fail
            } else {
                return Err(CommandError::err("Invalid OVERFLOW type specified"));
            };
            index += 2;
            continue;
        } else {
            return Err(CommandError::Syntax);
        };
        let (signed, bits) = bitfield_type(&args[index + 1])?;
        let offset = bit_offset(&args[index + 2], max_bytes, true, bits)?;
        let value = if opcode == FieldOpcode::Get {
            0
        } else {
            integer_arg(&args[index + 3])?
        };
        ops.push(FieldOp {
            opcode,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        index += if opcode == FieldOpcode::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// Replies to a GET operation.
fn reply_get(out: &mut shoal_resp::ReplyWriter, bytes: &[u8], op: &FieldOp) {
    if op.signed {
        out.integer(get_signed(bytes, op.offset, op.bits));
    } else {
        out.integer(get_unsigned(bytes, op.offset, op.bits) as i64);
    }
}

/// Runs a SET or INCRBY operation; returns true when it changed the value.
/// FAIL on overflow replies nil and writes nothing.
fn apply_write(out: &mut shoal_resp::ReplyWriter, bytes: &mut [u8], op: &FieldOp) -> Option<bool> {
    let (old, new, reply, overflowed) = if op.signed {
        let old = get_signed(bytes, op.offset, op.bits);
        let (new, reply, overflowed) = if op.opcode == FieldOpcode::IncrBy {
            let limit = signed_overflow(old, op.value, op.bits, op.overflow);
            let new = limit.unwrap_or(old.wrapping_add(op.value));
            (new, new, limit.is_some())
        } else {
            let limit = signed_overflow(op.value, 0, op.bits, op.overflow);
            (limit.unwrap_or(op.value), old, limit.is_some())
        };
        (old as u64, new as u64, reply, overflowed)
    } else {
        let old = get_unsigned(bytes, op.offset, op.bits);
        let (new, reply, overflowed) = if op.opcode == FieldOpcode::IncrBy {
            let limit = unsigned_overflow(old, op.value, op.bits, op.overflow);
            let new = limit.unwrap_or(old.wrapping_add(op.value as u64));
            (new, new as i64, limit.is_some())
        } else {
            let limit = unsigned_overflow(op.value as u64, 0, op.bits, op.overflow);
            (
                limit.unwrap_or(op.value as u64),
                old as i64,
                limit.is_some(),
            )
        };
        (old, new, reply, overflowed)
    };
    if overflowed && op.overflow == Overflow::Fail {
        out.null();
        return None;
    }
    out.integer(reply);
    set_field(bytes, op.offset, op.bits, new);
    Some(old != new)
}

/// Redis's `bitfieldGeneric`. Only GETs: a read lookup (a missing key reads
/// as zeros and is not created). Any SET/INCRBY: the string is created or
/// grown to the highest written bit first; each non-failing write counts a
/// change when the field changed or the string was created or grown.
fn bitfield_generic(ctx: &mut Ctx<'_>, read_only_command: bool) -> CommandResult {
    let args = ctx.args;
    let ops = parse_bitfield(args, ctx.max_string_len())?;
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    let out = &mut *ctx.out;
    let highest_write_bit = ops
        .iter()
        .filter(|op| op.opcode != FieldOpcode::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let Some(highest_write_bit) = highest_write_bit else {
        let value = read_string(node, db, &args[1], now_ms)?;
        let bytes = value.map_or(Cow::Borrowed(&[][..]), |string| string.as_bytes());
        out.array(ops.len());
        for op in &ops {
            reply_get(out, &bytes, op);
        }
        return Ok(());
    };
    if read_only_command {
        return Err(CommandError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let created = creates_key(ctx, &args[1]);
    let node = &mut *ctx.node;
    let out = &mut *ctx.out;
    let changes = with_bitmap(
        node,
        db,
        &args[1],
        highest_write_bit,
        now_ms,
        |bytes, grown| {
            out.array(ops.len());
            let mut changes = 0u64;
            for op in &ops {
                if op.opcode == FieldOpcode::Get {
                    reply_get(out, bytes, op);
                } else if let Some(changed) = apply_write(out, bytes, op) {
                    if grown || changed {
                        changes += 1;
                    }
                }
            }
            changes
        },
    )?;
    if created {
        ctx.notify(notify::NEW, "new", &args[1]);
    }
    if changes > 0 {
        ctx.node.dirty += changes;
        ctx.notify(notify::STRING, "setbit", &args[1]);
    }
    Ok(())
}

/// True when a bit write will create `key` (Redis's dbAdd in
/// `lookupStringForBitCommand`, which publishes `new`). Only looked up
/// while `new` events are on.
fn creates_key(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    if ctx.node.limits.keyspace_events & notify::NEW == 0 {
        return false;
    }
    let now_ms = ctx.now_ms;
    ctx.db().lookup_no_touch(key, now_ms).is_none()
}

/// BITFIELD key [GET type offset] [SET type offset value]
/// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
fn bitfield(ctx: &mut Ctx<'_>) -> CommandResult {
    bitfield_generic(ctx, false)
}

/// BITFIELD_RO key [GET type offset] ...
fn bitfield_ro(ctx: &mut Ctx<'_>) -> CommandResult {
    bitfield_generic(ctx, true)
}

#[cfg(test)]
mod tests {
    use shoal_resp::Frame;

    use crate::testing::{
        assert_rows_match, bulk, error, key_indexes, simple, CommandInfoRow, TestNode,
    };

    fn int(value: i64) -> Frame {
        Frame::Integer(value)
    }

    fn ints(values: &[i64]) -> Frame {
        Frame::Array(values.iter().map(|&value| Frame::Integer(value)).collect())
    }

    fn dirty(node: &TestNode) -> u64 {
        node.engine.node.dirty
    }

    fn hits_misses(node: &TestNode) -> (u64, u64) {
        (
            node.engine.node.stats.keyspace_hits,
            node.engine.node.stats.keyspace_misses,
        )
    }

    fn set_raw(node: &mut TestNode, key: &str, value: &[u8]) {
        assert_eq!(
            node.run_args(&[b"SET", key.as_bytes(), value]),
            simple("OK")
        );
    }

    const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
    const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 \
                            is not supported but i64 is.";

    #[test]
    fn rows_match_redis_command_info() {
        let expected: &[CommandInfoRow] = &[
            (
                "setbit",
                4,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "bitmap", "slow"],
            ),
            (
                "getbit",
                3,
                &["readonly", "fast"],
                (1, 1, 1),
                &["read", "bitmap", "fast"],
            ),
            (
                "bitcount",
                -2,
                &["readonly"],
                (1, 1, 1),
                &["read", "bitmap", "slow"],
            ),
            (
                "bitpos",
                -3,
                &["readonly"],
                (1, 1, 1),
                &["read", "bitmap", "slow"],
            ),
            (
                "bitop",
                -4,
                &["write", "denyoom"],
                (2, -1, 1),
                &["write", "bitmap", "slow"],
            ),
            (
                "bitfield",
                -2,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "bitmap", "slow"],
            ),
            (
                "bitfield_ro",
                -2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["read", "bitmap", "fast"],
            ),
        ];
        assert_rows_match(super::COMMANDS, expected, Some("bitmap"));
        let bitop_keys = key_indexes(super::COMMANDS, &["bitop", "and", "d", "a", "b"]);
        assert_eq!(bitop_keys, Some(vec![2, 3, 4]));
    }

    #[test]
    fn setbit_and_getbit() {
        let mut node = TestNode::new();
        assert_eq!(node.run("SETBIT b 7 1"), int(0));
        assert_eq!(node.run("SETBIT b 7 1"), int(1));
        assert_eq!(node.run("SETBIT b 7 0"), int(1));
        assert_eq!(node.run("GET b"), Frame::Bulk(vec![0]));
        assert_eq!(node.run("OBJECT ENCODING b"), bulk("raw"));
        assert_eq!(node.run("SETBIT b -1 1"), error(BAD_OFFSET));
        assert_eq!(node.run("SETBIT b 4294967296 1"), error(BAD_OFFSET));
        assert_eq!(node.run("SETBIT b a 1"), error(BAD_OFFSET));
        assert_eq!(node.run("SETBIT b #1 1"), error(BAD_OFFSET));
        for bad in ["2", "-1", "a", "01"] {
            assert_eq!(
                node.run(&format!("SETBIT b 1 {bad}")),
                error("ERR bit is not an integer or out of range"),
                "{bad}"
            );
        }
        // The offset is checked before the bit value.
        assert_eq!(node.run("SETBIT b x 5"), error(BAD_OFFSET));
        assert_eq!(node.run("GETBIT b 7"), int(0));
        assert_eq!(node.run("GETBIT b 100000000000"), error(BAD_OFFSET));
        assert_eq!(node.run("GETBIT b -1"), error(BAD_OFFSET));
        assert_eq!(node.run("GETBIT missing 10"), int(0));
        node.run("SET i 12");
        assert_eq!(node.run("GETBIT i 2"), int(1));
        assert_eq!(node.run("GETBIT i 3"), int(1));
        assert_eq!(node.run("GETBIT i 100"), int(0));
        assert_eq!(node.run("SETBIT i 0 1"), int(0));
        assert_eq!(node.run("GET i"), Frame::Bulk(b"\xb12".to_vec()));
        node.run("SET n 6");
        assert_eq!(node.run("SETBIT n 0 0"), int(0));
        assert_eq!(node.run("OBJECT ENCODING n"), bulk("raw"));
        assert_eq!(node.run("GET n"), bulk("6"));
        node.run("EXPIRE n 100");
        node.run("SETBIT n 20 1");
        assert_eq!(node.run("TTL n"), int(100));
        assert_eq!(node.run("STRLEN n"), int(3));
        assert_eq!(
            node.run("SETBIT b 1"),
            error("ERR wrong number of arguments for 'setbit' command")
        );
    }

    #[test]
    fn bit_offsets_are_capped_by_proto_max_bulk_len() {
        let mut node = TestNode::new();
        node.engine.node.limits.proto_max_bulk_len_bytes = 4;
        assert_eq!(node.run("SETBIT b 31 1"), int(0));
        assert_eq!(node.run("STRLEN b"), int(4));
        assert_eq!(node.run("SETBIT b 32 1"), error(BAD_OFFSET));
        assert_eq!(node.run("GETBIT b 32"), error(BAD_OFFSET));
        assert_eq!(node.run("BITFIELD b GET u8 #3"), ints(&[1]));
        assert_eq!(node.run("BITFIELD b GET u8 #4"), error(BAD_OFFSET));
    }

    #[test]
    fn setbit_dirty_counts_real_changes() {
        let mut node = TestNode::new();
        let start = dirty(&node);
        node.run("SETBIT b 1 1");
        assert_eq!(dirty(&node), start + 1);
        node.run("SETBIT b 1 1");
        assert_eq!(dirty(&node), start + 1);
        // Growing the string is a change even when the bit stays 0.
        node.run("SETBIT b 100 0");
        assert_eq!(dirty(&node), start + 2);
        let before = hits_misses(&node);
        node.run("GETBIT b 1");
        node.run("GETBIT nope 1");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
    }

    #[test]
    fn bitcount_ranges() {
        let mut node = TestNode::new();
        assert_eq!(node.run("BITCOUNT missing 0"), int(0));
        assert_eq!(node.run("BITCOUNT missing 0 1 foo"), int(0));
        assert_eq!(node.run("BITCOUNT missing a b"), int(0));
        node.run("SET s foobar");
        let cases = [
            ("", 26),
            (" 0 0", 4),
            (" 1 1", 6),
            (" 1 1 byte", 6),
            (" 5 30 bit", 17),
            (" 5 30 BIT", 17),
            (" 0 -1 bit", 26),
            (" -5 -1 bit", 2),
            (" -1 -5", 0),
            (" -1 -5 bit", 0),
            (" 100 200", 0),
            (" -100 -90", 4),
            (" -100 -1", 26),
        ];
        for (range, expected) in cases {
            assert_eq!(
                node.run(&format!("BITCOUNT s{range}")),
                int(expected),
                "{range}"
            );
        }
        assert_eq!(node.run("BITCOUNT s 0"), error("ERR syntax error"));
        assert_eq!(
            node.run("BITCOUNT s a 1"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("BITCOUNT s 0 x foo"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(node.run("BITCOUNT s 0 1 foo"), error("ERR syntax error"));
        assert_eq!(
            node.run("BITCOUNT s 0 1 bit extra"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run_args(&[b"BITCOUNT", b"s", b"0", b"-1", b"bit\x00x"]),
            int(26)
        );
        set_raw(&mut node, "ff", b"\xff\xf0\x00");
        for (range, expected) in [
            ("9 12", 3),
            ("0 0", 1),
            ("7 8", 2),
            ("4 11", 8),
            ("10 10", 1),
        ] {
            assert_eq!(
                node.run(&format!("BITCOUNT ff {range} bit")),
                int(expected),
                "{range}"
            );
        }
        node.run("SET e \"\"");
        assert_eq!(node.run("BITCOUNT e"), int(0));
        assert_eq!(node.run("BITCOUNT e 0 -1"), int(0));
        assert_eq!(node.run("BITCOUNT e 0 -1 bit"), int(0));
        node.run("SET i 12");
        assert_eq!(node.run("BITCOUNT i"), int(6));
        let long: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        set_raw(&mut node, "long", &long);
        let expected: u32 = long.iter().map(|byte| byte.count_ones()).sum();
        assert_eq!(node.run("BITCOUNT long"), int(i64::from(expected)));
        assert_eq!(
            node.run("BITCOUNT"),
            error("ERR wrong number of arguments for 'bitcount' command")
        );
    }

    #[test]
    fn bitpos_ranges() {
        let mut node = TestNode::new();
        assert_eq!(node.run("BITPOS missing 1"), int(-1));
        assert_eq!(node.run("BITPOS missing 0"), int(0));
        assert_eq!(node.run("BITPOS missing 1 a"), int(-1));
        assert_eq!(
            node.run("BITPOS missing 2"),
            error("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(
            node.run("BITPOS missing x"),
            error("ERR value is not an integer or out of range")
        );
        node.run("SET e \"\"");
        assert_eq!(node.run("BITPOS e 0"), int(-1));
        assert_eq!(node.run("BITPOS e 1"), int(-1));
        set_raw(&mut node, "ff", b"\xff\xf0\x00");
        let cases = [
            ("0", 12),
            ("1", 0),
            ("1 2", -1),
            ("0 0 0", -1),
            ("0 0 1", 12),
            ("1 -1", -1),
            ("0 3", -1),
            ("0 1", 12),
            ("0 0 1 bit", -1),
            ("0 5 13 bit", 12),
            ("1 13 20 bit", -1),
            ("0 -3 -1 bit", 21),
            ("1 -100 -1 bit", 0),
            ("0 12 23 bit", 12),
            ("1 12 23 bit", -1),
            ("1 -1 -5", -1),
            ("1 -1 -5 bit", -1),
        ];
        for (query, expected) in cases {
            assert_eq!(
                node.run(&format!("BITPOS ff {query}")),
                int(expected),
                "{query}"
            );
        }
        set_raw(&mut node, "ones", b"\xff\xff");
        let cases = [
            ("0", 16),
            ("0 0", 16),
            ("0 1", 16),
            ("0 0 -1", -1),
            ("0 0 15 bit", -1),
            ("0 0 100 bit", -1),
            ("0 3 5 bit", -1),
            ("1 3 5 bit", 3),
            ("1 3 5 byte", -1),
            ("1 5 3 bit", -1),
            ("0 2", -1),
            ("0 -1", 16),
            ("0 -100", 16),
        ];
        for (query, expected) in cases {
            assert_eq!(
                node.run(&format!("BITPOS ones {query}")),
                int(expected),
                "{query}"
            );
        }
        set_raw(&mut node, "zero", b"\x00\x00\x00");
        assert_eq!(node.run("BITPOS zero 1"), int(-1));
        assert_eq!(node.run("BITPOS zero 0"), int(0));
        assert_eq!(node.run("BITPOS zero 1 0 -1 bit"), int(-1));
        assert_eq!(node.run("BITPOS zero 0 9 -1 bit"), int(9));
        node.run("SET i 12");
        assert_eq!(node.run("BITPOS i 1"), int(2));
        assert_eq!(node.run("BITPOS i 0"), int(0));
        // Error order: start, then the unit, then end.
        assert_eq!(node.run("BITPOS ones 1 0 1 foo"), error("ERR syntax error"));
        assert_eq!(node.run("BITPOS ones 1 0 x foo"), error("ERR syntax error"));
        assert_eq!(
            node.run("BITPOS ones 1 x 0 foo"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("BITPOS ones 1 a"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("BITPOS ones 1 0 a"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("BITPOS ones 1 0 1 bit x"),
            error("ERR syntax error")
        );
    }

    #[test]
    fn bitop_operations() {
        let mut node = TestNode::new();
        set_raw(&mut node, "a", b"\xff\x0f");
        set_raw(&mut node, "b", b"\x0f");
        let cases: [(&str, &[u8]); 4] = [
            ("AND dest a b", b"\x0f\x00"),
            ("or dest a b", b"\xff\x0f"),
            ("XoR dest a b", b"\xf0\x0f"),
            ("NOT dest a", b"\x00\xf0"),
        ];
        for (command, expected) in cases {
            assert_eq!(node.run(&format!("BITOP {command}")), int(2), "{command}");
            assert_eq!(
                node.run("GET dest"),
                Frame::Bulk(expected.to_vec()),
                "{command}"
            );
        }
        assert_eq!(node.run("OBJECT ENCODING dest"), bulk("raw"));
        assert_eq!(
            node.run("BITOP NOT dest a b"),
            error("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(node.run("BITOP nand dest a b"), error("ERR syntax error"));
        assert_eq!(
            node.run("BITOP not dest"),
            error("ERR wrong number of arguments for 'bitop' command")
        );
        assert_eq!(node.run("BITOP AND dest a missing"), int(2));
        assert_eq!(node.run("GET dest"), Frame::Bulk(b"\x00\x00".to_vec()));
        assert_eq!(node.run("BITOP and dest missing a"), int(2));
        assert_eq!(node.run("GET dest"), Frame::Bulk(b"\x00\x00".to_vec()));
        assert_eq!(node.run("BITOP or dest missing a"), int(2));
        assert_eq!(node.run("GET dest"), Frame::Bulk(b"\xff\x0f".to_vec()));
        node.run("EXPIRE dest 100");
        assert_eq!(node.run("BITOP or dest a"), int(2));
        assert_eq!(node.run("TTL dest"), int(-1));
        node.run("SET i 12");
        assert_eq!(node.run("BITOP not dest i"), int(2));
        assert_eq!(node.run("GET dest"), Frame::Bulk(b"\xce\xcd".to_vec()));
        // An empty result deletes the destination (a change only if it existed).
        let before = dirty(&node);
        node.run("SET e \"\"");
        assert_eq!(node.run("BITOP or dest e"), int(0));
        assert_eq!(node.run("EXISTS dest"), int(0));
        assert_eq!(node.run("BITOP and dest missing1 missing2"), int(0));
        assert_eq!(dirty(&node), before + 2);
        let lookups = hits_misses(&node);
        node.run("BITOP or dest a nope");
        assert_eq!(hits_misses(&node), (lookups.0 + 1, lookups.1 + 1));
        assert_eq!(node.run_args(&[b"BITOP", b"and\x00x", b"d", b"a"]), int(2));
    }

    #[test]
    fn bitfield_basic_operations() {
        let mut node = TestNode::new();
        assert_eq!(node.run("BITFIELD bf GET u8 0"), ints(&[0]));
        assert_eq!(node.run("EXISTS bf"), int(0));
        assert_eq!(
            node.run("BITFIELD bf SET u8 0 255 GET u8 0"),
            ints(&[0, 255])
        );
        assert_eq!(node.run("BITFIELD bf INCRBY u8 0 10"), ints(&[9]));
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY u8 0 300"),
            ints(&[255])
        );
        assert_eq!(
            node.run("BITFIELD bf overflow fail incrby u8 0 1"),
            Frame::Array(vec![Frame::Null])
        );
        assert_eq!(
            node.run("BITFIELD bf overflow wrap incrby u8 0 1"),
            ints(&[0])
        );
        assert_eq!(node.run("BITFIELD bf SET i8 0 -1"), ints(&[0]));
        assert_eq!(
            node.run("BITFIELD bf GET i8 0 GET u4 0 GET i4 4"),
            ints(&[-1, 15, -1])
        );
        assert_eq!(
            node.run("BITFIELD bf SET u8 #1 200 GET u8 8"),
            ints(&[0, 200])
        );
        assert_eq!(
            node.run("BITFIELD bf GET u63 0"),
            ints(&[9_215_490_737_506_877_440])
        );
        assert_eq!(
            node.run("BITFIELD bf GET i64 0"),
            ints(&[-15_762_598_695_796_736])
        );
        assert_eq!(node.run("BITFIELD bf GET i8 4294967295"), ints(&[0]));
        assert_eq!(node.run("BITFIELD bf"), Frame::Array(vec![]));
        assert_eq!(node.run("BITFIELD missing"), Frame::Array(vec![]));
        assert_eq!(
            node.run("BITFIELD bf GET u8 0 OVERFLOW SAT INCRBY u8 0 1 Set u8 0 1"),
            ints(&[255, 255, 255])
        );
        node.run("SET i 12");
        assert_eq!(node.run("BITFIELD i GET u8 0"), ints(&[49]));
        assert_eq!(node.run("BITFIELD i SET u8 0 49 GET u8 0"), ints(&[49, 49]));
        assert_eq!(node.run("OBJECT ENCODING i"), bulk("raw"));
    }

    #[test]
    fn bitfield_overflow_rules() {
        // Sequences observed from redis-server 7.0.15.
        let mut node = TestNode::new();
        node.run("BITFIELD bf SET u8 0 255");
        assert_eq!(node.run("BITFIELD bf SET u8 0 -1"), ints(&[255]));
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT SET u8 0 -1"),
            ints(&[255])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW FAIL SET u8 0 -1"),
            Frame::Array(vec![Frame::Null])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT SET i8 0 200"),
            ints(&[-1])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT SET i8 0 -200"),
            ints(&[127])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW WRAP SET i8 0 200"),
            ints(&[-128])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW WRAP SET i8 0 -200"),
            ints(&[-56])
        );
        assert_eq!(node.run("BITFIELD bf GET i8 0"), ints(&[56]));
        node.run("BITFIELD bf SET u8 8 200");
        assert_eq!(
            node.run("BITFIELD bf SET i64 0 -9223372036854775808 INCRBY i64 0 -1"),
            ints(&[4_091_520_261_466_095_616, 9_223_372_036_854_775_807])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY i64 0 -1"),
            ints(&[9_223_372_036_854_775_806])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW FAIL INCRBY i64 0 -1"),
            ints(&[9_223_372_036_854_775_805])
        );
        assert_eq!(
            node.run(
                "BITFIELD bf SET i64 0 9223372036854775807 OVERFLOW SAT INCRBY i64 0 1 \
                 OVERFLOW WRAP INCRBY i64 0 5"
            ),
            ints(&[
                9_223_372_036_854_775_805,
                9_223_372_036_854_775_807,
                -9_223_372_036_854_775_804
            ])
        );
        assert_eq!(
            node.run("BITFIELD bf SET u63 0 9223372036854775807 INCRBY u63 0 1"),
            ints(&[4_611_686_018_427_387_906, 0])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY u63 0 -1 INCRBY u63 0 -9223372036854775808"),
            ints(&[0, 0])
        );
        assert_eq!(
            node.run("BITFIELD bf GET u1 0 GET i1 0 SET i1 0 1 GET i1 0"),
            ints(&[0, 0, 0, -1])
        );
        assert_eq!(
            node.run("BITFIELD bf SET i1 0 -1 INCRBY i1 0 1"),
            ints(&[-1, 0])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY i1 0 5"),
            ints(&[0])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY u2 0 -5"),
            ints(&[0])
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW SAT INCRBY u2 0 7"),
            ints(&[3])
        );
    }

    #[test]
    fn bitfield_errors() {
        let mut node = TestNode::new();
        for bad_type in [
            "u64", "i65", "i0", "x8", "I8", "U8", "\"\"", "i", "i08", "i+8", "u-1",
        ] {
            assert_eq!(
                node.run(&format!("BITFIELD bf GET {bad_type} 0")),
                error(BAD_TYPE),
                "{bad_type}"
            );
        }
        // The width is read as a C string.
        assert_eq!(
            node.run_args(&[b"BITFIELD", b"bf", b"GET", b"i8\x00zz", b"0"]),
            ints(&[0])
        );
        for bad_offset in ["-1", "#-1", "4294967296", "abc", "\"\"", "#", "#536870912"] {
            assert_eq!(
                node.run(&format!("BITFIELD bf GET u8 {bad_offset}")),
                error(BAD_OFFSET),
                "{bad_offset}"
            );
        }
        assert_eq!(node.run("BITFIELD bf GET u8 #536870911"), ints(&[0]));
        // `#n * bits` wraps like C and then fails the range check.
        assert_eq!(
            node.run("BITFIELD bf GET i64 #9223372036854775807"),
            error(BAD_OFFSET)
        );
        assert_eq!(
            node.run("BITFIELD bf GET u2 #9223372036854775807"),
            error(BAD_OFFSET)
        );
        assert_eq!(
            node.run("BITFIELD bf OVERFLOW foo GET i8 0"),
            error("ERR Invalid OVERFLOW type specified")
        );
        for syntax in [
            "BITFIELD bf OVERFLOW",
            "BITFIELD bf GET i8",
            "BITFIELD bf SET i8 0",
            "BITFIELD bf foo",
            "BITFIELD bf GET u8 0 OVERFLOW",
        ] {
            assert_eq!(node.run(syntax), error("ERR syntax error"), "{syntax}");
        }
        assert_eq!(
            node.run("BITFIELD bf SET i8 0 abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(node.run("EXISTS bf"), int(0));
        assert_eq!(
            node.run("BITFIELD"),
            error("ERR wrong number of arguments for 'bitfield' command")
        );
    }

    #[test]
    fn bitfield_ro() {
        let mut node = TestNode::new();
        node.run("BITFIELD bf SET u8 0 255");
        assert_eq!(node.run("BITFIELD_RO bf GET u8 0"), ints(&[255]));
        assert_eq!(
            node.run("BITFIELD_RO bf OVERFLOW SAT GET u8 0"),
            ints(&[255])
        );
        let read_only = error("ERR BITFIELD_RO only supports the GET subcommand");
        assert_eq!(node.run("BITFIELD_RO bf SET u8 0 1"), read_only);
        assert_eq!(node.run("BITFIELD_RO bf INCRBY u8 0 1"), read_only);
        assert_eq!(node.run("BITFIELD_RO bf GET u8 x"), error(BAD_OFFSET));
        assert_eq!(
            node.run("BITFIELD_RO bf SET u8 0"),
            error("ERR syntax error")
        );
        assert_eq!(node.run("BITFIELD_RO nope GET u8 0"), ints(&[0]));
        assert_eq!(node.run("GET bf"), Frame::Bulk(vec![255]));
    }

    #[test]
    fn bitfield_dirty_and_creation() {
        let mut node = TestNode::new();
        let start = dirty(&node);
        assert_eq!(node.run("BITFIELD nb SET u8 0 0 SET u8 0 0"), ints(&[0, 0]));
        assert_eq!(dirty(&node), start + 2);
        assert_eq!(node.run("BITFIELD nb SET u8 0 0 SET u8 0 0"), ints(&[0, 0]));
        assert_eq!(dirty(&node), start + 2);
        assert_eq!(node.run("BITFIELD nb SET u8 8 0 SET u8 0 0"), ints(&[0, 0]));
        assert_eq!(dirty(&node), start + 4);
        // FAIL creates the key (zero-filled) but counts no change.
        assert_eq!(
            node.run("BITFIELD nb2 OVERFLOW FAIL INCRBY u8 0 300"),
            Frame::Array(vec![Frame::Null])
        );
        assert_eq!(node.run("EXISTS nb2"), int(1));
        assert_eq!(dirty(&node), start + 4);
        assert_eq!(node.run("BITFIELD nb2 INCRBY u8 0 256"), ints(&[0]));
        assert_eq!(dirty(&node), start + 4);
        assert_eq!(node.run("BITFIELD nb3 SET u8 100 1"), ints(&[0]));
        assert_eq!(node.run("STRLEN nb3"), int(14));
        let before = hits_misses(&node);
        node.run("BITFIELD nb3 GET u8 0");
        node.run("BITFIELD_RO missing GET u8 0");
        node.run("BITFIELD nb3 SET u8 0 1");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
    }

    /// Deterministic xorshift stream for argument soups.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn hostile_arguments_never_panic() {
        let mut node = TestNode::new();
        // Offsets stay below 4096 bytes, so no test allocates much.
        node.engine.node.limits.proto_max_bulk_len_bytes = 4096;
        node.run("SET s hello");
        node.run("SET n 42");
        node.run("SET e \"\"");
        let keys: &[&[u8]] = &[b"s", b"n", b"e", b"missing"];
        let tokens: &[&[u8]] = &[
            b"",
            b"0",
            b"1",
            b"-1",
            b"7",
            b"32767",
            b"32768",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"#0",
            b"#-1",
            b"#4095",
            b"#9223372036854775807",
            b"i64",
            b"u63",
            b"u64",
            b"i1",
            b"u1",
            b"i8\x00",
            b"get",
            b"set",
            b"incrby",
            b"overflow",
            b"wrap",
            b"sat",
            b"fail",
            b"bit",
            b"byte",
            b"and",
            b"not",
            b"s",
            b"n",
        ];
        let commands = [
            "SETBIT",
            "GETBIT",
            "BITCOUNT",
            "BITPOS",
            "BITOP",
            "BITFIELD",
            "BITFIELD_RO",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for command in commands {
            for _ in 0..300 {
                let mut args: Vec<&[u8]> = vec![command.as_bytes()];
                args.push(keys[(xorshift(&mut state) % keys.len() as u64) as usize]);
                for _ in 0..xorshift(&mut state) % 9 {
                    args.push(tokens[(xorshift(&mut state) % tokens.len() as u64) as usize]);
                }
                if let Frame::Error(text) = node.run_args(&args) {
                    assert!(
                        text.starts_with("ERR ") || text.starts_with("WRONGTYPE "),
                        "{command}: {text}"
                    );
                }
            }
        }
        for key in keys {
            if let Frame::Integer(length) = node.run_args(&[b"STRLEN", key]) {
                assert!(length <= 4096 + 8, "{length}");
            }
        }
    }
}
