//! One database (`SELECT n`): 16384 slot tables, lazy expiry, and the
//! per-key operations the engine builds commands from.
//!
//! Owns key lookup, insertion, removal, TTLs and counters of one database.
//! Must never read a clock (time comes in as `now_ms`, Unix milliseconds),
//! never draw unseeded randomness (LFU increments draw from the seeded
//! generator of `access.rs`) and never know about clients or commands.
//! SCAN, KEYS and RANDOMKEY live in `scan.rs`; active expiry in `expire.rs`.
//!
//! Expiry rule (Redis `keyIsExpired`): a key is expired when
//! `now_ms > expire_at_ms`; at exactly its expiry millisecond it still exists
//! (PTTL then answers 0). Expired keys are deleted on access ("lazy expiry")
//! and counted, for INFO `expired_keys`, in a per-database counter the
//! keyspace drains (`Db::take_expired_count`, `Keyspace::collect_expired`).

use std::fmt;

use bytes::Bytes;

use crate::access::{lfu_field, AccessPolicy, AccessState};
use crate::entry::{idle_seconds, lru_clock, Entry, LRU_CLOCK_MAX};
use crate::hash::hash_key;
use crate::slot::{key_hash_slot, SLOT_COUNT};
use crate::slot_index::{SlotCounts, SlotSet};
use crate::slot_table::SlotTable;
use crate::value::Value;

/// Something that happened to a key that keyspace notifications report
/// after the fact (the keyspace cannot publish; the engine drains these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyEvent {
    /// Expiry removed the key (lazily or in the active cycle).
    Expired(Bytes),
    /// A read lookup found no key (`keymiss`).
    Missed(Bytes),
}

/// Keeps the name of a key expiry removed when the log is on.
pub(crate) fn log_expired(log: &mut Option<Vec<KeyEvent>>, removed: Option<Entry>) {
    if let (Some(log), Some(entry)) = (log.as_mut(), removed) {
        log.push(KeyEvent::Expired(Bytes::copy_from_slice(entry.key())));
    }
}

/// True when a key whose TTL ends at `expire_at_ms` is gone at `now_ms`
/// (Redis `keyIsExpired`: `now > when`).
pub fn is_expired(expire_at_ms: i64, now_ms: i64) -> bool {
    now_ms > expire_at_ms
}

/// Estimated index cost per key for MEMORY USAGE: a 4-byte bucket plus its
/// control byte at hashbrown's typical ~1.5 buckets per key.
const INDEX_BYTES_PER_KEY: usize = 8;

/// Estimated cost of a TTL for MEMORY USAGE: the 16-byte record plus its
/// index bucket.
const TTL_BYTES_PER_KEY: usize = 16 + INDEX_BYTES_PER_KEY;

/// The slot tables of a database that holds (or held) keys, plus counts
/// across slots. Allocated on first insert: 16 databases exist by default
/// and most never see a key.
pub(crate) struct Tables {
    pub(crate) slots: Vec<SlotTable>,
    counts: SlotCounts,
    pub(crate) key_slots: SlotSet,
    pub(crate) ttl_slots: SlotSet,
    pub(crate) key_count: usize,
    pub(crate) expires_count: usize,
}

impl Tables {
    fn new() -> Box<Self> {
        Box::new(Tables {
            slots: (0..SLOT_COUNT).map(|_| SlotTable::default()).collect(),
            counts: SlotCounts::default(),
            key_slots: SlotSet::default(),
            ttl_slots: SlotSet::default(),
            key_count: 0,
            expires_count: 0,
        })
    }

    fn insert(&mut self, slot: usize, hash: u64, entry: Entry) -> usize {
        let position = self.slots[slot].insert(hash, entry);
        self.key_count += 1;
        self.counts.add(slot, 1);
        self.key_slots.set(slot, true);
        position
    }

    /// Removes the entry at (`slot`, `position`), keeping every count right.
    pub(crate) fn remove(&mut self, slot: usize, position: usize) -> Option<Entry> {
        let table = self.slots.get_mut(slot)?;
        let (entry, at_ms) = table.remove(position)?;
        self.key_count -= 1;
        self.counts.add(slot, -1);
        if table.len() == 0 {
            self.key_slots.set(slot, false);
        }
        if at_ms.is_some() {
            self.expires_count -= 1;
            if table.ttl_len() == 0 {
                self.ttl_slots.set(slot, false);
            }
        }
        Some(entry)
    }

    fn set_ttl(&mut self, slot: usize, position: usize, at_ms: i64) {
        if self.slots[slot].set_ttl(position, at_ms) {
            self.expires_count += 1;
            self.ttl_slots.set(slot, true);
        }
    }

    fn clear_ttl(&mut self, slot: usize, position: usize) -> Option<i64> {
        let at_ms = self.slots[slot].clear_ttl(position)?;
        self.expires_count -= 1;
        if self.slots[slot].ttl_len() == 0 {
            self.ttl_slots.set(slot, false);
        }
        Some(at_ms)
    }

    /// The slot and position of the key of overall rank `rank`.
    pub(crate) fn random_position(&self, rank: u64) -> Option<(usize, usize)> {
        if rank >= self.key_count as u64 {
            return None;
        }
        let (slot, offset) = self.counts.find(rank);
        Some((slot, usize::try_from(offset).ok()?))
    }

    fn clear_slot(&mut self, slot: usize) -> usize {
        let table = &mut self.slots[slot];
        let expiring = table.ttl_len();
        let count = table.take_all();
        self.key_count -= count;
        self.expires_count -= expiring;
        self.counts.add(slot, -(count as i64));
        self.key_slots.set(slot, false);
        self.ttl_slots.set(slot, false);
        count
    }
}

/// Where active expiry resumes: a slot and a TTL record index in it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ExpireCursor {
    pub(crate) slot: usize,
    pub(crate) record: usize,
}

/// One database (`SELECT n`): 16384 slot tables plus per-slot expiry tables.
#[derive(Default)]
pub struct Db {
    pub(crate) tables: Option<Box<Tables>>,
    /// Keys removed by lazy or active expiry and not yet collected.
    pub(crate) expired_pending: u64,
    /// Keys removed by expiry and keys read lookups missed, in order, kept
    /// only while someone listens for `expired` or `keymiss` keyspace events
    /// (see `Keyspace::set_key_event_log`).
    pub(crate) event_log: Option<Vec<KeyEvent>>,
    /// Whether `lookup_read` logs misses (`keymiss` events are on).
    log_misses: bool,
    /// Running estimate of the average TTL left, ms (INFO `avg_ttl`).
    pub(crate) avg_ttl_ms: i64,
    pub(crate) expire_cursor: ExpireCursor,
    /// How accesses are recorded (LRU clock or LFU counter) and the seeded
    /// generator of LFU increments.
    access: AccessState,
    /// Expired keys read as absent but are not deleted (Redis during CLIENT
    /// PAUSE: `expireIfNeeded` returns "expired" without deleting, so no
    /// DEL is propagated while the dataset must stay still).
    pub(crate) keep_expired: bool,
}

/// A key removed by [`Db::take`] together with what travels with it when
/// Redis moves the object itself (RENAME, MOVE): its TTL and its access
/// field (LRU clock or LFU counter). Stored again with [`Db::put_taken`].
#[derive(Clone, Debug, PartialEq)]
pub struct TakenKey {
    /// The value.
    pub value: Value,
    /// The absolute expiry, Unix ms, if the key had a TTL.
    pub expire_at_ms: Option<i64>,
    access_field: u32,
}

impl fmt::Debug for Db {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Db")
            .field("keys", &self.len())
            .field("expires", &self.expires_len())
            .field("avg_ttl_ms", &self.avg_ttl_ms)
            .field("expired_pending", &self.expired_pending)
            .finish()
    }
}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Db::default()
    }

    /// Number of keys, including keys whose TTL passed but were not yet reclaimed.
    pub fn len(&self) -> usize {
        self.tables.as_ref().map_or(0, |tables| tables.key_count)
    }

    /// True when the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.tables
            .as_ref()
            .map_or(0, |tables| tables.expires_count)
    }

    /// Finds a key, deleting it first when its TTL has passed (lazy expiry).
    /// Returns its slot and position.
    pub(crate) fn locate(&mut self, key: &[u8], now_ms: i64) -> Option<(usize, usize)> {
        let tables = self.tables.as_deref_mut()?;
        let slot = usize::from(key_hash_slot(key));
        let table = &tables.slots[slot];
        let position = table.find(key, hash_key(key))?;
        if let Some(at_ms) = table.ttl_at(position) {
            if is_expired(at_ms, now_ms) {
                if !self.keep_expired {
                    log_expired(&mut self.event_log, tables.remove(slot, position));
                    self.expired_pending += 1;
                }
                return None;
            }
        }
        Some((slot, position))
    }

    /// Warms the caches for upcoming lookups of `keys` (a pipelined batch).
    ///
    /// A lookup walks three dependent cache lines (slot header, index
    /// control bytes, entry) and a cold walk stalls on each in turn. Taking
    /// a batch in three passes, one per level, makes each pass's reads
    /// independent of each other, so the CPU overlaps their misses instead
    /// of paying them one after another (the idea of Redis 8's batched key
    /// prefetching, done with ordinary reads the optimizer must keep).
    /// Changes nothing: no expiry, no access-time update.
    pub fn prefetch<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) {
        const BATCH: usize = 16;
        let Some(tables) = self.tables.as_deref() else {
            return;
        };
        let mut pending: [(usize, u64); BATCH] = [(0, 0); BATCH];
        let mut candidates: [Option<u32>; BATCH] = [None; BATCH];
        let mut keys = keys.into_iter().peekable();
        while keys.peek().is_some() {
            let mut count = 0;
            let mut sink = 0usize;
            for key in keys.by_ref().take(BATCH) {
                let slot = usize::from(key_hash_slot(key));
                pending[count] = (slot, hash_key(key));
                sink ^= tables.slots[slot].touch_header();
                count += 1;
            }
            for (&(slot, hash), candidate) in pending[..count].iter().zip(&mut candidates) {
                *candidate = tables.slots[slot].touch_index(hash);
            }
            for (&(slot, _), candidate) in pending[..count].iter().zip(&candidates) {
                if let Some(position) = *candidate {
                    sink ^= tables.slots[slot].touch_entry(position);
                }
            }
            std::hint::black_box(sink);
        }
    }

    fn entry_mut(&mut self, slot: usize, position: usize) -> Option<&mut Entry> {
        self.tables
            .as_deref_mut()?
            .slots
            .get_mut(slot)?
            .entry_mut(position)
    }

    fn entry(&self, slot: usize, position: usize) -> Option<&Entry> {
        self.tables.as_deref()?.slots.get(slot)?.entry(position)
    }

    /// Looks a key up, deleting it first if its TTL has passed (lazy expiry),
    /// and records the access (Redis `lookupKey` without `LOOKUP_NOTOUCH`):
    /// the LRU clock for OBJECT IDLETIME, or under an LFU policy the
    /// counter for OBJECT FREQ.
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        let (slot, position) = self.locate(key, now_ms)?;
        let entry = self
            .tables
            .as_deref_mut()?
            .slots
            .get_mut(slot)?
            .entry_mut(position)?;
        self.access.record(entry, now_ms);
        Some(&mut entry.value)
    }

    /// Like `lookup` but without touching the access time (OBJECT, TYPE-free
    /// introspection paths Redis marks LOOKUP_NOTOUCH).
    pub fn lookup_no_touch(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        let (slot, position) = self.locate(key, now_ms)?;
        Some(&mut self.entry_mut(slot, position)?.value)
    }

    /// True when the key exists and is not expired (lazy expiry applies).
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.lookup_no_touch(key, now_ms).is_some()
    }

    /// Stores `value` under `key`, replacing any value. The TTL is cleared
    /// unless `keep_ttl` (Redis `setKey` / KEEPTTL). Returns true when the key
    /// was newly created.
    ///
    /// Like `setKey`, an existing key counts one access first (its
    /// `lookupKeyWrite`); the new value then takes over the access field the
    /// way `dbOverwrite` does: under LRU the clock of the access (now),
    /// under LFU the counter. A caller that must know beforehand whether
    /// the key exists (SET NX/XX) asks [`Db::contains`], which counts no
    /// access, so that the write's access counts once. A new key starts
    /// with a fresh field (`createObject`).
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, now_ms: i64) -> bool {
        if let Some((slot, position)) = self.locate(key, now_ms) {
            if let Some(tables) = self.tables.as_deref_mut() {
                if !keep_ttl {
                    tables.clear_ttl(slot, position);
                }
                if let Some(entry) = tables.slots[slot].entry_mut(position) {
                    entry.value = value;
                    self.access.record(entry, now_ms);
                }
            }
            return false;
        }
        let field = self.access.initial_field(now_ms);
        self.insert_new(key, value, field);
        true
    }

    /// Inserts a key known to be absent (or only logically there: expired
    /// and kept during a pause, which the write now reclaims) with the
    /// given access field.
    fn insert_new(&mut self, key: &[u8], value: Value, access_field: u32) -> (usize, usize) {
        let slot = usize::from(key_hash_slot(key));
        let tables = self.tables.get_or_insert_with(Tables::new);
        if self.keep_expired {
            if let Some(position) = tables.slots[slot].find(key, hash_key(key)) {
                log_expired(&mut self.event_log, tables.remove(slot, position));
                self.expired_pending += 1;
            }
        }
        let position = tables.insert(slot, hash_key(key), Entry::new(key, value, access_field));
        (slot, position)
    }

    /// Stores `value` under `key` with an optional absolute expiry in one
    /// step (SET ... EX/PX/EXAT/PXAT, RESTORE, replication). `None` clears
    /// any TTL. Returns true when the key was newly created.
    pub fn set_with_expire(
        &mut self,
        key: &[u8],
        value: Value,
        expire_at_ms: Option<i64>,
        now_ms: i64,
    ) -> bool {
        let created = self.set(key, value, false, now_ms);
        if let Some(at_ms) = expire_at_ms {
            self.set_expire_at_ms(key, at_ms, now_ms);
        }
        created
    }

    /// Removes a key; `None` when absent or already expired.
    pub fn remove(&mut self, key: &[u8], now_ms: i64) -> Option<Value> {
        let (slot, position) = self.locate(key, now_ms)?;
        Some(self.tables.as_deref_mut()?.remove(slot, position)?.value)
    }

    /// Removes a key with its TTL and access field (MOVE, RENAME), to be
    /// stored again with [`Db::put_taken`].
    pub fn take(&mut self, key: &[u8], now_ms: i64) -> Option<TakenKey> {
        let (slot, position) = self.locate(key, now_ms)?;
        let tables = self.tables.as_deref_mut()?;
        let expire_at_ms = tables.slots[slot].ttl_at(position);
        let entry = tables.remove(slot, position)?;
        Some(TakenKey {
            access_field: entry.access_field(),
            value: entry.value,
            expire_at_ms,
        })
    }

    /// Stores a taken key under `key`, replacing any value and TTL there
    /// (Redis `dbDelete` + `dbAdd` of the same object): the TTL and the
    /// access field come from the taken key. Returns true when `key` was
    /// newly created.
    pub fn put_taken(&mut self, key: &[u8], taken: TakenKey, now_ms: i64) -> bool {
        let TakenKey {
            value,
            expire_at_ms,
            access_field,
        } = taken;
        let (created, slot, position) = match self.locate(key, now_ms) {
            Some((slot, position)) => {
                let Some(tables) = self.tables.as_deref_mut() else {
                    return false;
                };
                tables.clear_ttl(slot, position);
                if let Some(entry) = tables.slots[slot].entry_mut(position) {
                    entry.value = value;
                    entry.set_access_field(access_field);
                }
                (false, slot, position)
            }
            None => {
                let (slot, position) = self.insert_new(key, value, access_field);
                (true, slot, position)
            }
        };
        if let (Some(at_ms), Some(tables)) = (expire_at_ms, self.tables.as_deref_mut()) {
            tables.set_ttl(slot, position, at_ms);
        }
        created
    }

    /// Absolute expiry in Unix ms, if the key exists and has a TTL.
    pub fn expire_at_ms(&mut self, key: &[u8], now_ms: i64) -> Option<i64> {
        let (slot, position) = self.locate(key, now_ms)?;
        self.tables.as_deref()?.slots[slot].ttl_at(position)
    }

    /// Sets the absolute expiry of an existing key; false when the key is absent.
    /// A time already past is stored as is: the key then expires on its next
    /// access (EXPIRE with a past time deleting at once is the engine's job,
    /// as in Redis `expireGenericCommand`).
    pub fn set_expire_at_ms(&mut self, key: &[u8], at_ms: i64, now_ms: i64) -> bool {
        let Some((slot, position)) = self.locate(key, now_ms) else {
            return false;
        };
        match self.tables.as_deref_mut() {
            Some(tables) => {
                tables.set_ttl(slot, position, at_ms);
                true
            }
            None => false,
        }
    }

    /// Removes a key's TTL; true when it had one.
    pub fn persist(&mut self, key: &[u8], now_ms: i64) -> bool {
        let Some((slot, position)) = self.locate(key, now_ms) else {
            return false;
        };
        self.tables
            .as_deref_mut()
            .and_then(|tables| tables.clear_ttl(slot, position))
            .is_some()
    }

    /// Milliseconds since the key was last accessed (OBJECT IDLETIME), at the
    /// resolution Redis keeps (seconds-granular clock): Redis's
    /// `estimateObjectIdleTime` over the access field, which under an LFU
    /// policy reads the LFU pair as a clock (meaningless, as in Redis's
    /// DEBUG OBJECT `lru_seconds_idle`).
    pub fn idle_ms(&mut self, key: &[u8], now_ms: i64) -> Option<i64> {
        let idle_s = idle_seconds(lru_clock(now_ms), self.access_field(key, now_ms)?);
        Some(i64::from(idle_s) * 1000)
    }

    /// The key's raw 24-bit access field (Redis's `robj.lru`, which DEBUG
    /// OBJECT prints as `lru:`): the LRU clock of the last access, or under
    /// an LFU policy `minutes << 8 | counter`.
    pub fn access_field(&mut self, key: &[u8], now_ms: i64) -> Option<u32> {
        let (slot, position) = self.locate(key, now_ms)?;
        Some(self.entry(slot, position)?.access_field())
    }

    /// The key's LFU counter after decay (Redis `LFUDecrAndReturn`, what
    /// OBJECT FREQ replies), reading the access field as the LFU pair with
    /// this database's `lfu-decay-time`. Changes nothing.
    pub fn lfu_frequency(&mut self, key: &[u8], now_ms: i64) -> Option<u8> {
        let field = self.access_field(key, now_ms)?;
        Some(self.access.frequency(field, now_ms))
    }

    /// Sets a key's LFU counter to `frequency` with now as its decrement
    /// time (RESTORE ... FREQ, Redis `objectSetLRUOrLFU` under an LFU
    /// policy). False when the key is absent.
    pub fn set_lfu_frequency(&mut self, key: &[u8], frequency: u8, now_ms: i64) -> bool {
        let Some((slot, position)) = self.locate(key, now_ms) else {
            return false;
        };
        let Some(entry) = self.entry_mut(slot, position) else {
            return false;
        };
        entry.set_access_field(lfu_field(now_ms, frequency));
        true
    }

    /// Whether expired keys are kept (read as absent, not deleted), as
    /// Redis does while clients are paused.
    pub fn set_keep_expired(&mut self, keep: bool) {
        self.keep_expired = keep;
    }

    /// Sets how accesses are recorded from now on. Fields already stored
    /// are not converted: like Redis after a `maxmemory-policy` change, the
    /// same bits are read the new way.
    pub fn set_access_policy(&mut self, policy: AccessPolicy) {
        self.access.policy = policy;
    }

    /// Restarts the generator that decides LFU increments from `seed`.
    pub fn seed_access_random(&mut self, seed: u64) {
        self.access.seed(seed);
    }

    /// Sets a key's access clock as if it was last accessed `idle_s`
    /// seconds ago (RESTORE ... IDLETIME, Redis `objectSetLRUOrLFU`: the
    /// clock wraps below zero). False when the key is absent.
    pub fn set_idle_seconds(&mut self, key: &[u8], idle_s: u64, now_ms: i64) -> bool {
        let Some((slot, position)) = self.locate(key, now_ms) else {
            return false;
        };
        let Some(entry) = self.entry_mut(slot, position) else {
            return false;
        };
        // `lru_abs = lru_clock - idle; if (lru_abs < 0) lru_abs += LRU_CLOCK_MAX;`
        // then stored in the 24-bit field (two's complement low bits).
        let idle = i64::try_from(idle_s).unwrap_or(i64::MAX);
        let mut clock = i64::from(lru_clock(now_ms)).saturating_sub(idle);
        if clock < 0 {
            clock += i64::from(LRU_CLOCK_MAX);
        }
        entry.set_access_field((clock as u64 & u64::from(LRU_CLOCK_MAX)) as u32);
        true
    }

    /// Removes every key; returns how many there were. Expired keys not yet
    /// collected by the keyspace stay counted.
    pub fn clear(&mut self) -> usize {
        let count = self.len();
        self.tables = None;
        self.avg_ttl_ms = 0;
        self.expire_cursor = ExpireCursor::default();
        count
    }

    /// Number of keys in one slot.
    pub fn slot_len(&self, slot: u16) -> usize {
        self.tables
            .as_deref()
            .and_then(|tables| tables.slots.get(usize::from(slot)))
            .map_or(0, SlotTable::len)
    }

    /// Up to `count` keys of one slot (CLUSTER GETKEYSINSLOT). Keys whose TTL
    /// passed but were not reclaimed are included, as in Redis.
    pub fn keys_in_slot(&self, slot: u16, count: usize) -> Vec<Bytes> {
        let Some(table) = self
            .tables
            .as_deref()
            .and_then(|t| t.slots.get(usize::from(slot)))
        else {
            return Vec::new();
        };
        table
            .entries()
            .take(count)
            .map(|entry| Bytes::copy_from_slice(entry.key()))
            .collect()
    }

    /// Deletes every key in a slot; returns how many.
    pub fn clear_slot(&mut self, slot: u16) -> usize {
        match self.tables.as_deref_mut() {
            Some(tables) if usize::from(slot) < SLOT_COUNT => tables.clear_slot(usize::from(slot)),
            _ => 0,
        }
    }

    /// Approximate bytes used by a key and its value (MEMORY USAGE): the
    /// 48-byte entry, its share of the index, out-of-line key and value
    /// bytes, and the TTL record when there is one. Redis counts the same
    /// parts (`objectComputeSize` + dictEntry + key sds).
    pub fn memory_usage(&mut self, key: &[u8], now_ms: i64) -> Option<usize> {
        let (slot, position) = self.locate(key, now_ms)?;
        let entry = self.entry(slot, position)?;
        let ttl = if entry.has_ttl() {
            TTL_BYTES_PER_KEY
        } else {
            0
        };
        Some(
            std::mem::size_of::<Entry>()
                + INDEX_BYTES_PER_KEY
                + entry.key_heap_bytes()
                + entry.value.heap_bytes()
                + ttl,
        )
    }

    /// Calls `visit` for every stored key with its value and absolute expiry
    /// (DEBUG DIGEST, persistence). Having no clock, this cannot skip keys
    /// whose TTL passed but were not reclaimed: callers compare the expiry
    /// with their own `now_ms` (see [`is_expired`]).
    // The visitor's signature is part of the engine-facing contract.
    #[allow(clippy::type_complexity)]
    pub fn for_each(&self, visit: &mut dyn FnMut(&[u8], &Value, Option<i64>)) {
        let Some(tables) = self.tables.as_deref() else {
            return;
        };
        for slot in tables.key_slots.iter() {
            let table = &tables.slots[slot];
            for (position, entry) in table.entries().enumerate() {
                visit(entry.key(), &entry.value, table.ttl_at(position));
            }
        }
    }

    /// Starts or stops keeping the key event log; `log_misses` also logs
    /// the misses of [`Db::lookup_read`].
    pub fn set_key_event_log(&mut self, enabled: bool, log_misses: bool) {
        if enabled != self.event_log.is_some() {
            self.event_log = enabled.then(Vec::new);
        }
        self.log_misses = enabled && log_misses;
    }

    /// [`Db::lookup`] for a read (Redis `lookupKeyRead`): a miss is logged
    /// as a [`KeyEvent::Missed`] while misses are logged.
    pub fn lookup_read(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        if self.log_misses && self.locate(key, now_ms).is_none() {
            self.note_miss(key);
            return None;
        }
        self.lookup(key, now_ms)
    }

    /// Records that a read lookup of `key` missed (the engine calls this
    /// where Redis's `lookupKeyRead` publishes `keymiss`). No-op unless the
    /// log is on.
    pub fn note_miss(&mut self, key: &[u8]) {
        if let Some(log) = self.event_log.as_mut() {
            log.push(KeyEvent::Missed(Bytes::copy_from_slice(key)));
        }
    }

    /// The key events since the last call, oldest first (empty unless the
    /// log is on).
    pub fn take_key_events(&mut self) -> Vec<KeyEvent> {
        self.event_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// True when key events wait in the log.
    pub fn has_key_events(&self) -> bool {
        self.event_log.as_ref().is_some_and(|log| !log.is_empty())
    }

    /// Keys removed by lazy or active expiry since the last call (INFO
    /// `expired_keys` feeds from this; see `Keyspace::collect_expired`).
    pub fn take_expired_count(&mut self) -> u64 {
        std::mem::take(&mut self.expired_pending)
    }

    /// Keys removed by expiry and not yet taken with `take_expired_count`.
    pub fn pending_expired_count(&self) -> u64 {
        self.expired_pending
    }

    /// Estimated average TTL left of keys with a TTL, in ms (INFO keyspace
    /// `avg_ttl`). Like Redis, it is a running average updated by active
    /// expiry from the keys it samples, so it stays 0 until active expiry
    /// has run, and drops to 0 when no key has a TTL.
    pub fn avg_ttl_ms(&self) -> i64 {
        self.avg_ttl_ms
    }

    /// Bytes allocated by this database's tables (entries, indexes, TTL
    /// records; not out-of-line key and value bytes).
    pub fn table_bytes(&self) -> usize {
        self.tables.as_deref().map_or(0, |tables| {
            std::mem::size_of::<Tables>()
                + tables.slots.capacity() * std::mem::size_of::<SlotTable>()
                + (SLOT_COUNT + 1) * std::mem::size_of::<u64>()
                + tables
                    .slots
                    .iter()
                    .map(SlotTable::allocated_bytes)
                    .sum::<usize>()
        })
    }

    /// Checks every structural invariant (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let Some(tables) = self.tables.as_deref() else {
            return;
        };
        let mut keys = 0;
        let mut expires = 0;
        for (slot, table) in tables.slots.iter().enumerate() {
            table.check_invariants();
            keys += table.len();
            expires += table.ttl_len();
            assert_eq!(
                tables.key_slots.next_from(slot) == Some(slot),
                table.len() > 0
            );
            assert_eq!(
                tables.ttl_slots.next_from(slot) == Some(slot),
                table.ttl_len() > 0
            );
            for entry in table.entries() {
                assert_eq!(usize::from(key_hash_slot(entry.key())), slot);
            }
        }
        assert_eq!(keys, tables.key_count);
        assert_eq!(expires, tables.expires_count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string_value::StringValue;

    pub(crate) fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::from_bytes(bytes))
    }

    fn get(db: &mut Db, key: &[u8], now_ms: i64) -> Option<Vec<u8>> {
        match db.lookup(key, now_ms)? {
            Value::String(string) => Some(string.as_bytes().into_owned()),
        }
    }

    #[test]
    fn empty_db_allocates_nothing_and_answers() {
        let mut db = Db::new();
        assert!(db.tables.is_none());
        assert_eq!(db.len(), 0);
        assert!(db.is_empty());
        assert_eq!(db.expires_len(), 0);
        assert!(db.lookup(b"a", 0).is_none());
        assert!(db.remove(b"a", 0).is_none());
        assert!(!db.persist(b"a", 0));
        assert!(!db.set_expire_at_ms(b"a", 5, 0));
        assert_eq!(db.expire_at_ms(b"a", 0), None);
        assert_eq!(db.idle_ms(b"a", 0), None);
        assert_eq!(db.memory_usage(b"a", 0), None);
        assert_eq!(db.slot_len(0), 0);
        assert_eq!(db.slot_len(u16::MAX), 0);
        assert!(db.keys_in_slot(u16::MAX, 10).is_empty());
        assert_eq!(db.clear_slot(u16::MAX), 0);
        assert_eq!(db.clear(), 0);
        assert_eq!(db.table_bytes(), 0);
        assert!(db.tables.is_none(), "reads must not allocate tables");
    }

    #[test]
    fn set_get_overwrite_remove() {
        let mut db = Db::new();
        assert!(db.set(b"k", string(b"v1"), false, 0));
        assert!(!db.set(b"k", string(b"v2"), false, 0));
        assert_eq!(get(&mut db, b"k", 0), Some(b"v2".to_vec()));
        assert_eq!(db.len(), 1);
        assert!(db.contains(b"k", 0));
        assert_eq!(db.remove(b"k", 0), Some(string(b"v2")));
        assert_eq!(db.remove(b"k", 0), None);
        assert!(db.is_empty());
        db.check_invariants();
    }

    #[test]
    fn binary_and_long_keys() {
        let mut db = Db::new();
        let keys: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            vec![0],
            vec![0xFF; 3],
            vec![b'x'; 17],
            vec![b'x'; 18],
            vec![7; 5000],
            b"{tag}a".to_vec(),
            b"{tag}b".to_vec(),
        ];
        for (i, key) in keys.iter().enumerate() {
            assert!(db.set(key, string(format!("{i}").as_bytes()), false, 0));
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(get(&mut db, key, 0), Some(format!("{i}").into_bytes()));
        }
        assert_eq!(db.slot_len(key_hash_slot(b"tag")), 2);
        db.check_invariants();
    }

    #[test]
    fn lazy_expiry_deletes_and_counts() {
        let mut db = Db::new();
        db.set(b"k", string(b"v"), false, 1_000);
        assert!(db.set_expire_at_ms(b"k", 2_000, 1_000));
        assert_eq!(db.expires_len(), 1);
        // At exactly the expiry ms the key still exists (Redis: now > when).
        assert_eq!(db.expire_at_ms(b"k", 2_000), Some(2_000));
        assert_eq!(db.pending_expired_count(), 0);
        assert!(db.lookup(b"k", 2_001).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expires_len(), 0);
        assert_eq!(db.take_expired_count(), 1);
        assert_eq!(db.take_expired_count(), 0);
        db.check_invariants();
    }

    #[test]
    fn expired_key_counts_as_absent_everywhere() {
        let mut db = Db::new();
        for key in [&b"a"[..], b"b", b"c", b"d", b"e", b"f"] {
            db.set(key, string(b"v"), false, 0);
            db.set_expire_at_ms(key, 10, 0);
        }
        assert!(!db.contains(b"a", 11));
        assert_eq!(db.remove(b"b", 11), None);
        assert_eq!(db.expire_at_ms(b"c", 11), None);
        assert!(!db.persist(b"d", 11));
        assert!(!db.set_expire_at_ms(b"e", 100, 11));
        // SET on an expired key creates a new key without the old TTL.
        assert!(db.set(b"f", string(b"new"), true, 11));
        assert_eq!(db.expire_at_ms(b"f", 11), None);
        assert_eq!(db.take_expired_count(), 6);
        assert_eq!(db.len(), 1);
        db.check_invariants();
    }

    #[test]
    fn set_keeps_or_clears_ttl() {
        let mut db = Db::new();
        db.set(b"k", string(b"1"), false, 0);
        db.set_expire_at_ms(b"k", 500, 0);
        assert!(!db.set(b"k", string(b"2"), true, 1));
        assert_eq!(db.expire_at_ms(b"k", 1), Some(500));
        assert!(!db.set(b"k", string(b"3"), false, 1));
        assert_eq!(db.expire_at_ms(b"k", 1), None);
        assert_eq!(db.expires_len(), 0);
        db.set_expire_at_ms(b"k", 600, 1);
        assert!(db.persist(b"k", 1));
        assert!(!db.persist(b"k", 1));
        assert_eq!(db.expire_at_ms(b"k", 1), None);
        assert!(!db.set_with_expire(b"k", string(b"4"), Some(900), 1));
        assert_eq!(db.expire_at_ms(b"k", 1), Some(900));
        let taken = db.take(b"k", 1).expect("present");
        assert_eq!((taken.value, taken.expire_at_ms), (string(b"4"), Some(900)));
        assert_eq!(db.take(b"k", 1), None);
        db.check_invariants();
    }

    #[test]
    fn prefetch_changes_nothing() {
        let mut db = Db::new();
        db.prefetch([&b"nothing-yet"[..]]);
        for index in 0..100 {
            db.set(
                format!("key:{index}").as_bytes(),
                string(b"v"),
                false,
                1_000,
            );
        }
        db.set_expire_at_ms(b"key:7", 1_500, 1_000);
        let keys: Vec<Vec<u8>> = (0..150).map(|i| format!("key:{i}").into_bytes()).collect();
        db.prefetch(keys.iter().map(Vec::as_slice));
        db.prefetch(std::iter::empty());
        // Past key:7's TTL: prefetching is not an access, so nothing expires
        // and no access time moves.
        db.prefetch([&b"key:7"[..], &b"key:8"[..]]);
        assert_eq!(db.len(), 100);
        assert_eq!(db.take_expired_count(), 0);
        assert_eq!(db.idle_ms(b"key:8", 61_000), Some(60_000));
        assert_eq!(db.lookup(b"key:7", 2_000), None);
        db.check_invariants();
    }

    #[test]
    fn idle_time_tracks_lookup_not_no_touch() {
        let mut db = Db::new();
        db.set(b"k", string(b"v"), false, 10_000);
        assert_eq!(db.idle_ms(b"k", 10_999), Some(0));
        assert_eq!(db.idle_ms(b"k", 15_000), Some(5_000));
        db.lookup_no_touch(b"k", 20_000);
        assert_eq!(db.idle_ms(b"k", 20_000), Some(10_000));
        db.lookup(b"k", 20_000);
        assert_eq!(db.idle_ms(b"k", 23_500), Some(3_000));
        // A clock behind the access clock reads as a wrap, as in Redis's
        // estimateObjectIdleTime.
        assert_eq!(
            db.idle_ms(b"k", 0),
            Some(i64::from(crate::entry::LRU_CLOCK_MAX - 20) * 1000)
        );
        // Overwriting makes a fresh object.
        db.set(b"k", string(b"w"), false, 30_000);
        assert_eq!(db.idle_ms(b"k", 30_000), Some(0));
    }

    /// A database under an LFU policy, its generator seeded.
    fn lfu_db(log_factor: u32, decay_time_minutes: u32) -> Db {
        let mut db = Db::new();
        db.set_access_policy(AccessPolicy {
            lfu: true,
            lfu_log_factor: log_factor,
            lfu_decay_time_minutes: decay_time_minutes,
        });
        db.seed_access_random(7);
        db
    }

    #[test]
    fn lfu_counter_counts_touching_lookups_only() {
        let mut db = lfu_db(0, 1);
        db.set(b"k", string(b"v"), false, 0);
        assert_eq!(db.lfu_frequency(b"k", 0), Some(crate::LFU_INIT_VAL));
        for _ in 0..100 {
            db.lookup(b"k", 1_000);
        }
        db.lookup_no_touch(b"k", 1_000);
        db.contains(b"k", 1_000);
        assert_eq!(db.lfu_frequency(b"k", 1_000), Some(105));
        assert_eq!(db.lfu_frequency(b"k", 1_000), Some(105));
        assert_eq!(db.lfu_frequency(b"nosuch", 1_000), None);
        // One decrement per idle minute; reading does not store it.
        assert_eq!(db.lfu_frequency(b"k", 3 * 60_000 + 500), Some(102));
        // An access stores the decayed counter plus one, with a new
        // decrement time.
        db.lookup(b"k", 3 * 60_000 + 500);
        assert_eq!(db.lfu_frequency(b"k", 3 * 60_000 + 500), Some(103));
        assert_eq!(db.lfu_frequency(b"k", 4 * 60_000), Some(102));
    }

    #[test]
    fn lfu_overwrite_counts_one_access_and_keeps_the_counter() {
        let mut db = lfu_db(0, 1);
        db.set(b"k", string(b"v"), false, 0);
        db.lookup(b"k", 0);
        // setKey: lookupKeyWrite's access, then dbOverwrite keeps the field.
        assert!(!db.set(b"k", string(b"w"), false, 0));
        assert_eq!(db.lfu_frequency(b"k", 0), Some(7));
        // A removed and re-created key starts over.
        db.remove(b"k", 0);
        db.set(b"k", string(b"v"), false, 0);
        assert_eq!(db.lfu_frequency(b"k", 0), Some(5));
        assert!(db.set_lfu_frequency(b"k", 200, 0));
        assert_eq!(db.lfu_frequency(b"k", 0), Some(200));
        assert!(!db.set_lfu_frequency(b"nosuch", 200, 0));
    }

    /// During a pause (Redis `checkClientPauseTimeoutAndReturnIfPaused`)
    /// expired keys read as absent but stay stored and uncounted; a write
    /// reclaims the stale entry instead of storing a second one.
    #[test]
    fn kept_expired_keys_read_absent_and_writes_reclaim_them() {
        let mut db = Db::new();
        db.set_with_expire(b"a", string(b"1"), Some(100), 0);
        db.set_with_expire(b"b", string(b"2"), Some(100), 0);
        db.set_keep_expired(true);
        assert!(db.lookup(b"a", 200).is_none());
        assert!(!db.contains(b"b", 200));
        assert_eq!((db.len(), db.take_expired_count()), (2, 0));
        let (_, found) = db.scan(0, 100, 200, &mut |_, _| true);
        assert!(found.is_empty());
        // Every pick is expired: RANDOMKEY still returns (maxtries).
        let mut counter = 0u64;
        let mut random = || {
            counter = counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
            counter
        };
        assert!(db.random_key(&mut random, 200).is_some());
        assert!(db.set(b"a", string(b"new"), false, 200));
        assert_eq!((db.len(), db.take_expired_count()), (2, 1));
        assert_eq!(db.lookup(b"a", 200).cloned(), Some(string(b"new")));
        db.set_keep_expired(false);
        assert!(db.lookup(b"b", 200).is_none());
        assert_eq!((db.len(), db.take_expired_count()), (1, 1));
    }

    #[test]
    fn taken_keys_carry_their_access_field_and_ttl() {
        let mut db = lfu_db(0, 1);
        db.set(b"src", string(b"v"), false, 0);
        db.set_expire_at_ms(b"src", 50_000, 0);
        db.lookup(b"src", 0);
        db.set(b"dst", string(b"old"), false, 0);
        db.set_expire_at_ms(b"dst", 90_000, 0);
        let taken = db.take(b"src", 0).expect("present");
        assert!(!db.put_taken(b"dst", taken, 0));
        assert_eq!(db.lfu_frequency(b"dst", 0), Some(6));
        assert_eq!(db.expire_at_ms(b"dst", 0), Some(50_000));
        let taken = db.take(b"dst", 0).expect("present");
        assert!(db.put_taken(b"new", taken, 0));
        assert_eq!(db.lfu_frequency(b"new", 0), Some(6));
        assert_eq!(db.expires_len(), 1);
        // Without a TTL, putting clears the destination's.
        db.set(b"plain", string(b"v"), false, 0);
        db.set_expire_at_ms(b"new", 70_000, 0);
        let taken = db.take(b"plain", 0).expect("present");
        db.put_taken(b"new", taken, 0);
        assert_eq!(db.expire_at_ms(b"new", 0), None);
        assert_eq!(db.expires_len(), 0);
        db.check_invariants();
    }

    #[test]
    fn policy_changes_reinterpret_the_same_bits() {
        let mut db = Db::new();
        // LRU clock 1_700_000_000 mod 2^24 = 5_501_184 = 21_489 << 8 | 0.
        db.set(b"k", string(b"v"), false, 1_700_000_000_000);
        let field = db.access_field(b"k", 1_700_000_000_000).expect("present");
        assert_eq!(field, 1_700_000_000 & LRU_CLOCK_MAX);
        db.set_access_policy(AccessPolicy {
            lfu: true,
            ..AccessPolicy::default()
        });
        assert_eq!(db.access_field(b"k", 1_700_000_000_000), Some(field));
        // Read as the LFU pair: counter = low byte, decayed since "minute"
        // field >> 8 (a wrap from the current minute).
        let expected = crate::access::lfu_decr_and_return(field, 1_700_000_000_000, 1);
        assert_eq!(db.lfu_frequency(b"k", 1_700_000_000_000), Some(expected));
        // Under LFU, a new key's field is the LFU pair, which LRU then reads
        // as a clock.
        db.set(b"n", string(b"v"), false, 1_700_000_000_000);
        let lfu = db.access_field(b"n", 1_700_000_000_000).expect("present");
        assert_eq!(lfu & 0xFF, 5);
        db.set_access_policy(AccessPolicy::default());
        assert_eq!(
            db.idle_ms(b"n", 1_700_000_000_000),
            Some(i64::from(idle_seconds(lru_clock(1_700_000_000_000), lfu)) * 1000)
        );
    }

    #[test]
    fn lookup_gives_mutable_value() {
        let mut db = Db::new();
        db.set(b"k", Value::String(StringValue::from_i64(1)), false, 0);
        if let Some(Value::String(string)) = db.lookup(b"k", 0) {
            string.make_raw().push(b'0');
        }
        assert_eq!(get(&mut db, b"k", 0), Some(b"10".to_vec()));
        assert_eq!(
            db.lookup(b"k", 0).map(|value| value.encoding_name()),
            Some("raw")
        );
    }

    #[test]
    fn slots_and_clear() {
        let mut db = Db::new();
        for i in 0..100 {
            db.set(format!("{{same}}:{i}").as_bytes(), string(b"v"), false, 0);
            db.set(format!("other:{i}").as_bytes(), string(b"v"), false, 0);
        }
        db.set_expire_at_ms(b"{same}:3", 99, 0);
        let slot = key_hash_slot(b"same");
        assert_eq!(
            db.slot_len(slot),
            100 + (1..100)
                .filter(|i| { key_hash_slot(format!("other:{i}").as_bytes()) == slot })
                .count()
                + usize::from(key_hash_slot(b"other:0") == slot)
        );
        let listed = db.keys_in_slot(slot, 10);
        assert_eq!(listed.len(), 10);
        assert!(listed.iter().all(|key| key_hash_slot(key) == slot));
        assert_eq!(db.keys_in_slot(slot, 1000).len(), db.slot_len(slot));
        let removed = db.clear_slot(slot);
        assert_eq!(removed, 100);
        assert_eq!(db.len(), 100);
        assert_eq!(db.expires_len(), 0);
        assert_eq!(db.slot_len(slot), 0);
        db.check_invariants();
        assert_eq!(db.clear(), 100);
        assert_eq!(db.len(), 0);
        assert!(db.lookup(b"other:1", 0).is_none());
    }

    #[test]
    fn memory_usage_is_positive_and_grows_with_size() {
        let mut db = Db::new();
        db.set(b"small", string(b"v"), false, 0);
        db.set(b"big", string(&[b'x'; 10_000]), false, 0);
        db.set(
            b"a-key-longer-than-the-inline-capacity",
            string(b"v"),
            false,
            0,
        );
        let small = db.memory_usage(b"small", 0).unwrap_or(0);
        let big = db.memory_usage(b"big", 0).unwrap_or(0);
        let long_key = db
            .memory_usage(b"a-key-longer-than-the-inline-capacity", 0)
            .unwrap_or(0);
        assert!(small >= std::mem::size_of::<Entry>());
        assert!(big >= small + 10_000);
        assert!(long_key > small);
        db.set_expire_at_ms(b"small", 10, 0);
        assert!(db.memory_usage(b"small", 0).unwrap_or(0) > small);
    }

    #[test]
    fn for_each_visits_everything_with_ttl() {
        let mut db = Db::new();
        for i in 0..50 {
            db.set(format!("k{i}").as_bytes(), string(b"v"), false, 0);
        }
        db.set_expire_at_ms(b"k7", 1234, 0);
        let mut seen = Vec::new();
        db.for_each(&mut |key, _, ttl| seen.push((key.to_vec(), ttl)));
        assert_eq!(seen.len(), 50);
        assert!(seen.contains(&(b"k7".to_vec(), Some(1234))));
        assert_eq!(seen.iter().filter(|(_, ttl)| ttl.is_some()).count(), 1);
    }

    #[test]
    fn table_bytes_counts_allocation() {
        let mut db = Db::new();
        db.set(b"k", string(b"v"), false, 0);
        let one = db.table_bytes();
        assert!(one > SLOT_COUNT * std::mem::size_of::<SlotTable>());
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), string(b"v"), false, 0);
        }
        assert!(db.table_bytes() > one + 1000 * std::mem::size_of::<Entry>());
    }

    mod model {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        #[derive(Clone, Debug)]
        enum Op {
            Set(u8, u8, bool),
            Remove(u8),
            Expire(u8, i64),
            Persist(u8),
            Lookup(u8),
            Tick(i64),
            ActiveExpire(usize),
            ClearSlotOf(u8),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(k, v, keep)| Op::Set(k, v, keep)),
                2 => any::<u8>().prop_map(Op::Remove),
                3 => (any::<u8>(), 0i64..50).prop_map(|(k, ttl)| Op::Expire(k, ttl)),
                1 => any::<u8>().prop_map(Op::Persist),
                2 => any::<u8>().prop_map(Op::Lookup),
                2 => (0i64..20).prop_map(Op::Tick),
                1 => (0usize..60).prop_map(Op::ActiveExpire),
                1 => any::<u8>().prop_map(Op::ClearSlotOf),
            ]
        }

        /// Few distinct slots (hash tags) so entries move inside slots a lot;
        /// some keys are long enough to live on the heap.
        fn key(id: u8) -> Vec<u8> {
            let tag = id % 5;
            if id % 3 < 1 {
                format!("{{{tag}}}:a-key-that-does-not-fit-inline:{id}").into_bytes()
            } else {
                format!("{{{tag}}}:{id}").into_bytes()
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            #[test]
            fn db_behaves_like_a_map_with_deadlines(ops in proptest::collection::vec(op(), 1..400)) {
                let mut db = Db::new();
                // key -> (value byte, expire_at_ms)
                let mut model: BTreeMap<Vec<u8>, (u8, Option<i64>)> = BTreeMap::new();
                let mut now_ms = 0i64;
                let mut expired_in_model = 0u64;
                for op in ops {
                    // Keys the model considers gone may still be stored in
                    // the db until touched; compare only observable answers.
                    match op {
                        Op::Set(k, v, keep) => {
                            let key = key(k);
                            let live = model.get(&key).filter(|(_, at)| !at.is_some_and(|at| is_expired(at, now_ms))).copied();
                            if model.contains_key(&key) && live.is_none() {
                                expired_in_model += 1;
                            }
                            let ttl = if keep { live.and_then(|(_, at)| at) } else { None };
                            let created = db.set(&key, string(&[v]), keep, now_ms);
                            prop_assert_eq!(created, live.is_none());
                            model.insert(key, (v, ttl));
                        }
                        Op::Remove(k) => {
                            let key = key(k);
                            let live = model.remove(&key);
                            let live = match live {
                                Some((v, at)) if !at.is_some_and(|at| is_expired(at, now_ms)) => Some(v),
                                Some(_) => { expired_in_model += 1; None }
                                None => None,
                            };
                            prop_assert_eq!(db.remove(&key, now_ms), live.map(|v| string(&[v])));
                        }
                        Op::Expire(k, ttl) => {
                            let key = key(k);
                            let at = now_ms + ttl;
                            let expected = match model.get_mut(&key) {
                                Some((_, old)) if !old.is_some_and(|old| is_expired(old, now_ms)) => {
                                    *old = Some(at);
                                    true
                                }
                                Some(_) => { model.remove(&key); expired_in_model += 1; false }
                                None => false,
                            };
                            prop_assert_eq!(db.set_expire_at_ms(&key, at, now_ms), expected);
                        }
                        Op::Persist(k) => {
                            let key = key(k);
                            let expected = match model.get_mut(&key) {
                                Some((_, old)) if !old.is_some_and(|old| is_expired(old, now_ms)) => old.take().is_some(),
                                Some(_) => { model.remove(&key); expired_in_model += 1; false }
                                None => false,
                            };
                            prop_assert_eq!(db.persist(&key, now_ms), expected);
                        }
                        Op::Lookup(k) => {
                            let key = key(k);
                            let expected = match model.get(&key).copied() {
                                Some((v, at)) if !at.is_some_and(|at| is_expired(at, now_ms)) => Some((v, at)),
                                Some(_) => { model.remove(&key); expired_in_model += 1; None }
                                None => None,
                            };
                            prop_assert_eq!(db.lookup(&key, now_ms).cloned(), expected.map(|(v, _)| string(&[v])));
                            prop_assert_eq!(db.expire_at_ms(&key, now_ms), expected.and_then(|(_, at)| at));
                        }
                        Op::Tick(ms) => now_ms += ms,
                        Op::ActiveExpire(budget) => {
                            let report = db.active_expire_step(now_ms, budget);
                            prop_assert!(report.sampled as usize <= budget);
                            // Whatever it deleted was expired in the model.
                            let before = model.len();
                            model.retain(|key, (_, at)| {
                                !at.is_some_and(|at| is_expired(at, now_ms)) || db.slot_len(key_hash_slot(key)) > 0 && db.keys_in_slot(key_hash_slot(key), usize::MAX).iter().any(|stored| stored.as_ref() == key.as_slice())
                            });
                            prop_assert_eq!((before - model.len()) as u64, report.expired);
                            expired_in_model += report.expired;
                        }
                        Op::ClearSlotOf(k) => {
                            let slot = key_hash_slot(&key(k));
                            let stored = model.keys().filter(|key| key_hash_slot(key) == slot).count();
                            prop_assert_eq!(db.clear_slot(slot), stored);
                            model.retain(|key, _| key_hash_slot(key) != slot);
                        }
                    }
                    prop_assert_eq!(db.len(), model.len());
                    prop_assert_eq!(db.expires_len(), model.values().filter(|(_, at)| at.is_some()).count());
                }
                db.check_invariants();
                prop_assert_eq!(db.take_expired_count(), expired_in_model);
            }
        }
    }
}
