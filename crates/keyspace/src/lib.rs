//! The keyspace: databases made of one hash table per hash slot, values,
//! expiry (lazy and active), SCAN cursors and glob matching.
//!
//! It owns the data of one node and nothing else: no I/O, no clock (time is
//! `now_ms: i64`, Unix milliseconds, passed in), no unseeded randomness (the
//! caller passes its RNG, or seeds the generator of LFU increments with
//! `Keyspace::seed_access_random`), no knowledge of clients, commands or the
//! cluster.
//!
//! Module map:
//! - `slot`: key → hash slot (CRC16, hash tags).
//! - `glob`: Redis `stringmatchlen`.
//! - `value`, `string_value`: values and their Redis encodings.
//! - `entry`, `slot_table`, `slot_index`, `hash` (private): storage layout.
//! - `access`: what a key's 24-bit access field means (Redis's LRU clock
//!   or LFU counter) and how an access updates it.
//! - `db`: one database; `scan` (SCAN/KEYS/RANDOMKEY) and `expire` (active
//!   expiry) add to it.
//!
//! Memory: a key costs its 48-byte entry (key ≤ 17 bytes and string value
//! ≤ 22 bytes inline, integers as `i64`) in a dense per-slot vector, plus a
//! 4-byte index bucket; see `slot_table` for why.

mod access;
mod chunked;
mod db;
mod entry;
mod expire;
pub mod glob;
mod hash;
mod scan;
pub mod slot;
mod slot_index;
mod slot_table;
pub mod string_value;
mod value;

pub use access::{AccessPolicy, LFU_INIT_VAL};
pub use db::{is_expired, Db, KeyEvent, TakenKey};
pub use expire::{ACTIVE_EXPIRE_ACCEPTABLE_STALE_PERCENT, ACTIVE_EXPIRE_KEYS_PER_LOOP};
pub use slot::{key_hash_slot, SLOT_COUNT};
pub use string_value::{parse_strict_i64, StringValue};
pub use value::Value;

use std::fmt;

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

/// What INFO's `keyspace` section shows for one database:
/// `db0:keys=1,expires=0,avg_ttl=0` (the `Display` form is the part after
/// the colon).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbInfo {
    /// Keys stored, including expired ones not yet reclaimed (as Redis).
    pub keys: usize,
    /// Keys with a TTL.
    pub expires: usize,
    /// Estimated average TTL left, ms (see [`Db::avg_ttl_ms`]).
    pub avg_ttl_ms: i64,
}

impl fmt::Display for DbInfo {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "keys={},expires={},avg_ttl={}",
            self.keys, self.expires, self.avg_ttl_ms
        )
    }
}

impl Db {
    /// This database's INFO keyspace figures.
    pub fn info(&self) -> DbInfo {
        DbInfo {
            keys: self.len(),
            expires: self.expires_len(),
            avg_ttl_ms: self.avg_ttl_ms(),
        }
    }
}

/// All databases of a node.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Keys deleted by lazy or active expiry since start (INFO `expired_keys`).
    /// Lazy expiry happens inside `Db` methods, which count into the
    /// database; call [`Keyspace::collect_expired`] (cheap) before reading
    /// this field, or read [`Keyspace::expired_keys`].
    pub expired_keys_total: u64,
    /// Database where the next active-expire cycle starts (Redis keeps a
    /// static `current_db` in `activeExpireCycle`).
    expire_next_db: usize,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        assert!(databases >= 1, "a keyspace has at least one database");
        Keyspace {
            dbs: (0..databases).map(|_| Db::new()).collect(),
            expired_keys_total: 0,
            expire_next_db: 0,
        }
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

    /// SWAPDB. O(1): a `Db` is a handful of words pointing at its tables;
    /// keys, TTLs, `avg_ttl` and the expiry cursor move with it (Redis
    /// `dbSwapDatabases`).
    pub fn swap_dbs(&mut self, first: usize, second: usize) {
        self.dbs.swap(first, second);
    }

    /// Keeps expired keys (read as absent, never deleted) in every database
    /// while clients are paused, as Redis does.
    pub fn set_keep_expired(&mut self, keep: bool) {
        for db in &mut self.dbs {
            db.set_keep_expired(keep);
        }
    }

    /// Starts or stops the key event log (expired keys, read misses) in
    /// every database (the engine turns it on while `expired` or `keymiss`
    /// keyspace events are on).
    pub fn set_key_event_log(&mut self, enabled: bool, log_misses: bool) {
        for db in &mut self.dbs {
            db.set_key_event_log(enabled, log_misses);
        }
    }

    /// Sets how every database records accesses (the engine calls this
    /// whenever `maxmemory-policy`, `lfu-log-factor` or `lfu-decay-time`
    /// may have changed).
    pub fn set_access_policy(&mut self, policy: AccessPolicy) {
        for db in &mut self.dbs {
            db.set_access_policy(policy);
        }
    }

    /// Seeds every database's LFU-increment generator from `seed` (each
    /// database gets its own stream).
    pub fn seed_access_random(&mut self, seed: u64) {
        for (index, db) in self.dbs.iter_mut().enumerate() {
            db.seed_access_random(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// Moves every database's expired-key count into `expired_keys_total`
    /// and returns the new total.
    pub fn collect_expired(&mut self) -> u64 {
        for db in &mut self.dbs {
            self.expired_keys_total += db.take_expired_count();
        }
        self.expired_keys_total
    }

    /// Keys deleted by expiry since start, including counts not yet collected.
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys_total + self.dbs.iter().map(Db::pending_expired_count).sum::<u64>()
    }

    /// One active-expire cycle over the databases (Redis
    /// `activeExpireCycle`): starting where the previous cycle stopped, each
    /// database gets a step with the samples left, until every database had
    /// its turn or `max_samples` are spent. Expired counts are collected.
    pub fn active_expire_cycle(&mut self, now_ms: i64, max_samples: usize) -> ActiveExpireReport {
        let mut total = ActiveExpireReport::default();
        for _ in 0..self.dbs.len() {
            let budget_left = max_samples.saturating_sub(total.sampled as usize);
            if budget_left == 0 {
                total.budget_exhausted = true;
                break;
            }
            let index = self.expire_next_db % self.dbs.len();
            self.expire_next_db = (index + 1) % self.dbs.len();
            let report = self.dbs[index].active_expire_step(now_ms, budget_left);
            total.sampled += report.sampled;
            total.expired += report.expired;
            if report.budget_exhausted {
                total.budget_exhausted = true;
                break;
            }
        }
        self.collect_expired();
        total
    }

    /// INFO keyspace lines: `(db index, figures)` for every database holding
    /// keys, in index order (Redis prints `db<index>:<figures>` for these).
    pub fn info(&self) -> Vec<(usize, DbInfo)> {
        self.dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.is_empty())
            .map(|(index, db)| (index, db.info()))
            .collect()
    }

    /// FLUSHALL: empties every database; returns how many keys there were.
    pub fn clear_all(&mut self) -> usize {
        self.dbs.iter_mut().map(Db::clear).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::from_bytes(bytes))
    }

    #[test]
    fn swap_moves_keys_and_ttls() {
        let mut keyspace = Keyspace::new(16);
        keyspace.db_mut(0).set(b"a", string(b"0"), false, 0);
        keyspace.db_mut(0).set_expire_at_ms(b"a", 100, 0);
        keyspace.db_mut(3).set(b"b", string(b"3"), false, 0);
        keyspace.swap_dbs(0, 3);
        assert!(keyspace.db_mut(3).contains(b"a", 0));
        assert_eq!(keyspace.db_mut(3).expire_at_ms(b"a", 0), Some(100));
        assert!(keyspace.db_mut(0).contains(b"b", 0));
        assert!(!keyspace.db_mut(0).contains(b"a", 0));
        assert_eq!(keyspace.total_keys(), 2);
        keyspace.swap_dbs(5, 5);
        assert_eq!(keyspace.total_keys(), 2);
    }

    #[test]
    fn two_dbs_in_either_order() {
        let mut keyspace = Keyspace::new(4);
        keyspace.db_mut(1).set(b"x", string(b"1"), false, 0);
        let (source, target) = keyspace.two_dbs_mut(1, 2);
        let value = source.remove(b"x", 0).expect("present");
        target.set(b"x", value, false, 0);
        let (target, source) = keyspace.two_dbs_mut(2, 1);
        assert!(target.contains(b"x", 0));
        assert!(!source.contains(b"x", 0));
    }

    #[test]
    fn expired_counts_from_lazy_and_active_expiry() {
        let mut keyspace = Keyspace::new(3);
        for db in 0..3 {
            for i in 0..30 {
                let key = format!("k{i}");
                keyspace
                    .db_mut(db)
                    .set(key.as_bytes(), string(b"v"), false, 0);
                keyspace.db_mut(db).set_expire_at_ms(key.as_bytes(), 10, 0);
            }
        }
        assert!(keyspace.db_mut(1).lookup(b"k0", 11).is_none());
        assert_eq!(keyspace.expired_keys(), 1);
        assert_eq!(keyspace.expired_keys_total, 0);
        assert_eq!(keyspace.collect_expired(), 1);
        let report = keyspace.active_expire_cycle(11, 1000);
        assert_eq!(report.expired, 89);
        assert_eq!(keyspace.expired_keys_total, 90);
        assert_eq!(keyspace.total_keys(), 0);
    }

    #[test]
    fn active_cycle_round_robin_under_budget() {
        let mut keyspace = Keyspace::new(2);
        for db in 0..2 {
            for i in 0..100 {
                let key = format!("k{i}");
                keyspace
                    .db_mut(db)
                    .set(key.as_bytes(), string(b"v"), false, 0);
                keyspace.db_mut(db).set_expire_at_ms(key.as_bytes(), 10, 0);
            }
        }
        let first = keyspace.active_expire_cycle(11, 40);
        assert_eq!(first.sampled, 40);
        assert!(first.budget_exhausted);
        assert_eq!(keyspace.db(0).len(), 60);
        // The next cycle starts with the other database.
        keyspace.active_expire_cycle(11, 40);
        assert_eq!(keyspace.db(1).len(), 60);
        assert_eq!(keyspace.expired_keys_total, 80);
    }

    #[test]
    fn info_lines() {
        let mut keyspace = Keyspace::new(16);
        assert!(keyspace.info().is_empty());
        keyspace.db_mut(2).set(b"a", string(b"v"), false, 0);
        keyspace.db_mut(2).set(b"b", string(b"v"), false, 0);
        keyspace.db_mut(2).set_expire_at_ms(b"b", 5_000, 0);
        let info = keyspace.info();
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].0, 2);
        assert_eq!(info[0].1.to_string(), "keys=2,expires=1,avg_ttl=0");
        keyspace.active_expire_cycle(1_000, 100);
        assert_eq!(keyspace.info()[0].1.avg_ttl_ms, 4_000);
        assert_eq!(keyspace.clear_all(), 2);
        assert!(keyspace.info().is_empty());
    }

    #[test]
    #[should_panic(expected = "at least one database")]
    fn zero_databases_is_a_bug() {
        let _ = Keyspace::new(0);
    }
}

/// Memory measurement for eyeballing bytes per key; run with
/// `cargo test -p shoal-keyspace --release -- --ignored --nocapture memory`.
#[cfg(test)]
mod memory_tests {
    use super::*;

    /// Resident set size of this process, from /proc/self/statm (pages).
    fn rss_bytes() -> Option<usize> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let resident_pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(resident_pages * 4096)
    }

    #[test]
    #[ignore = "allocates ~100 MB; run by hand to measure bytes per key"]
    fn one_million_small_keys() {
        const KEYS: usize = 1_000_000;
        let before = rss_bytes().unwrap_or(0);
        let mut db = Db::new();
        for i in 0..KEYS {
            let key = format!("key:{i:08}");
            db.set(
                key.as_bytes(),
                Value::String(StringValue::from_bytes(b"0123456789")),
                false,
                0,
            );
        }
        let after = rss_bytes().unwrap_or(0);
        assert_eq!(db.len(), KEYS);
        let rss_per_key = after.saturating_sub(before) as f64 / KEYS as f64;
        let tables_per_key = db.table_bytes() as f64 / KEYS as f64;
        println!(
            "{KEYS} keys: RSS delta {:.1} bytes/key, table allocations {:.1} bytes/key",
            rss_per_key, tables_per_key
        );
        // Redis 7.0: 88 bytes/key used_memory, 99 bytes/key RSS.
        assert!(tables_per_key < 88.0, "{tables_per_key}");
    }
}
