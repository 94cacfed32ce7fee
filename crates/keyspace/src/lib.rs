//! The keyspace: databases made of one hash table per hash slot, values,
//! expiry (lazy and active), SCAN cursors and glob matching.
//!
//! It owns the data of one node and nothing else: no I/O, no clock (time is
//! `now_ms: i64`, Unix milliseconds, passed in), no unseeded randomness (the
//! caller passes its RNG), no knowledge of clients, commands or the cluster.
//!
//! STUB NOTICE: the public API below is the contract the engine is written
//! against; bodies marked `unimplemented!` are being filled in.

pub mod glob;
pub mod slot;

use bytes::Bytes;
use std::borrow::Cow;

pub use slot::{key_hash_slot, SLOT_COUNT};

/// A value stored under a key. Only strings exist today; lists, hashes, sets
/// and sorted sets join as further variants (boxed, so `Value` stays small).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (Redis encodings int, embstr, raw).
    String(StringValue),
}

impl Value {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
        }
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::String(string) => string.encoding_name(),
        }
    }
}

/// A string value, compactly encoded: integers as `i64`, short strings
/// inline, longer ones in one heap allocation.
#[derive(Clone, Debug, PartialEq)]
pub struct StringValue {
    repr: Vec<u8>,
}

impl StringValue {
    /// A value as `SET` stores it: int-encoded when the bytes are a strict
    /// decimal `i64` of at most 20 characters, else embstr (≤ 44 bytes) or raw.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        StringValue { repr: bytes.to_vec() }
    }

    /// An int-encoded value (INCR and friends).
    pub fn from_i64(value: i64) -> Self {
        StringValue { repr: value.to_string().into_bytes() }
    }

    /// The integer value when the string is a strict decimal `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        std::str::from_utf8(&self.repr).ok()?.parse().ok()
    }

    /// Length in bytes of the string form.
    pub fn len(&self) -> usize {
        self.repr.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.repr.is_empty()
    }

    /// The string form (borrowed unless int-encoded).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.repr)
    }

    /// Converts to the raw encoding and gives mutable access to the bytes
    /// (APPEND, SETRANGE, SETBIT, BITFIELD). Growth is amortised.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        &mut self.repr
    }

    /// `int`, `embstr` or `raw`, as Redis reports it.
    pub fn encoding_name(&self) -> &'static str {
        "raw"
    }
}

/// Statistics from one active-expire step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActiveExpireReport {
    /// Keys with a TTL examined.
    pub sampled: u64,
    /// Keys deleted because their TTL had passed.
    pub expired: u64,
    /// True when the cycle stopped because the budget ran out while more than
    /// the acceptable share of samples was stale (Redis's "timelimit hit").
    pub budget_exhausted: bool,
}

/// One database (`SELECT n`): 16384 slot tables plus per-slot expiry tables.
#[derive(Debug, Default)]
pub struct Db {
    _private: (),
}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Db::default()
    }

    /// Number of keys, including keys whose TTL passed but were not yet reclaimed.
    pub fn len(&self) -> usize {
        unimplemented!()
    }

    /// True when the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        unimplemented!()
    }

    /// Looks a key up, deleting it first if its TTL has passed (lazy expiry),
    /// and records the access time for OBJECT IDLETIME.
    pub fn lookup(&mut self, _key: &[u8], _now_ms: i64) -> Option<&mut Value> {
        unimplemented!()
    }

    /// Like `lookup` but without touching the access time (OBJECT, TYPE-free
    /// introspection paths Redis marks LOOKUP_NOTOUCH).
    pub fn lookup_no_touch(&mut self, _key: &[u8], _now_ms: i64) -> Option<&mut Value> {
        unimplemented!()
    }

    /// True when the key exists and is not expired (lazy expiry applies).
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.lookup_no_touch(key, now_ms).is_some()
    }

    /// Stores `value` under `key`, replacing any value. The TTL is cleared
    /// unless `keep_ttl` (Redis `setKey` / KEEPTTL). Returns true when the key
    /// was newly created.
    pub fn set(&mut self, _key: &[u8], _value: Value, _keep_ttl: bool, _now_ms: i64) -> bool {
        unimplemented!()
    }

    /// Removes a key; `None` when absent or already expired.
    pub fn remove(&mut self, _key: &[u8], _now_ms: i64) -> Option<Value> {
        unimplemented!()
    }

    /// Absolute expiry in Unix ms, if the key exists and has a TTL.
    pub fn expire_at_ms(&mut self, _key: &[u8], _now_ms: i64) -> Option<i64> {
        unimplemented!()
    }

    /// Sets the absolute expiry of an existing key; false when the key is absent.
    pub fn set_expire_at_ms(&mut self, _key: &[u8], _at_ms: i64, _now_ms: i64) -> bool {
        unimplemented!()
    }

    /// Removes a key's TTL; true when it had one.
    pub fn persist(&mut self, _key: &[u8], _now_ms: i64) -> bool {
        unimplemented!()
    }

    /// Milliseconds since the key was last accessed (OBJECT IDLETIME), at the
    /// resolution Redis keeps (seconds-granular clock).
    pub fn idle_ms(&mut self, _key: &[u8], _now_ms: i64) -> Option<i64> {
        unimplemented!()
    }

    /// Removes every key; returns how many there were.
    pub fn clear(&mut self) -> usize {
        unimplemented!()
    }

    /// Number of keys in one slot.
    pub fn slot_len(&self, _slot: u16) -> usize {
        unimplemented!()
    }

    /// Up to `count` keys of one slot (CLUSTER GETKEYSINSLOT).
    pub fn keys_in_slot(&self, _slot: u16, _count: usize) -> Vec<Bytes> {
        unimplemented!()
    }

    /// Deletes every key in a slot; returns how many.
    pub fn clear_slot(&mut self, _slot: u16) -> usize {
        unimplemented!()
    }

    /// One SCAN step. The cursor encodes (slot, hash position) so that every
    /// key present for the whole scan is returned at least once, whatever
    /// resizing happens between calls. `count` is a hint of keys to visit.
    /// Expired keys are skipped. `filter` gets each candidate key and value.
    /// Returns the next cursor (0 = done) and the matching keys.
    pub fn scan(
        &mut self,
        _cursor: u64,
        _count: usize,
        _now_ms: i64,
        _filter: &mut dyn FnMut(&[u8], &Value) -> bool,
    ) -> (u64, Vec<Bytes>) {
        unimplemented!()
    }

    /// Every live key matching a glob pattern (KEYS).
    pub fn keys_matching(&mut self, _pattern: &[u8], _now_ms: i64) -> Vec<Bytes> {
        unimplemented!()
    }

    /// A uniformly random live key (RANDOMKEY); `random` supplies randomness.
    pub fn random_key(&mut self, _random: &mut dyn FnMut() -> u64, _now_ms: i64) -> Option<Bytes> {
        unimplemented!()
    }

    /// One bounded step of Redis's adaptive active-expire cycle over this db:
    /// samples keys with a TTL (at most `max_samples`) and deletes expired ones.
    pub fn active_expire_step(&mut self, _now_ms: i64, _max_samples: usize) -> ActiveExpireReport {
        unimplemented!()
    }

    /// Approximate bytes used by a key and its value (MEMORY USAGE).
    pub fn memory_usage(&mut self, _key: &[u8], _now_ms: i64) -> Option<usize> {
        unimplemented!()
    }

    /// Calls `visit` for every live key (DEBUG DIGEST, persistence).
    pub fn for_each(&self, _visit: &mut dyn FnMut(&[u8], &Value, Option<i64>)) {
        unimplemented!()
    }
}

/// All databases of a node.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Keys deleted by lazy or active expiry since start (INFO `expired_keys`).
    pub expired_keys_total: u64,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        assert!(databases >= 1, "a keyspace has at least one database");
        Keyspace { dbs: (0..databases).map(|_| Db::new()).collect(), expired_keys_total: 0 }
    }

    /// Number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Database `index`; panics when out of range (callers validate SELECT).
    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Mutable database `index`.
    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Two distinct databases at once (MOVE, COPY ... DB).
    pub fn two_dbs_mut(&mut self, first: usize, second: usize) -> (&mut Db, &mut Db) {
        assert_ne!(first, second, "two_dbs_mut needs distinct databases");
        if first < second {
            let (low, high) = self.dbs.split_at_mut(second);
            (&mut low[first], &mut high[0])
        } else {
            let (low, high) = self.dbs.split_at_mut(first);
            (&mut high[0], &mut low[second])
        }
    }

    /// SWAPDB.
    pub fn swap_dbs(&mut self, first: usize, second: usize) {
        self.dbs.swap(first, second);
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}
