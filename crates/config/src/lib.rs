//! shoal-config: Shoal's configuration model, a faithful re-implementation of Redis
//! 7.0.15 `config.c`: every directive with its type, range, default, aliases and flags;
//! redis.conf parsing (quotes, `include`, units, last-one-wins); `redis-server`-style
//! command-line arguments; CONFIG GET (glob, aliases), CONFIG SET (atomic, exact error
//! replies) and CONFIG REWRITE (keeps the original file's lines and comments).
//!
//! It owns configuration *values* only. It must never do I/O (files are read through a
//! caller-supplied closure, `dir` is never `chdir`ed here, sockets are never bound), never
//! read the clock and never panic on user input. Applying a change (re-binding a port,
//! changing directory) is the server's job: it calls [`Config::set`], applies the returned
//! names, and restores a clone of the previous `Config` if applying fails.
//!
//! Not every directive changes Shoal's behaviour yet: see [`Config::is_effective`] and
//! [`Config::not_yet_effective`].

mod error;
mod load;
mod rewrite;
mod table;
mod util;

pub use error::{ConfigError, ErrorLocation, REDIS_VERSION};

use table::{Entry, Kind, NumFmt, Spec, Special, TABLE};
use util::{memtoull, split_args, string2d, string2ll, strtoll};

/// Keyspace notification class bits (`notify-keyspace-events`), as in Redis `server.h`.
pub mod notify {
    /// `K`: keyspace events (`__keyspace@<db>__` channel).
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: keyevent events (`__keyevent@<db>__` channel).
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key-miss events (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// `d`: module key type events.
    pub const MODULE: u32 = 1 << 12;
    /// `n`: new key events (not part of `A`).
    pub const NEW: u32 = 1 << 13;
    /// `A`: alias for `g$lshzxetd`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Client classes of `client-output-buffer-limit` (Redis `CLIENT_TYPE_NORMAL/SLAVE/PUBSUB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientClass {
    /// Normal clients.
    Normal,
    /// Replicas (and MONITOR clients); printed as "slave" by CONFIG GET.
    Replica,
    /// Clients subscribed to at least one channel or pattern.
    PubSub,
}

impl ClientClass {
    fn index(self) -> usize {
        match self {
            ClientClass::Normal => 0,
            ClientClass::Replica => 1,
            ClientClass::PubSub => 2,
        }
    }
}

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ObufLimit {
    pub(crate) hard_bytes: u64,
    pub(crate) soft_bytes: u64,
    pub(crate) soft_seconds: i64,
}

/// Redis `clientBufferLimitsDefaults`.
pub(crate) const OBUF_DEFAULTS: [ObufLimit; 3] = [
    ObufLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];
/// Class names as printed by CONFIG GET (Redis `getClientTypeName`).
const OBUF_CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];
/// Redis `configOOMScoreAdjValuesDefaults`.
pub(crate) const OOM_DEFAULTS: [i32; 3] = [0, 200, 800];
/// Redis `CONFIG_DEFAULT_BINDADDR`.
pub(crate) const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];
/// Redis `CONFIG_BINDADDR_MAX`.
const BINDADDR_MAX: usize = 16;
/// Redis `CONFIG_MIN_HZ` / `CONFIG_MAX_HZ`.
const MIN_HZ: i64 = 1;
const MAX_HZ: i64 = 500;
/// Redis `NET_HOST_STR_LEN`.
const NET_HOST_STR_LEN: usize = 256;
/// The error CONFIG SET gives for DENY_LOADING directives while loading (shared.loadingerr).
const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

/// A config-file-only directive that this crate records but cannot validate by itself
/// (`rename-command`, `user`, `loadmodule`). The location lets the server report a
/// problem with [`ConfigError::fatal_at`] exactly like Redis does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDirective {
    /// The arguments after the directive name.
    pub args: Vec<String>,
    /// 1-based line number in the text where it appeared.
    pub line: usize,
    /// The trimmed line.
    pub text: String,
}

/// Stored value of a table directive. Special directives live in dedicated fields.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Bool(bool),
    /// The C value's bit pattern as `long long` (unsigned ones are reinterpreted).
    Num(i64),
    Enum(u32),
    Str(Option<String>),
    Special,
}

/// All directive values of one server (Redis `server.*` configuration fields).
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<Value>,
    /// `dir`: "" until configured; relative paths are joined onto the previous `dir` (Redis
    /// `chdir`s on every `dir` line). The server resolves it with [`Config::set_dir_resolved`].
    dir: String,
    save: Vec<(i64, i32)>,
    obuf: [ObufLimit; 3],
    oom_values: [i32; 3],
    notify_flags: u32,
    bind: Vec<String>,
    replicaof: Option<(String, i64)>,
    percentiles: Vec<f64>,
    rename_commands: Vec<FileDirective>,
    users: Vec<FileDirective>,
    load_modules: Vec<FileDirective>,
    module_configs: Vec<(String, String)>,
    config_file: Option<String>,
    /// Redis `reading_config_file` (affects `save`, see `set_save`).
    reading_config_file: bool,
    /// Redis' function-static `save_loaded` in `setConfigSaveOption`.
    save_loaded: bool,
}

impl Default for Config {
    fn default() -> Self {
        let values = TABLE
            .iter()
            .map(|spec| match spec.kind {
                Kind::Bool { default } => Value::Bool(default),
                Kind::Num { default, .. } => Value::Num(default),
                Kind::Enum { default, .. } => Value::Enum(default),
                Kind::Str {
                    default,
                    empty_is_null,
                } => Value::Str(match default {
                    Some(d) if !(empty_is_null && d.is_empty()) => Some(d.to_string()),
                    _ => None,
                }),
                Kind::Special(_) => Value::Special,
            })
            .collect();
        Config {
            values,
            dir: String::new(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            obuf: OBUF_DEFAULTS,
            oom_values: OOM_DEFAULTS,
            notify_flags: 0,
            bind: DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
            replicaof: None,
            percentiles: vec![50.0, 99.0, 99.9],
            rename_commands: Vec::new(),
            users: Vec::new(),
            load_modules: Vec::new(),
            module_configs: Vec::new(),
            config_file: None,
            reading_config_file: false,
            save_loaded: false,
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Format the CONFIG SET failure reply (without the leading '-').
pub fn format_set_error(argument: &str, reason: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{argument}') - {reason}")
}

/// Redis `allowProtectedAction`: "yes" allows everyone, "local" only local clients
/// (loopback or unix socket), "no" nobody.
pub fn protected_action_allowed(setting: &str, client_is_local: bool) -> bool {
    match setting {
        "yes" => true,
        "local" => client_is_local,
        _ => false,
    }
}

impl Config {
    // ------------------------------------------------------------------ metadata ----

    /// Canonical names of every directive (hidden ones included), in table order.
    pub fn directive_names() -> Vec<&'static str> {
        TABLE.iter().map(|s| s.name).collect()
    }

    /// Whether `name` (canonical or alias, any case) is a directive CONFIG SET/GET knows.
    pub fn is_directive(name: &[u8]) -> bool {
        table::lookup(name).is_some()
    }

    /// The canonical name for a directive name or alias.
    pub fn canonical_name(name: &[u8]) -> Option<&'static str> {
        table::lookup(name).map(|e| e.spec().name)
    }

    /// Whether the directive's value must be redacted from SLOWLOG / MONITOR
    /// (`requirepass`, `masterauth`, `masteruser`).
    pub fn is_sensitive(name: &[u8]) -> bool {
        table::lookup(name).is_some_and(|e| e.spec().has(table::SENSITIVE))
    }

    /// Whether CONFIG SET refuses the directive as immutable.
    pub fn is_immutable(name: &[u8]) -> bool {
        table::lookup(name).is_some_and(|e| e.spec().has(table::IMMUTABLE))
    }

    /// Whether CONFIG SET needs `enable-protected-configs` for the directive.
    pub fn is_protected(name: &[u8]) -> bool {
        table::lookup(name).is_some_and(|e| e.spec().has(table::PROTECTED))
    }

    /// Whether Shoal honours the directive today (name or alias, any case). Every
    /// directive is accepted and stored; the others simply have no effect yet.
    pub fn is_effective(name: &str) -> bool {
        Self::canonical_name(name.as_bytes()).is_some_and(|c| table::EFFECTIVE.contains(&c))
    }

    /// Canonical names of the directives that are accepted but not honoured yet
    /// (hidden debugging directives excluded), in table order.
    pub fn not_yet_effective() -> Vec<&'static str> {
        TABLE
            .iter()
            .filter(|s| !s.has(table::HIDDEN) && !table::EFFECTIVE.contains(&s.name))
            .map(|s| s.name)
            .collect()
    }

    // ------------------------------------------------------------------ CONFIG GET ----

    /// CONFIG GET: every directive matching one of the patterns, each name once.
    /// A parameter without `[`, `*` or `?` is an exact, case-insensitive lookup (hidden
    /// directives included) and is echoed as given; patterns use Redis glob matching
    /// (case-insensitive), list aliases as their own entries and skip hidden directives.
    /// Names are compared case-insensitively for de-duplication, as Redis does.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let seen = |out: &Vec<(String, String)>, name: &str| {
            out.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            if !pattern.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                let name = lossy(pattern);
                if seen(&out, &name) {
                    continue;
                }
                if let Some(entry) = table::lookup(pattern) {
                    out.push((name, self.format_value(entry.index)));
                }
                continue;
            }
            for (index, spec) in TABLE.iter().enumerate() {
                if spec.has(table::HIDDEN) {
                    continue;
                }
                for name in std::iter::once(spec.name).chain(spec.alias) {
                    if !seen(&out, name) && util::string_match(pattern, name.as_bytes(), true) {
                        out.push((name.to_string(), self.format_value(index)));
                    }
                }
            }
        }
        out
    }

    /// The CONFIG GET text of one directive (canonical name or alias), or `None`.
    pub fn get_one(&self, name: &str) -> Option<String> {
        table::lookup_str(name).map(|i| self.format_value(i))
    }

    // ------------------------------------------------------------------ CONFIG SET ----

    /// CONFIG SET with (name, value) pairs, atomically: either every value is applied or
    /// nothing changes. `protected_allowed` is [`protected_action_allowed`] of
    /// `enable-protected-configs` for the calling client. Returns the canonical names whose
    /// value changed (the server applies those: port, bind, ...). `Err` is the exact Redis
    /// error reply without the leading '-'. An odd argument count ("ERR syntax error") is
    /// the caller's check.
    pub fn set(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        protected_allowed: bool,
    ) -> Result<Vec<&'static str>, Vec<u8>> {
        self.set_with(pairs, protected_allowed, false)
    }

    /// [`Config::set`] with the loading state: while a dataset is loading, directives
    /// flagged deny-loading (`appendonly`, `repl-diskless-load`, `dir`) fail with
    /// "LOADING Redis is loading the dataset in memory".
    pub fn set_with(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        protected_allowed: bool,
        loading: bool,
    ) -> Result<Vec<&'static str>, Vec<u8>> {
        // Phase 1 (Redis configSetCommand): resolve every name; the first problem wins.
        let mut entries: Vec<Entry> = Vec::with_capacity(pairs.len());
        let mut failure: Option<String> = None;
        // Raw bytes: Redis echoes the unknown name with `%s`.
        let mut unknown: Option<Vec<u8>> = None;
        let mut deny_loading = false;
        for (name, _) in pairs {
            let Some(entry) = table::lookup(name) else {
                if failure.is_none() && unknown.is_none() && !deny_loading {
                    unknown = Some(name.split(|&byte| byte == 0).next().unwrap_or(&[]).to_vec());
                }
                continue;
            };
            if failure.is_some() || unknown.is_some() || deny_loading {
                continue;
            }
            let spec = entry.spec();
            if spec.has(table::IMMUTABLE) || (spec.has(table::PROTECTED) && !protected_allowed) {
                let reason = if spec.has(table::IMMUTABLE) {
                    "can't set immutable config"
                } else {
                    "can't set protected config"
                };
                failure = Some(format_set_error(&lossy(name), reason));
                continue;
            }
            if loading && spec.has(table::DENY_LOADING) {
                deny_loading = true;
                continue;
            }
            if entries.contains(&entry) {
                failure = Some(format_set_error(&lossy(name), "duplicate parameter"));
                continue;
            }
            entries.push(entry);
        }
        if deny_loading {
            return Err(LOADING_ERROR.as_bytes().to_vec());
        }
        if let Some(name) = unknown {
            return Err([
                &b"ERR Unknown option or number of arguments for CONFIG SET - '"[..],
                &name,
                b"'",
            ]
            .concat());
        }
        if let Some(err) = failure {
            return Err(err.into_bytes());
        }

        // Phase 2: set every value on a copy; any error leaves `self` untouched.
        let mut next = self.clone();
        next.reading_config_file = false;
        for (entry, (_, value)) in entries.iter().zip(pairs) {
            let args: Vec<Vec<u8>> = if entry.spec().has(table::MULTI_ARG) {
                // sdssplitlen(value, " "): empty input gives no argument, empty words stay.
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(|&c| c == b' ').map(<[u8]>::to_vec).collect()
                }
            } else {
                vec![value.to_vec()]
            };
            next.set_args(*entry, &args).map_err(|reason| {
                format_set_error(entry.registered_name(), &reason).into_bytes()
            })?;
        }
        let mut changed = Vec::new();
        for entry in &entries {
            let name = entry.spec().name;
            if !changed.contains(&name)
                && self.format_value(entry.index) != next.format_value(entry.index)
            {
                changed.push(name);
            }
        }
        next.reading_config_file = self.reading_config_file;
        *self = next;
        Ok(changed)
    }

    /// Redis `interface.set` for one directive with its already split arguments.
    fn set_args(&mut self, entry: Entry, args: &[Vec<u8>]) -> Result<(), String> {
        let spec = entry.spec();
        let first: &[u8] = args.first().map(Vec::as_slice).unwrap_or_default();
        let value = match spec.kind {
            Kind::Bool { .. } => {
                let v = if first.eq_ignore_ascii_case(b"yes") {
                    true
                } else if first.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                };
                if spec.name == "activedefrag" && v {
                    // Shoal, like a Redis built without its patched jemalloc, cannot defrag.
                    return Err(
                        "Active defragmentation cannot be enabled: it requires a Redis \
                                server compiled with a modified Jemalloc like the one shipped \
                                by default with the Redis source distribution"
                            .into(),
                    );
                }
                Value::Bool(v)
            }
            Kind::Num {
                min,
                max,
                unsigned,
                fmt,
                ..
            } => {
                let mut v = parse_number(fmt, first)?;
                check_bounds(v, min, max, unsigned, fmt)?;
                if spec.name == "hz" {
                    // updateHZ: out-of-range values are accepted but capped.
                    v = v.clamp(MIN_HZ, MAX_HZ);
                }
                Value::Num(v)
            }
            Kind::Enum { values, .. } => {
                let multi = spec.has(table::MULTI_ARG);
                let v = parse_enum(values, args, multi).ok_or_else(|| {
                    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
                    format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )
                })?;
                if multi && v & 1 != 0 && v & 2 != 0 {
                    return Err(
                        "shutdown options SAVE and NOSAVE can't be used simultaneously".into(),
                    );
                }
                Value::Enum(v)
            }
            Kind::Str { empty_is_null, .. } => {
                let text = lossy(first);
                validate_string(spec.name, &text)?;
                Value::Str(if empty_is_null && text.is_empty() {
                    None
                } else {
                    Some(text)
                })
            }
            Kind::Special(special) => {
                self.set_special(special, args)?;
                Value::Special
            }
        };
        self.values[entry.index] = value;
        Ok(())
    }

    fn set_special(&mut self, special: Special, args: &[Vec<u8>]) -> Result<(), String> {
        match special {
            Special::Dir => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                let path = lossy(&args[0]);
                // Redis chdir()s immediately, so a relative dir is relative to the previous
                // one; the server does the real chdir and reports its errors.
                self.dir = if path.starts_with('/') || self.dir.is_empty() {
                    path
                } else {
                    format!("{}/{}", self.dir.trim_end_matches('/'), path)
                };
            }
            Special::Save => self.set_save(args)?,
            Special::ClientOutputBufferLimit => self.set_obuf(args)?,
            Special::OomScoreAdjValues => {
                if args.len() != 3 {
                    return Err("wrong number of arguments".into());
                }
                let mut values = [0i32; 3];
                for (slot, arg) in values.iter_mut().zip(args) {
                    let r = strtoll(arg, 10);
                    if !r.at_end || r.value < -2000 || r.value > 2000 {
                        return Err("Invalid oom-score-adj-values, elements must be between \
                                    -2000 and 2000."
                            .into());
                    }
                    *slot = r.value as i32;
                }
                self.oom_values = values;
            }
            Special::NotifyKeyspaceEvents => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                self.notify_flags = parse_keyspace_events(&args[0])
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            }
            Special::Bind => {
                if args.len() > BINDADDR_MAX {
                    return Err("Too many bind addresses specified.".into());
                }
                if args.len() == 1 && args[0].is_empty() {
                    self.bind.clear();
                } else {
                    self.bind = args.iter().map(|a| lossy(a)).collect();
                }
            }
            Special::ReplicaOf => {
                if args.len() != 2 {
                    return Err("wrong number of arguments".into());
                }
                self.replicaof = None;
                if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                    return Ok(());
                }
                let port = strtoll(&args[1], 10);
                if port.value < 0 || port.value > 65535 || !port.at_end {
                    return Err("Invalid master port".into());
                }
                self.replicaof = Some((lossy(&args[0]), port.value));
            }
            Special::LatencyTrackingInfoPercentiles => {
                let mut values = Vec::new();
                if !(args.len() == 1 && args[0].is_empty()) {
                    for arg in args {
                        let v = string2d(arg)
                            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                        if !(0.0..=100.0).contains(&v) {
                            return Err("latency-tracking-info-percentiles parameters should \
                                        sit between [0.0,100.0]"
                                .into());
                        }
                        values.push(v);
                    }
                }
                self.percentiles = values;
            }
        }
        Ok(())
    }

    /// Redis `setConfigSaveOption` (7.0.15), including its config-file quirks: the first
    /// `save` line read from a file replaces the defaults and later lines append; `save ""`
    /// clears; outside file reading (CONFIG SET, or after an `include` finished) every call
    /// replaces the list.
    fn set_save(&mut self, args: &[Vec<u8>]) -> Result<(), String> {
        let mut args = args;
        if args.len() == 1 && args[0].is_empty() {
            self.save.clear();
            args = &[];
        }
        if args.len() % 2 == 1 {
            return Err("Invalid save parameters".into());
        }
        let mut parsed = Vec::with_capacity(args.len() / 2);
        for pair in args.chunks(2) {
            let seconds = strtoll(&pair[0], 10);
            let changes = strtoll(&pair[1], 10);
            if !seconds.at_end || seconds.value < 1 || !changes.at_end || changes.value < 0 {
                return Err("Invalid save parameters".into());
            }
            parsed.push((seconds.value, changes.value as i32));
        }
        if !self.reading_config_file {
            self.save.clear();
        } else if !self.save_loaded {
            self.save_loaded = true;
            self.save.clear();
        }
        self.save.extend(parsed);
        Ok(())
    }

    /// Redis `updateClientOutputBufferLimit`: groups of `<class> <hard> <soft> <seconds>`,
    /// all validated before any is stored.
    fn set_obuf(&mut self, args: &[Vec<u8>]) -> Result<(), String> {
        if !args.chunks_exact(4).remainder().is_empty() {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut updates = Vec::new();
        for group in args.chunks(4) {
            let class = match group[0].to_ascii_lowercase().as_slice() {
                b"normal" => 0,
                b"slave" | b"replica" => 1,
                b"pubsub" => 2,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    )
                }
            };
            let hard = memtoull(&group[1]);
            let soft = memtoull(&group[2]);
            let seconds = strtoll(&group[3], 10);
            // Redis stores the seconds in an int.
            let seconds_int = seconds.value as i32;
            match (hard, soft) {
                (Some(hard_bytes), Some(soft_bytes)) if seconds_int >= 0 && seconds.at_end => {
                    updates.push((
                        class,
                        ObufLimit {
                            hard_bytes,
                            soft_bytes,
                            soft_seconds: i64::from(seconds_int),
                        },
                    ));
                }
                _ => {
                    return Err(
                        "Error in hard, soft or soft_seconds setting in buffer limit \
                                configuration."
                            .into(),
                    )
                }
            }
        }
        for (class, limit) in updates {
            self.obuf[class] = limit;
        }
        Ok(())
    }

    /// The CONFIG GET text of the directive at `index`.
    fn format_value(&self, index: usize) -> String {
        let spec = &TABLE[index];
        match (&self.values[index], spec.kind) {
            (Value::Bool(v), _) => if *v { "yes" } else { "no" }.to_string(),
            (Value::Num(v), Kind::Num { fmt, .. }) => match fmt {
                NumFmt::MemoryPercent if *v < 0 => format!("{}%", v.unsigned_abs()),
                NumFmt::Memory | NumFmt::MemoryPercent => (*v as u64).to_string(),
                NumFmt::Octal => format!("{:o}", *v as u64),
                NumFmt::Int => v.to_string(),
            },
            (Value::Enum(v), Kind::Enum { values, .. }) => {
                enum_name(values, *v, spec.has(table::MULTI_ARG))
            }
            (Value::Str(v), _) => v.clone().unwrap_or_default(),
            (_, Kind::Special(special)) => self.format_special(special),
            _ => String::new(),
        }
    }

    fn format_special(&self, special: Special) -> String {
        match special {
            Special::Dir => self.dir.clone(),
            Special::Save => {
                let parts: Vec<String> =
                    self.save.iter().map(|(s, c)| format!("{s} {c}")).collect();
                parts.join(" ")
            }
            Special::ClientOutputBufferLimit => {
                let parts: Vec<String> = self
                    .obuf
                    .iter()
                    .zip(OBUF_CLASS_NAMES)
                    .map(|(l, name)| {
                        format!(
                            "{name} {} {} {}",
                            l.hard_bytes, l.soft_bytes, l.soft_seconds
                        )
                    })
                    .collect();
                parts.join(" ")
            }
            Special::OomScoreAdjValues => {
                let parts: Vec<String> = self.oom_values.iter().map(|v| v.to_string()).collect();
                parts.join(" ")
            }
            Special::NotifyKeyspaceEvents => keyspace_events_to_string(self.notify_flags),
            Special::Bind => self.bind.join(" "),
            Special::ReplicaOf => match &self.replicaof {
                Some((host, port)) => format!("{host} {port}"),
                None => String::new(),
            },
            Special::LatencyTrackingInfoPercentiles => {
                let parts: Vec<String> = self
                    .percentiles
                    .iter()
                    .map(|v| util::format_trimmed_double(*v))
                    .collect();
                parts.join(" ")
            }
        }
    }

    // ------------------------------------------------------------------ accessors ----

    fn value_of(&self, name: &str) -> Option<(&Value, &'static Spec)> {
        let index = table::lookup_str(name);
        debug_assert!(index.is_some(), "unknown configuration directive {name}");
        index.map(|i| (&self.values[i], &TABLE[i]))
    }

    /// A yes/no directive by name (false for unknown or non-boolean names).
    pub fn get_bool(&self, name: &str) -> bool {
        matches!(self.value_of(name), Some((Value::Bool(true), _)))
    }

    /// A numeric directive by name: memory values in bytes, `maxmemory-clients` percentages
    /// as negative numbers (like Redis), unsigned 64-bit values reinterpreted (use
    /// [`Config::get_u64`] for `maxmemory` and `cluster-link-sendbuf-limit`). 0 if unknown.
    pub fn get_i64(&self, name: &str) -> i64 {
        match self.value_of(name) {
            Some((Value::Num(v), _)) => *v,
            _ => 0,
        }
    }

    /// A numeric directive as unsigned (for `maxmemory` up to 2^64-1).
    pub fn get_u64(&self, name: &str) -> u64 {
        self.get_i64(name) as u64
    }

    /// Any directive as its CONFIG GET text ("" if unknown).
    pub fn get_str(&self, name: &str) -> String {
        self.get_one(name).unwrap_or_default()
    }

    /// An enum directive's value name (e.g. "notice" for `loglevel`). Bit-flag enums
    /// (`shutdown-on-sig*`) return their single flag name, "" when several are set
    /// (use [`Config::get_enum_bits`]).
    pub fn get_enum(&self, name: &str) -> &'static str {
        match self.value_of(name) {
            Some((
                Value::Enum(v),
                Spec {
                    kind: Kind::Enum { values, .. },
                    ..
                },
            )) => values
                .iter()
                .find(|(_, val)| val == v)
                .map(|(n, _)| *n)
                .unwrap_or(""),
            _ => "",
        }
    }

    /// An enum directive's raw value (bit flags for `shutdown-on-sigint/sigterm`:
    /// save=1, nosave=2, now=4, force=8).
    pub fn get_enum_bits(&self, name: &str) -> u32 {
        match self.value_of(name) {
            Some((Value::Enum(v), _)) => *v,
            _ => 0,
        }
    }

    /// `client-output-buffer-limit` of a class: (hard bytes, soft bytes, soft seconds).
    pub fn client_output_buffer_limit(&self, class: ClientClass) -> (u64, u64, i64) {
        let l = self.obuf[class.index()];
        (l.hard_bytes, l.soft_bytes, l.soft_seconds)
    }

    /// `save` points as (seconds, changes); empty when snapshotting is disabled.
    pub fn save_params(&self) -> Vec<(i64, i64)> {
        self.save.iter().map(|(s, c)| (*s, i64::from(*c))).collect()
    }

    /// `bind` addresses (Redis default `* -::*`; a leading '-' marks an optional address).
    pub fn bind_addrs(&self) -> &[String] {
        &self.bind
    }

    /// `replicaof` host and port, if configured.
    pub fn replicaof(&self) -> Option<(&str, u16)> {
        self.replicaof
            .as_ref()
            .map(|(h, p)| (h.as_str(), *p as u16))
    }

    /// `notify-keyspace-events` as [`notify`] bits.
    pub fn notify_keyspace_events(&self) -> u32 {
        self.notify_flags
    }

    /// `oom-score-adj-values` (primary, replica, background child).
    pub fn oom_score_adj_values(&self) -> [i32; 3] {
        self.oom_values
    }

    /// `latency-tracking-info-percentiles`.
    pub fn latency_tracking_info_percentiles(&self) -> &[f64] {
        &self.percentiles
    }

    /// `dir` as configured ("" when never set). The server `chdir`s to it at startup and
    /// then stores the absolute working directory with [`Config::set_dir_resolved`], so
    /// CONFIG GET/REWRITE show an absolute path like Redis (which prints `getcwd()`).
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// Record the absolute working directory after the server changed into `dir`.
    pub fn set_dir_resolved(&mut self, absolute: impl Into<String>) {
        self.dir = absolute.into();
    }

    /// The configuration file given on the command line, if any (as given; the server
    /// makes it absolute for CONFIG REWRITE and INFO `config_file`).
    pub fn config_file(&self) -> Option<&str> {
        self.config_file.as_deref()
    }

    /// Set the configuration file path (e.g. after making it absolute).
    pub fn set_config_file(&mut self, path: Option<String>) {
        self.config_file = path;
    }

    /// `rename-command <from> <to>` lines, in order (`to` may be "" = remove). The engine
    /// validates them: unknown command → "No such command in rename-command", existing
    /// target → "Target command name already exists" (fatal errors at that line).
    pub fn rename_commands(&self) -> &[FileDirective] {
        &self.rename_commands
    }

    /// `user <name> <rules...>` lines, in order; validated by the ACL code
    /// ("Error in user declaration '<arg>': <reason>").
    pub fn users(&self) -> &[FileDirective] {
        &self.users
    }

    /// `loadmodule <path> [args...]` lines. Shoal has no module support; the server
    /// should refuse to start when this is not empty.
    pub fn load_modules(&self) -> &[FileDirective] {
        &self.load_modules
    }

    /// `<module>.<name> <value>` directives (last one wins). Redis aborts startup with
    /// "Module Configuration detected without loadmodule directive or no ApplyConfig
    /// call: aborting" when no module claims them.
    pub fn module_configs(&self) -> &[(String, String)] {
        &self.module_configs
    }

    /// Whether a protected action gated by `directive` (`enable-protected-configs`,
    /// `enable-debug-command`, `enable-module-command`) is allowed for a client.
    pub fn allows_protected(&self, directive: &str, client_is_local: bool) -> bool {
        protected_action_allowed(self.get_enum(directive), client_is_local)
    }
}

/// Redis `numericParseString`.
fn parse_number(fmt: NumFmt, s: &[u8]) -> Result<i64, String> {
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        if let Some(v) = memtoull(s) {
            return Ok(v as i64);
        }
    }
    if fmt == NumFmt::MemoryPercent && s.len() > 1 && s.last() == Some(&b'%') {
        if let Some(v) = string2ll(&s[..s.len() - 1]).filter(|v| *v >= 0) {
            return Ok(-v);
        }
    }
    if fmt == NumFmt::Octal {
        let r = strtoll(s, 8);
        if !r.overflow && r.at_end {
            return Ok(r.value);
        }
    }
    if fmt == NumFmt::Int {
        if let Some(v) = string2ll(s) {
            return Ok(v);
        }
    }
    Err(match fmt {
        NumFmt::MemoryPercent => "argument must be a memory or percent value",
        NumFmt::Memory => "argument must be a memory value",
        NumFmt::Octal => "argument couldn't be parsed as an octal number",
        NumFmt::Int => "argument couldn't be parsed into an integer",
    }
    .into())
}

/// Redis `numericBoundaryCheck`.
fn check_bounds(v: i64, min: i128, max: i128, unsigned: bool, fmt: NumFmt) -> Result<(), String> {
    if unsigned {
        let u = i128::from(v as u64);
        if u > max || u < min {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            });
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if i128::from(v) < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if i128::from(v) > max || i128::from(v) < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(())
}

/// Redis `configEnumGetValue`: one case-insensitive name, or several OR-ed names for bit
/// flag enums.
fn parse_enum(values: &[(&str, u32)], args: &[Vec<u8>], bitflags: bool) -> Option<u32> {
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return None;
    }
    let mut result = 0;
    for arg in args {
        let (_, v) = values
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(arg))?;
        result |= v;
    }
    Some(result)
}

/// Redis `configEnumGetName`: exact match first, otherwise (bit flags) the names of the
/// set flags in table order; "unknown" when nothing matches.
fn enum_name(values: &[(&str, u32)], value: u32, bitflags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for (name, v) in values {
        if *v == value {
            return (*name).to_string();
        }
        if bitflags && *v != 0 && unmatched & v == *v {
            names.push(name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".to_string()
    } else {
        names.join(" ")
    }
}

/// The validators Redis attaches to string directives.
fn validate_string(name: &str, value: &str) -> Result<(), String> {
    let is_base_name = !value.contains('/') && !value.contains('\\');
    match name {
        "dbfilename" if !is_base_name => Err("dbfilename can't be a path, just a filename".into()),
        "appendfilename" if value.is_empty() => Err("appendfilename can't be empty".into()),
        "appendfilename" if !is_base_name => {
            Err("appendfilename can't be a path, just a filename".into())
        }
        "appenddirname" if value.is_empty() => Err("appenddirname can't be empty".into()),
        "appenddirname" if !is_base_name => {
            Err("appenddirname can't be a path, just a dirname".into())
        }
        "cluster-announce-hostname" => {
            if value.len() >= NET_HOST_STR_LEN {
                Err(format!(
                    "Hostnames must be less than {NET_HOST_STR_LEN} characters"
                ))
            } else if !value
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
            {
                Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into())
            } else {
                Ok(())
            }
        }
        "proc-title-template" if !valid_proc_title_template(value) => {
            Err("template format is invalid or contains unknown variables".into())
        }
        _ => Ok(()),
    }
}

/// Redis `validateProcTitleTemplate`: `sdstemplate` expansion with the known variables
/// must succeed and, with an empty title, not be blank.
fn valid_proc_title_template(template: &str) -> bool {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return false;
        }
        if let Some(stripped) = after.strip_prefix('{') {
            out.push('{');
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            return false;
        };
        match &after[..close] {
            "title" | "server-mode" | "unixsocket" | "config-file" => {}
            "listen-addr" | "port" | "tls-port" => out.push('x'),
            _ => return false,
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    !out.trim_matches(' ').is_empty()
}

/// Redis `keyspaceEventsStringToFlags`.
fn parse_keyspace_events(s: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => notify::ALL,
            b'g' => notify::GENERIC,
            b'$' => notify::STRING,
            b'l' => notify::LIST,
            b's' => notify::SET,
            b'h' => notify::HASH,
            b'z' => notify::ZSET,
            b'x' => notify::EXPIRED,
            b'e' => notify::EVICTED,
            b'K' => notify::KEYSPACE,
            b'E' => notify::KEYEVENT,
            b't' => notify::STREAM,
            b'm' => notify::KEY_MISS,
            b'd' => notify::MODULE,
            b'n' => notify::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Redis `keyspaceEventsFlagsToString`.
fn keyspace_events_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & notify::ALL == notify::ALL {
        out.push('A');
    } else {
        for (bit, c) in [
            (notify::GENERIC, 'g'),
            (notify::STRING, '$'),
            (notify::LIST, 'l'),
            (notify::SET, 's'),
            (notify::HASH, 'h'),
            (notify::ZSET, 'z'),
            (notify::EXPIRED, 'x'),
            (notify::EVICTED, 'e'),
            (notify::STREAM, 't'),
            (notify::MODULE, 'd'),
            (notify::NEW, 'n'),
        ] {
            if flags & bit != 0 {
                out.push(c);
            }
        }
    }
    for (bit, c) in [
        (notify::KEYSPACE, 'K'),
        (notify::KEYEVENT, 'E'),
        (notify::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    out
}

/// Split a redis.conf line (exposed for tools that need the same tokenizer, e.g. the
/// server's ACL file loader). `None` means unbalanced quotes.
pub fn split_config_line(line: &str) -> Option<Vec<String>> {
    split_args(line.as_bytes()).map(|v| v.iter().map(|a| lossy(a)).collect())
}

#[cfg(test)]
mod tests;
