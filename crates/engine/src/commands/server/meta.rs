//! Redis 7.0.15's command metadata that the command table rows do not
//! carry (yet): request/response tips, key specifications, documentation
//! history and deprecation. Generated from a real redis-server 7.0.15 with
//! `COMMAND` and `COMMAND DOCS`; do not edit by hand. Covers every Redis
//! command, so a family gets exact COMMAND INFO/DOCS output as soon as its
//! row exists. Rows without anything beyond the defaults are left out.
//!
//! It owns static data only and never looks anything up at run time besides
//! the binary search in `lookup`.

/// Where a key specification starts searching (Redis `begin_search`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BeginSearch {
    /// Keys start at this argument index.
    Index(i32),
    /// Keys start after `keyword`, searched from `startfrom` (negative: from the end).
    Keyword {
        /// The keyword.
        keyword: &'static str,
        /// First index searched.
        startfrom: i32,
    },
    /// Only the command's own key extraction knows.
    Unknown,
}

/// How keys are found after the start (Redis `find_keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FindKeys {
    /// `lastkey` relative to the start (negative: from the end), every `keystep`;
    /// `limit` > 1 means "a 1/limit share of the remaining arguments".
    Range {
        /// Last key, relative.
        lastkey: i32,
        /// Step.
        keystep: i32,
        /// Limit divisor.
        limit: i32,
    },
    /// The number of keys is at `keynumidx`, keys from `firstkey`, every `keystep`
    /// (both relative to the start).
    Keynum {
        /// Index of the count.
        keynumidx: i32,
        /// First key.
        firstkey: i32,
        /// Step.
        keystep: i32,
    },
    /// Only the command's own key extraction knows.
    Unknown,
}

/// One key specification, as COMMAND INFO prints it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeySpecMeta {
    /// Free text `notes` (empty: absent).
    pub(crate) notes: &'static str,
    /// Flags such as `RW`, `access`, `update`.
    pub(crate) flags: &'static [&'static str],
    /// Start of the search.
    pub(crate) begin_search: BeginSearch,
    /// Key finding after the start.
    pub(crate) find_keys: FindKeys,
}

/// Metadata of one command or subcommand (full name such as `config|get`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommandMeta {
    /// Full lower-case name.
    pub(crate) name: &'static str,
    /// COMMAND INFO tips.
    pub(crate) tips: &'static [&'static str],
    /// COMMAND INFO key specifications.
    pub(crate) key_specs: &'static [KeySpecMeta],
    /// COMMAND DOCS history: (version, description).
    pub(crate) history: &'static [(&'static str, &'static str)],
    /// COMMAND DOCS doc_flags (`deprecated`, `syscmd`).
    pub(crate) doc_flags: &'static [&'static str],
    /// COMMAND DOCS deprecated_since (empty: absent).
    pub(crate) deprecated_since: &'static str,
    /// COMMAND DOCS replaced_by (empty: absent).
    pub(crate) replaced_by: &'static str,
}

/// The metadata of `full_name` (lower case), if Redis 7.0.15 has any beyond defaults.
pub(crate) fn lookup(full_name: &str) -> Option<&'static CommandMeta> {
    COMMAND_META
        .binary_search_by(|meta| meta.name.cmp(full_name))
        .ok()
        .and_then(|index| COMMAND_META.get(index))
}

const fn idx(index: i32) -> BeginSearch {
    BeginSearch::Index(index)
}

const fn kw(keyword: &'static str, startfrom: i32) -> BeginSearch {
    BeginSearch::Keyword { keyword, startfrom }
}

const fn range(lastkey: i32, keystep: i32, limit: i32) -> FindKeys {
    FindKeys::Range {
        lastkey,
        keystep,
        limit,
    }
}

const fn keynum(keynumidx: i32, firstkey: i32, keystep: i32) -> FindKeys {
    FindKeys::Keynum {
        keynumidx,
        firstkey,
        keystep,
    }
}

const fn spec(
    notes: &'static str,
    flags: &'static [&'static str],
    begin_search: BeginSearch,
    find_keys: FindKeys,
) -> KeySpecMeta {
    KeySpecMeta {
        notes,
        flags,
        begin_search,
        find_keys,
    }
}

const fn meta(
    name: &'static str,
    tips: &'static [&'static str],
    key_specs: &'static [KeySpecMeta],
    history: &'static [(&'static str, &'static str)],
    doc_flags: &'static [&'static str],
    deprecated_since: &'static str,
    replaced_by: &'static str,
) -> CommandMeta {
    CommandMeta {
        name,
        tips,
        key_specs,
        history,
        doc_flags,
        deprecated_since,
        replaced_by,
    }
}

/// Every entry, sorted by name (checked by a test).
#[rustfmt::skip]
pub(crate) const COMMAND_META: &[CommandMeta] = &[
    meta("acl|getuser", &[], &[], &[("6.2.0", "Added Pub/Sub channel patterns."), ("7.0.0", "Added selectors and changed the format of key and channel patterns from a list to their rule representation.")], &[], "", ""),
    meta("acl|setuser", &[], &[], &[("6.2.0", "Added Pub/Sub channel patterns."), ("7.0.0", "Added selectors and key based permissions.")], &[], "", ""),
    meta("append", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("auth", &[], &[], &[("6.0.0", "Added ACL style (username and password).")], &[], "", ""),
    meta("bgsave", &[], &[], &[("3.2.2", "Added the `SCHEDULE` option.")], &[], "", ""),
    meta("bitcount", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added the `BYTE|BIT` option.")], &[], "", ""),
    meta("bitfield", &[], &[spec("This command allows both access and modification of the key", &["RW", "access", "update", "variable_flags"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("bitfield_ro", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("bitop", &[], &[spec("", &["OW", "update"], idx(2), range(0, 1, 0)), spec("", &["RO", "access"], idx(3), range(-1, 1, 0))], &[], &[], "", ""),
    meta("bitpos", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added the `BYTE|BIT` option.")], &[], "", ""),
    meta("blmove", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("blmpop", &[], &[spec("", &["RW", "access", "delete"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("blpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(-2, 1, 0))], &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")], &[], "", ""),
    meta("brpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(-2, 1, 0))], &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")], &[], "", ""),
    meta("brpoplpush", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")], &["deprecated"], "6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    meta("bzmpop", &[], &[spec("", &["RW", "access", "delete"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("bzpopmax", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(-2, 1, 0))], &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")], &[], "", ""),
    meta("bzpopmin", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(-2, 1, 0))], &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")], &[], "", ""),
    meta("client|info", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("client|kill", &[], &[], &[("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."), ("3.2.0", "Added `master` type in for `TYPE` option."), ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."), ("6.2.0", "`LADDR` option.")], &[], "", ""),
    meta("client|list", &["nondeterministic_output"], &[], &[("2.8.12", "Added unique client `id` field."), ("5.0.0", "Added optional `TYPE` filter."), ("6.0.0", "Added `user` field."), ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."), ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."), ("7.0.3", "Added `ssub` field.")], &[], "", ""),
    meta("client|pause", &[], &[], &[("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option.")], &[], "", ""),
    meta("cluster|bumpepoch", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|count-failure-reports", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|getkeysinslot", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|info", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|links", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|meet", &[], &[], &[("4.0.0", "Added the optional `cluster_bus_port` argument.")], &[], "", ""),
    meta("cluster|nodes", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|replicas", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|shards", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("cluster|slaves", &["nondeterministic_output"], &[], &[], &["deprecated"], "5.0.0", "`CLUSTER REPLICAS`"),
    meta("cluster|slots", &["nondeterministic_output"], &[], &[("4.0.0", "Added node IDs."), ("7.0.0", "Added additional networking metadata field.")], &["deprecated"], "7.0.0", "`CLUSTER SHARDS`"),
    meta("command", &["nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("command|docs", &["nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("command|info", &["nondeterministic_output_order"], &[], &[("7.0.0", "Allowed to be called with no argument to get info on all commands.")], &[], "", ""),
    meta("command|list", &["nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("config|get", &[], &[], &[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")], &[], "", ""),
    meta("config|set", &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], &[("7.0.0", "Added the ability to set multiple parameters in one call.")], &[], "", ""),
    meta("copy", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0)), spec("", &["OW", "update"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("dbsize", &["request_policy:all_shards", "response_policy:agg_sum"], &[], &[], &[], "", ""),
    meta("debug", &[], &[], &[], &["syscmd"], "", ""),
    meta("decr", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("decrby", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("del", &["request_policy:multi_shard", "response_policy:agg_sum"], &[spec("", &["RM", "delete"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("dump", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("eval", &[], &[spec("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", &["RW", "access", "update"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("eval_ro", &[], &[spec("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("evalsha", &[], &[spec("", &["RW", "access", "update"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("evalsha_ro", &[], &[spec("", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("exists", &["request_policy:multi_shard", "response_policy:agg_sum"], &[spec("", &["RO"], idx(1), range(-1, 1, 0))], &[("3.0.3", "Accepts multiple `key` arguments.")], &[], "", ""),
    meta("expire", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")], &[], "", ""),
    meta("expireat", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")], &[], "", ""),
    meta("expiretime", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("fcall", &[], &[spec("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", &["RW", "access", "update"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("fcall_ro", &[], &[spec("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("flushall", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")], &[], "", ""),
    meta("flushdb", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")], &[], "", ""),
    meta("function|delete", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("function|flush", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("function|kill", &["request_policy:all_shards", "response_policy:one_succeeded"], &[], &[], &[], "", ""),
    meta("function|list", &["nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("function|load", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("function|restore", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("function|stats", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], &[], &[], "", ""),
    meta("geoadd", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `CH`, `NX` and `XX` options.")], &[], "", ""),
    meta("geodist", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("geohash", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("geopos", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("georadius", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0)), spec("", &["OW", "update"], kw("STORE", 6), range(0, 1, 0)), spec("", &["OW", "update"], kw("STOREDIST", 6), range(0, 1, 0))], &[("6.2.0", "Added the `ANY` option for `COUNT`."), ("7.0.0", "Added support for uppercase unit names.")], &["deprecated"], "6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
    meta("georadius_ro", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `ANY` option for `COUNT`.")], &["deprecated"], "6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument"),
    meta("georadiusbymember", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0)), spec("", &["OW", "update"], kw("STORE", 5), range(0, 1, 0)), spec("", &["OW", "update"], kw("STOREDIST", 5), range(0, 1, 0))], &[("7.0.0", "Added support for uppercase unit names.")], &["deprecated"], "6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    meta("georadiusbymember_ro", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    meta("geosearch", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added support for uppercase unit names.")], &[], "", ""),
    meta("geosearchstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(0, 1, 0))], &[("7.0.0", "Added support for uppercase unit names.")], &[], "", ""),
    meta("get", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("getbit", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("getdel", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("getex", &[], &[spec("RW and UPDATE because it changes the TTL", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("getrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("getset", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`SET` with the `!GET` argument"),
    meta("hdel", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple `field` arguments.")], &[], "", ""),
    meta("hello", &[], &[], &[("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context.")], &[], "", ""),
    meta("hexists", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hget", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hgetall", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hincrby", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hincrbyfloat", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hkeys", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hlen", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hmget", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hmset", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "4.0.0", "`HSET` with multiple field-value pairs"),
    meta("hrandfield", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hscan", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hset", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("4.0.0", "Accepts multiple `field` and `value` arguments.")], &[], "", ""),
    meta("hsetnx", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hstrlen", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("hvals", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("incr", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("incrby", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("incrbyfloat", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("info", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], &[("7.0.0", "Added support for taking multiple section arguments.")], &[], "", ""),
    meta("keys", &["request_policy:all_shards", "nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("lastsave", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("latency|doctor", &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], &[], &[], "", ""),
    meta("latency|graph", &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], &[], &[], "", ""),
    meta("latency|histogram", &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], &[], &[], "", ""),
    meta("latency|history", &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], &[], &[], "", ""),
    meta("latency|latest", &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], &[], &[], "", ""),
    meta("latency|reset", &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("lcs", &[], &[spec("", &["RO", "access"], idx(1), range(1, 1, 0))], &[], &[], "", ""),
    meta("lindex", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("linsert", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("llen", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("lmove", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("lmpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("lpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `count` argument.")], &[], "", ""),
    meta("lpos", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("lpush", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple `element` arguments.")], &[], "", ""),
    meta("lpushx", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[("4.0.0", "Accepts multiple `element` arguments.")], &[], "", ""),
    meta("lrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("lrem", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("lset", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("ltrim", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("memory|doctor", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], &[], &[], "", ""),
    meta("memory|malloc-stats", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], &[], &[], "", ""),
    meta("memory|purge", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("memory|stats", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], &[], &[], "", ""),
    meta("memory|usage", &[], &[spec("", &["RO"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("mget", &["request_policy:multi_shard"], &[spec("", &["RO", "access"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("migrate", &["nondeterministic_output"], &[spec("", &["RW", "access", "delete"], idx(3), range(0, 1, 0)), spec("", &["RW", "access", "delete", "incomplete"], kw("KEYS", -2), range(-1, 1, 0))], &[("3.0.0", "Added the `COPY` and `REPLACE` options."), ("3.0.6", "Added the `KEYS` option."), ("4.0.7", "Added the `AUTH` option."), ("6.0.0", "Added the `AUTH2` option.")], &[], "", ""),
    meta("module|list", &["nondeterministic_output_order"], &[], &[], &[], "", ""),
    meta("move", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("mset", &["request_policy:multi_shard", "response_policy:all_succeeded"], &[spec("", &["OW", "update"], idx(1), range(-1, 2, 0))], &[], &[], "", ""),
    meta("msetnx", &["request_policy:multi_shard", "response_policy:agg_min"], &[spec("", &["OW", "insert"], idx(1), range(-1, 2, 0))], &[], &[], "", ""),
    meta("object|encoding", &["nondeterministic_output"], &[spec("", &["RO"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("object|freq", &["nondeterministic_output"], &[spec("", &["RO"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("object|idletime", &["nondeterministic_output"], &[spec("", &["RO"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("object|refcount", &["nondeterministic_output"], &[spec("", &["RO"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("persist", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("pexpire", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")], &[], "", ""),
    meta("pexpireat", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")], &[], "", ""),
    meta("pexpiretime", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("pfadd", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("pfcount", &[], &[spec("RW because it may change the internal representation of the key, and propagate to replicas", &["RW", "access"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("pfdebug", &[], &[spec("", &["RW", "access"], idx(2), range(0, 1, 0))], &[], &["syscmd"], "", ""),
    meta("pfmerge", &[], &[spec("", &["RW", "access", "insert"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(-1, 1, 0))], &[], &[], "", ""),
    meta("pfselftest", &[], &[], &[], &["syscmd"], "", ""),
    meta("ping", &["request_policy:all_shards", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("psetex", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("pttl", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("2.8.0", "Added the -2 reply.")], &[], "", ""),
    meta("randomkey", &["request_policy:all_shards", "nondeterministic_output"], &[], &[], &[], "", ""),
    meta("rename", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["OW", "update"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("renamenx", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["OW", "insert"], idx(2), range(0, 1, 0))], &[("3.2.0", "The command no longer returns an error when source and destination names are the same.")], &[], "", ""),
    meta("replconf", &[], &[], &[], &["syscmd"], "", ""),
    meta("restore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0))], &[("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."), ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")], &[], "", ""),
    meta("restore-asking", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0))], &[("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."), ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")], &["syscmd"], "", ""),
    meta("rpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `count` argument.")], &[], "", ""),
    meta("rpoplpush", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    meta("rpush", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple `element` arguments.")], &[], "", ""),
    meta("rpushx", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[("4.0.0", "Accepts multiple `element` arguments.")], &[], "", ""),
    meta("sadd", &[], &[spec("", &["RW", "insert"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple `member` arguments.")], &[], "", ""),
    meta("scan", &["nondeterministic_output", "request_policy:special"], &[], &[("6.0.0", "Added the `TYPE` subcommand.")], &[], "", ""),
    meta("scard", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("script|exists", &["request_policy:all_shards", "response_policy:agg_logical_and"], &[], &[], &[], "", ""),
    meta("script|flush", &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], &[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")], &[], "", ""),
    meta("script|kill", &["request_policy:all_shards", "response_policy:one_succeeded"], &[], &[], &[], "", ""),
    meta("script|load", &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("sdiff", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("sdiffstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(-1, 1, 0))], &[], &[], "", ""),
    meta("set", &[], &[spec("RW and ACCESS due to the optional `GET` argument", &["RW", "access", "update", "variable_flags"], idx(1), range(0, 1, 0))], &[("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."), ("6.0.0", "Added the `KEEPTTL` option."), ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."), ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")], &[], "", ""),
    meta("setbit", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("setex", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("setnx", &[], &[spec("", &["OW", "insert"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("setrange", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("shutdown", &[], &[], &[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")], &[], "", ""),
    meta("sinter", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("sintercard", &[], &[spec("", &["RO", "access"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("sinterstore", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(-1, 1, 0))], &[], &[], "", ""),
    meta("sismember", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("slaveof", &[], &[], &[], &["deprecated"], "5.0.0", "`REPLICAOF`"),
    meta("slowlog|get", &["request_policy:all_nodes", "nondeterministic_output"], &[], &[("4.0.0", "Added client IP address, port and name to the reply.")], &[], "", ""),
    meta("slowlog|len", &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"], &[], &[], &[], "", ""),
    meta("slowlog|reset", &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], &[], &[], "", ""),
    meta("smembers", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("smismember", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("smove", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0)), spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("sort", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0)), spec("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", &["RO", "access"], BeginSearch::Unknown, FindKeys::Unknown), spec("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", &["OW", "update"], BeginSearch::Unknown, FindKeys::Unknown)], &[], &[], "", ""),
    meta("sort_ro", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0)), spec("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", &["RO", "access"], BeginSearch::Unknown, FindKeys::Unknown)], &[], &[], "", ""),
    meta("spop", &["nondeterministic_output"], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[("3.2.0", "Added the `count` argument.")], &[], "", ""),
    meta("spublish", &[], &[spec("", &["not_key"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("srandmember", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("2.6.0", "Added the optional `count` argument.")], &[], "", ""),
    meta("srem", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple `member` arguments.")], &[], "", ""),
    meta("sscan", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("ssubscribe", &[], &[spec("", &["not_key"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("strlen", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("substr", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "2.0.0", "`GETRANGE`"),
    meta("sunion", &["nondeterministic_output_order"], &[spec("", &["RO", "access"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("sunionstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(-1, 1, 0))], &[], &[], "", ""),
    meta("sunsubscribe", &[], &[spec("", &["not_key"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("time", &["nondeterministic_output"], &[], &[], &[], "", ""),
    meta("touch", &["request_policy:multi_shard", "response_policy:agg_sum"], &[spec("", &["RO"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("ttl", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("2.8.0", "Added the -2 reply.")], &[], "", ""),
    meta("type", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("unlink", &["request_policy:multi_shard", "response_policy:agg_sum"], &[spec("", &["RM", "delete"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("wait", &["request_policy:all_shards", "response_policy:agg_min"], &[], &[], &[], "", ""),
    meta("watch", &[], &[spec("", &["RO"], idx(1), range(-1, 1, 0))], &[], &[], "", ""),
    meta("xack", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("xadd", &["nondeterministic_output"], &[spec("UPDATE instead of INSERT because of the optional trimming feature", &["RW", "update"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."), ("7.0.0", "Added support for the `<ms>-*` explicit ID form.")], &[], "", ""),
    meta("xautoclaim", &["nondeterministic_output"], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL")], &[], "", ""),
    meta("xclaim", &["nondeterministic_output"], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("xdel", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("xgroup|create", &[], &[spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[("7.0.0", "Added the `entries_read` named argument.")], &[], "", ""),
    meta("xgroup|createconsumer", &[], &[spec("", &["RW", "insert"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("xgroup|delconsumer", &[], &[spec("", &["RW", "delete"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("xgroup|destroy", &[], &[spec("", &["RW", "delete"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("xgroup|setid", &[], &[spec("", &["RW", "update"], idx(2), range(0, 1, 0))], &[("7.0.0", "Added the optional `entries_read` argument.")], &[], "", ""),
    meta("xinfo|consumers", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("xinfo|groups", &[], &[spec("", &["RO", "access"], idx(2), range(0, 1, 0))], &[("7.0.0", "Added the `entries-read` and `lag` fields")], &[], "", ""),
    meta("xinfo|stream", &[], &[spec("", &["RO", "access"], idx(2), range(0, 1, 0))], &[("6.0.0", "Added the `FULL` modifier."), ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields")], &[], "", ""),
    meta("xlen", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("xpending", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `IDLE` option and exclusive range intervals.")], &[], "", ""),
    meta("xrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added exclusive ranges.")], &[], "", ""),
    meta("xread", &[], &[spec("", &["RO", "access"], kw("STREAMS", 1), range(-1, 1, 2))], &[], &[], "", ""),
    meta("xreadgroup", &[], &[spec("", &["RO", "access"], kw("STREAMS", 4), range(-1, 1, 2))], &[], &[], "", ""),
    meta("xrevrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added exclusive ranges.")], &[], "", ""),
    meta("xsetid", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.")], &[], "", ""),
    meta("xtrim", &["nondeterministic_output"], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option.")], &[], "", ""),
    meta("zadd", &[], &[spec("", &["RW", "update"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple elements."), ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."), ("6.2.0", "Added the `GT` and `LT` options.")], &[], "", ""),
    meta("zcard", &[], &[spec("", &["RO"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zcount", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zdiff", &[], &[spec("", &["RO", "access"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zdiffstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zincrby", &[], &[spec("", &["RW", "access", "update"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zinter", &[], &[spec("", &["RO", "access"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zintercard", &[], &[spec("", &["RO", "access"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zinterstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zlexcount", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zmpop", &[], &[spec("", &["RW", "access", "delete"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zmscore", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zpopmax", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zpopmin", &[], &[spec("", &["RW", "access", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zrandmember", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")], &[], "", ""),
    meta("zrangebylex", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    meta("zrangebyscore", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("2.0.0", "Added the `WITHSCORES` modifier.")], &["deprecated"], "6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    meta("zrangestore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), range(0, 1, 0))], &[], &[], "", ""),
    meta("zrank", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zrem", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[("2.4.0", "Accepts multiple elements.")], &[], "", ""),
    meta("zremrangebylex", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zremrangebyrank", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zremrangebyscore", &[], &[spec("", &["RW", "delete"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zrevrange", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`ZRANGE` with the `REV` argument"),
    meta("zrevrangebylex", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &["deprecated"], "6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    meta("zrevrangebyscore", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[("2.1.6", "`min` and `max` can be exclusive.")], &["deprecated"], "6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    meta("zrevrank", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zscan", &["nondeterministic_output"], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zscore", &[], &[spec("", &["RO", "access"], idx(1), range(0, 1, 0))], &[], &[], "", ""),
    meta("zunion", &[], &[spec("", &["RO", "access"], idx(1), keynum(0, 1, 1))], &[], &[], "", ""),
    meta("zunionstore", &[], &[spec("", &["OW", "update"], idx(1), range(0, 1, 0)), spec("", &["RO", "access"], idx(2), keynum(0, 1, 1))], &[], &[], "", ""),
];
