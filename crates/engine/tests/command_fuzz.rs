//! Seeded random command sequences against the engine: every command of the
//! table (and every subcommand), with arguments drawn from the keywords its
//! COMMAND DOCS name, colliding keys, edge-case numbers and random bytes,
//! from several clients in RESP2 and RESP3, with time jumps and cron ticks.
//!
//! What must hold for any input (the developers' guide: never panic on
//! input, bad input gets an error and loses nothing): no panic (tests build
//! with overflow checks, so arithmetic overflow counts), every reply is well
//! formed RESP, and the keyspace stays consistent with what DBSIZE and KEYS
//! report. The sequence is a pure function of the seed, so a failure names
//! the seed and the command that broke it.
//!
//! `SHOAL_FUZZ_COMMANDS=N` runs N commands per seed instead of the default;
//! `SHOAL_FUZZ_SEED=S` starts from other seeds.

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shoal_cluster::bus::message::NodeId;
use shoal_cluster::state::{ClusterConfig, ClusterState};
use shoal_config::Config;
use shoal_engine::{ConnectInfo, Engine, ExecOutcome, MigrationIo};
use shoal_resp::{parse_frame, Frame, Protocol, ReplyWriter};

/// Commands per seed when `SHOAL_FUZZ_COMMANDS` is unset: enough to reach
/// every row many times in a few seconds of a debug build.
const DEFAULT_COMMANDS_PER_SEED: usize = 6_000;

/// Keys shared by all commands so types and TTLs collide; two share a hash
/// tag so multi-key commands pass the cluster's same-slot check.
const KEYS: &[&str] = &["k1", "k2", "k3", "{t}a", "{t}b", "\u{0}bin\u{ff}"];

/// Numbers at the edges of every parser: signs, overflow by one, floats,
/// infinities, offsets near Redis's limits.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "10",
    "-10",
    "63",
    "64",
    "100",
    "255",
    "256",
    "1000",
    "65535",
    "4294967295",
    "4294967296",
    "2147483647",
    "-2147483648",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "-0.0",
    "1e308",
    "1e309",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "0x10",
    " 1",
    "01",
    "",
    "1048575",
    "1048576",
    "8388607",
    "8388608",
    "536870911",
    "4611686018427387904",
    "1700000000",
    "1700000000000",
];

/// Configuration parameters CONFIG SET may touch. Parameters whose values
/// allocate (proto-max-bulk-len, client-query-buffer-limit) stay at the
/// small bound set below, so a fuzzed SETRANGE cannot take 512 MB; and
/// `maxclients` stays put so the harness can always reconnect.
const CONFIG_NAMES: &[&str] = &[
    "maxmemory-policy",
    "lfu-log-factor",
    "lfu-decay-time",
    "notify-keyspace-events",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "hz",
    "timeout",
    "requirepass",
    "port",
    "bind",
    "active-expire-effort",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "databases",
    "appendonly",
    "save",
    "client-output-buffer-limit",
    "cluster-require-full-coverage",
    "cluster-allow-reads-when-down",
];

/// Words some commands branch on that COMMAND DOCS does not spell as tokens.
const EXTRA_WORDS: &[&str] = &[
    "*",
    "k*",
    "?",
    "[a-z]",
    "\\",
    "[",
    "u8",
    "i64",
    "u63",
    "i1",
    "#1",
    "*",
    "yes",
    "no",
    "all",
    "allkeys-lfu",
    "KEA",
    "Kx",
    "ON",
    "OFF",
    "SKIPME",
    "3",
    "2",
    "default",
    "pass",
    "ASYNC",
    "SYNC",
    "WRITE",
    "ALL",
    "READONLY",
];

struct Fuzzer {
    engine: Engine,
    clients: Vec<u64>,
    outs: Vec<ReplyWriter>,
    now_ms: i64,
    random: SmallRng,
    /// Each command as its name words (`get`, `client kill`), its arity and
    /// the token words COMMAND DOCS lists for it.
    commands: Vec<(Vec<String>, i32, Vec<String>)>,
    next_port: u32,
    cluster: bool,
}

impl Fuzzer {
    fn new(seed: u64, cluster: bool) -> Fuzzer {
        let mut args: Vec<String> = [
            "--enable-debug-command",
            "yes",
            "--proto-max-bulk-len",
            "1mb",
            "--latency-monitor-threshold",
            "1",
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect();
        if cluster {
            args.extend(["--cluster-enabled".to_string(), "yes".to_string()]);
        }
        let config = match Config::from_args(&args, &mut |_| Ok(String::new())) {
            Ok(config) => config,
            Err(error) => panic!("config: {error}"),
        };
        let now_ms = 1_700_000_000_000;
        let mut engine = Engine::new(config, seed, now_ms);
        if cluster {
            let id = NodeId::parse("93d07cd6562769b8c6111a8d2ff604ddaa855879");
            engine.node.cluster = Some(ClusterState::new(
                ClusterConfig::default(),
                id,
                now_ms,
                seed,
            ));
        }
        let mut fuzzer = Fuzzer {
            engine,
            clients: Vec::new(),
            outs: Vec::new(),
            now_ms,
            random: SmallRng::seed_from_u64(seed),
            commands: Vec::new(),
            next_port: 50_000,
            cluster,
        };
        for _ in 0..3 {
            let id = fuzzer.connect();
            fuzzer.clients.push(id);
            fuzzer.outs.push(ReplyWriter::new(Protocol::Resp2));
        }
        if cluster {
            fuzzer.run_checked(0, &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
        }
        fuzzer.commands = fuzzer.command_vocabulary();
        fuzzer
    }

    fn connect(&mut self) -> u64 {
        self.next_port += 1;
        let info = ConnectInfo {
            peer_addr: format!("127.0.0.1:{}", self.next_port),
            local_addr: "127.0.0.1:6379".into(),
            fd: 8,
        };
        match self.engine.connect(info, self.now_ms) {
            Ok(id) => id,
            Err(error) => panic!("connect refused: {error}"),
        }
    }

    /// Replaces client `index` with a new connection, authenticated when a
    /// fuzzed CONFIG SET requirepass asks for it.
    fn reconnect(&mut self, index: usize) {
        self.engine.disconnect(self.clients[index]);
        self.clients[index] = self.connect();
        self.outs[index] = ReplyWriter::new(Protocol::Resp2);
        let password = self.engine.node.config.get_str("requirepass");
        if !password.is_empty() {
            let reply = self.run_checked(index, &["AUTH", &password]);
            assert_eq!(reply, Frame::Simple("OK".into()), "AUTH {password:?}");
        }
    }

    /// Undoes what would make the rest of the run all errors: a client left
    /// unauthenticated (RESET after a fuzzed requirepass) authenticates
    /// again; slots a fuzzed DELSLOTS or FLUSHSLOTS left unserved are
    /// assigned again.
    fn recover(&mut self, client_index: usize, reply: Option<&Frame>) {
        let Some(Frame::Error(text)) = reply else {
            return;
        };
        if text.starts_with("NOAUTH") {
            let password = self.engine.node.config.get_str("requirepass");
            self.run_checked(client_index, &["AUTH", &password]);
        } else if text.starts_with("CLUSTERDOWN") {
            let slots = self.run_checked(client_index, &["CLUSTER", "SLOTS"]);
            let mut served = vec![false; 16384];
            if let Frame::Array(ranges) = slots {
                for range in ranges {
                    if let Frame::Array(fields) = range {
                        if let [Frame::Integer(first), Frame::Integer(last), ..] = fields.as_slice()
                        {
                            for slot in *first..=*last {
                                served[slot as usize] = true;
                            }
                        }
                    }
                }
            }
            let unserved: Vec<String> = (0..16384)
                .filter(|slot| !served[*slot])
                .map(|slot| slot.to_string())
                .collect();
            if !unserved.is_empty() {
                let mut words = vec!["CLUSTER", "ADDSLOTS"];
                words.extend(unserved.iter().map(String::as_str));
                self.run_checked(client_index, &words);
            }
            // The cluster state is re-evaluated by the cluster cron.
            if let Some(state) = self.engine.node.cluster.as_mut() {
                state.handle_tick(self.now_ms);
            }
        }
    }

    /// Every command and subcommand row of the table, with its arity and
    /// the tokens COMMAND DOCS lists for it (asked through the engine, as
    /// redis-cli asks).
    fn command_vocabulary(&mut self) -> Vec<(Vec<String>, i32, Vec<String>)> {
        let docs = self.run_checked(0, &["COMMAND", "DOCS"]);
        let mut tokens_by_name = std::collections::HashMap::new();
        let Frame::Array(items) = docs else {
            panic!("COMMAND DOCS: {docs:?}")
        };
        for pair in items.chunks(2) {
            let [Frame::Bulk(name), doc] = pair else {
                panic!("COMMAND DOCS pair: {pair:?}")
            };
            let mut tokens = Vec::new();
            collect_tokens(doc, &mut tokens);
            let mut subcommands = Vec::new();
            collect_subcommands(doc, &mut subcommands);
            for (sub, sub_doc) in &subcommands {
                let mut sub_tokens = Vec::new();
                collect_tokens(sub_doc, &mut sub_tokens);
                tokens_by_name.insert(sub.clone(), sub_tokens);
            }
            tokens_by_name.insert(String::from_utf8_lossy(name).into_owned(), tokens);
        }
        let mut commands = Vec::new();
        for spec in self.engine.table().iter() {
            let rows: Vec<_> = if spec.subcommands.is_empty() {
                vec![spec]
            } else {
                spec.subcommands.iter().collect()
            };
            for row in rows {
                let words = row.name.split('|').map(str::to_string).collect();
                let tokens = tokens_by_name.get(row.name).cloned().unwrap_or_default();
                commands.push((words, row.arity, tokens));
            }
        }
        assert!(
            commands.len() > 100,
            "the table has {} rows",
            commands.len()
        );
        commands
    }

    /// Runs one command that must not fail the harness's own assumptions.
    fn run_checked(&mut self, client_index: usize, words: &[&str]) -> Frame {
        let args: Vec<Bytes> = words
            .iter()
            .map(|word| Bytes::from(word.to_string()))
            .collect();
        let frames = self.run(client_index, &args);
        frames.into_iter().next().unwrap_or(Frame::Null)
    }

    /// Executes `args` for a client, completes parked requests the way the
    /// shell would (a refused MIGRATE connection, a random listen outcome),
    /// and returns the decoded replies.
    fn run(&mut self, client_index: usize, args: &[Bytes]) -> Vec<Frame> {
        let id = self.clients[client_index];
        let mut outcome =
            self.engine
                .execute(id, args, self.now_ms * 1000, &mut self.outs[client_index]);
        let mut paused_rounds = 0;
        while outcome == ExecOutcome::Paused {
            // A fuzzed CLIENT PAUSE: let time pass until it ends.
            paused_rounds += 1;
            assert!(paused_rounds < 100, "clients stayed paused");
            self.now_ms += 1_000;
            self.engine.tick(self.now_ms);
            outcome =
                self.engine
                    .execute(id, args, self.now_ms * 1000, &mut self.outs[client_index]);
        }
        match outcome {
            ExecOutcome::Migrate => {
                let request = self.engine.take_migration();
                let Some(request) = request else {
                    panic!("Migrate outcome without a parked request")
                };
                let io = MigrationIo::ConnectFailed;
                self.engine.finish_migration(
                    &request,
                    &io,
                    self.now_ms * 1000,
                    &mut self.outs[client_index],
                );
            }
            ExecOutcome::Relisten => {
                let change = self.engine.take_listen_change();
                let Some(change) = change else {
                    panic!("Relisten outcome without a parked change")
                };
                let listened = self.random.gen_bool(0.5);
                self.engine
                    .finish_listen_change(&change, listened, &mut self.outs[client_index]);
            }
            ExecOutcome::Close => self.reconnect(client_index),
            ExecOutcome::Done | ExecOutcome::Paused => {}
        }
        for effect in self.engine.take_effects() {
            if let shoal_engine::Effect::CloseClient(closed) = effect {
                if let Some(index) = self.clients.iter().position(|client| *client == closed) {
                    self.reconnect(index);
                }
            }
        }
        let bytes = self.outs[client_index].take();
        let resp3 = self
            .engine
            .node
            .clients
            .get(self.clients[client_index])
            .is_some_and(|client| client.resp == 3);
        self.outs[client_index].set_protocol(if resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        });
        decode_all(&bytes)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.random.gen_range(0..words.len())]
    }

    /// One random argument for a command whose tokens are `tokens`.
    fn argument(&mut self, tokens: &[String], config_command: bool) -> Vec<u8> {
        let roll = self.random.gen_range(0..100);
        match roll {
            0..=29 => self.pick(KEYS).as_bytes().to_vec(),
            30..=54 if !tokens.is_empty() => {
                let token = &tokens[self.random.gen_range(0..tokens.len())];
                if self.random.gen_bool(0.2) {
                    token.to_lowercase().into_bytes()
                } else {
                    token.clone().into_bytes()
                }
            }
            30..=54 if config_command => self.pick(CONFIG_NAMES).as_bytes().to_vec(),
            30..=79 => self.pick(NUMBERS).as_bytes().to_vec(),
            80..=89 => self.pick(EXTRA_WORDS).as_bytes().to_vec(),
            _ => {
                let length = self.random.gen_range(0..12);
                (0..length).map(|_| self.random.gen::<u8>()).collect()
            }
        }
    }

    /// One random command line for client `client_index`.
    fn command(&mut self, client_index: usize) -> Vec<Bytes> {
        let index = self.random.gen_range(0..self.commands.len());
        let (words, arity, tokens) = self.commands[index].clone();
        let mut args: Vec<Bytes> = words
            .iter()
            .map(|word| {
                if self.random.gen_bool(0.3) {
                    Bytes::from(word.to_uppercase())
                } else {
                    Bytes::from(word.clone())
                }
            })
            .collect();
        let config_command = words[0] == "config";
        // Mostly the arity the row declares (so the handler runs), sometimes
        // anything (so the arity check runs).
        let minimum = (arity.unsigned_abs() as usize).saturating_sub(words.len());
        let extra = match self.random.gen_range(0..10) {
            0 => self.random.gen_range(0..7),
            _ if arity > 0 => minimum,
            _ => minimum + self.random.gen_range(0..6),
        };
        for _ in 0..extra {
            args.push(Bytes::from(self.argument(&tokens, config_command)));
        }
        self.tame(client_index, &words, &mut args);
        args
    }

    /// Keeps the few arguments that would make the harness itself slow
    /// (not the server wrong) small: populate counts and pause lengths. And
    /// keeps CLIENT REPLY out of transactions: there Redis itself sends an
    /// EXEC array shorter than its header (pinned by the oracle test
    /// `client_reply_modes_around_and_inside_exec_match_redis`), which a
    /// framing check cannot follow.
    fn tame(&mut self, client_index: usize, words: &[String], args: &mut Vec<Bytes>) {
        let name: Vec<&str> = words.iter().map(String::as_str).collect();
        let in_multi = self
            .engine
            .node
            .clients
            .get(self.clients[client_index])
            .is_some_and(|client| client.multi.is_some());
        if in_multi && name == ["client", "reply"] {
            *args = vec![Bytes::from_static(b"PING")];
            return;
        }
        let small = |random: &mut SmallRng| Bytes::from(random.gen_range(0..50).to_string());
        match name.as_slice() {
            ["debug", "populate"] | ["client", "pause"] | ["debug", "sleep"] => {
                if let Some(count) = args.get_mut(2) {
                    *count = small(&mut self.random);
                }
            }
            _ => {}
        }
    }

    /// Checks the keyspace against what DBSIZE and KEYS report.
    fn check_consistency(&mut self, seed: u64, step: usize) {
        let client = self.clients.len() - 1;
        // A fresh client, so MULTI, SUBSCRIBE or RESP3 state does not matter.
        self.reconnect(client);
        for db in 0..(if self.cluster { 1 } else { 16 }) {
            if !self.cluster {
                self.run_checked(client, &["SELECT", &db.to_string()]);
            }
            let size = self.run_checked(client, &["DBSIZE"]);
            let keys = self.run_checked(client, &["KEYS", "*"]);
            let (Frame::Integer(size), Frame::Array(keys)) = (&size, &keys) else {
                panic!("seed {seed} step {step}: DBSIZE {size:?} KEYS {keys:?}")
            };
            // DBSIZE counts keys not yet reclaimed; KEYS skips expired ones.
            assert!(
                keys.len() as i64 <= *size,
                "seed {seed} step {step} db {db}: KEYS found {} > DBSIZE {size}",
                keys.len()
            );
        }
    }
}

fn collect_tokens(frame: &Frame, tokens: &mut Vec<String>) {
    match frame {
        Frame::Array(items) => {
            for pair in items.windows(2) {
                if let [Frame::Bulk(key), Frame::Bulk(value)] = pair {
                    if key == b"token" {
                        tokens.push(String::from_utf8_lossy(value).into_owned());
                    }
                }
            }
            for item in items {
                if !matches!(item, Frame::Array(inner) if is_subcommand_map(inner)) {
                    collect_tokens(item, tokens);
                }
            }
        }
        Frame::Map(pairs) => {
            for (key, value) in pairs {
                if key == &Frame::Bulk(b"token".to_vec()) {
                    if let Frame::Bulk(value) = value {
                        tokens.push(String::from_utf8_lossy(value).into_owned());
                    }
                }
                collect_tokens(value, tokens);
            }
        }
        _ => {}
    }
}

/// Whether an array is a COMMAND DOCS `subcommands` map (name, doc, ...).
fn is_subcommand_map(items: &[Frame]) -> bool {
    items.len() >= 2
        && items.chunks(2).all(
            |pair| matches!(pair, [Frame::Bulk(name), Frame::Array(_)] if name.contains(&b'|')),
        )
}

fn collect_subcommands(doc: &Frame, out: &mut Vec<(String, Frame)>) {
    let Frame::Array(fields) = doc else { return };
    for pair in fields.chunks(2) {
        if let [Frame::Bulk(key), Frame::Array(subs)] = pair {
            if key == b"subcommands" {
                for sub in subs.chunks(2) {
                    if let [Frame::Bulk(name), sub_doc] = sub {
                        out.push((String::from_utf8_lossy(name).into_owned(), sub_doc.clone()));
                    }
                }
            }
        }
    }
}

/// Decodes every frame in `bytes`; anything malformed or left over fails.
fn decode_all(bytes: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        match parse_frame(&bytes[offset..]) {
            Ok(Some((frame, used))) => {
                frames.push(frame);
                offset += used;
            }
            other => panic!(
                "malformed reply {other:?} in {:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
    frames
}

/// First seed: `SHOAL_FUZZ_SEED` shifts every test's seeds, for long runs
/// by hand over fresh sequences.
fn seed_base() -> u64 {
    std::env::var("SHOAL_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn commands_per_seed() -> usize {
    std::env::var("SHOAL_FUZZ_COMMANDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_COMMANDS_PER_SEED)
}

fn fuzz(seed: u64, cluster: bool) {
    let mut fuzzer = Fuzzer::new(seed, cluster);
    let commands = commands_per_seed();
    let mut outcomes = std::collections::HashMap::new();
    // The last commands of each client, printed when one fails.
    let mut history: Vec<std::collections::VecDeque<Vec<String>>> =
        vec![std::collections::VecDeque::new(); fuzzer.clients.len()];
    for step in 0..commands {
        let client = fuzzer.random.gen_range(0..fuzzer.clients.len());
        let args = fuzzer.command(client);
        let shown: Vec<String> = args
            .iter()
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fuzzer.run(client, &args)));
        if history[client].len() == 40 {
            history[client].pop_front();
        }
        history[client].push_back(shown.clone());
        match outcome {
            Err(panic) => {
                eprintln!("seed {seed} (cluster {cluster}) step {step}: {shown:?} panicked");
                eprintln!(
                    "client {client}'s commands before it: {:?}",
                    history[client]
                );
                std::panic::resume_unwind(panic);
            }
            Ok(frames) => {
                fuzzer.recover(client, frames.first());
                let kind = match frames.first() {
                    Some(Frame::Error(text)) => text.chars().take(48).collect(),
                    Some(_) => "(reply)".to_string(),
                    None => "(nothing)".to_string(),
                };
                *outcomes.entry(kind).or_insert(0usize) += 1;
            }
        }
        if fuzzer.random.gen_ratio(1, 20) {
            fuzzer.now_ms += fuzzer.random.gen_range(0..3_000);
            fuzzer.engine.tick(fuzzer.now_ms);
        }
        if step % 500 == 499 {
            fuzzer.check_consistency(seed, step);
        }
    }
    let mut outcomes: Vec<(String, usize)> = outcomes.into_iter().collect();
    outcomes.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    eprintln!("seed {seed}: most frequent outcomes of {commands} commands:");
    for (kind, count) in outcomes.iter().take(12) {
        eprintln!("  {count:>6}  {kind}");
    }
}

#[test]
fn random_commands_standalone_never_panic_and_reply_well_formed() {
    for seed in 0..4 {
        fuzz(seed_base() + seed, false);
    }
}

#[test]
fn random_commands_in_cluster_mode_never_panic_and_reply_well_formed() {
    for seed in 100..102 {
        fuzz(seed_base() + seed, true);
    }
}
