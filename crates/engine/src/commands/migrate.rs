//! MIGRATE (Redis 7.0 `migrateCommand`, cluster.c): DUMP some keys, RESTORE
//! them on another server, and delete them here unless COPY — the primitive
//! `redis-cli --cluster reshard` moves slots with.
//!
//! Owns the argument checks, the bytes sent to the target and the reading of
//! its replies; never a socket. Redis runs MIGRATE synchronously, blocking
//! its event loop, so nothing changes the keys between the DUMP and the DEL.
//! Here the handler parks a [`MigrationRequest`] on the node, the engine
//! returns [`crate::ExecOutcome::Migrate`], the shell carries it out with
//! blocking I/O (no other command runs meanwhile) and hands the outcome back
//! as [`MigrationIo`] to [`crate::Engine::finish_migration`], which deletes
//! the keys the target accepted and writes the reply.

use bytes::Bytes;
use shoal_config::notify;
use shoal_resp::parse_i64_strict;

use crate::client::Client;
use crate::commands::generic::read_key;
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::Node;
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};
use shoal_resp::ReplyWriter;

/// The MIGRATE row.
pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "migrate",
    arity: -6,
    flags: Flags::WRITE,
    acl_categories: &["keyspace", "write", "slow", "dangerous"],
    keys: KeySpec::Custom {
        first: 3,
        last: 3,
        step: 1,
        find: migrate_keys,
    },
    summary: "Atomically transfer a key from a Redis instance to another one.",
    since: "2.6.0",
    complexity: "This command actually executes a DUMP+DEL in the source instance, and a \
                 RESTORE in the target instance. See the pages of these commands for time \
                 complexity. Also an O(N) data transfer between the two instances is performed.",
    handler: Some(migrate),
    ..CommandSpec::DEFAULT
}];

/// Redis `migrateGetKeys`: argument 3, or with an empty argument 3 every
/// argument after a `KEYS` at index 6 or later.
fn migrate_keys(args: &[Bytes]) -> Vec<usize> {
    if args.get(3).is_some_and(|key| key.is_empty()) {
        if let Some(at) = (6..args.len()).find(|&i| args[i].eq_ignore_ascii_case(b"keys")) {
            return (at + 1..args.len()).collect();
        }
    }
    if args.len() > 3 {
        vec![3]
    } else {
        Vec::new()
    }
}

/// One MIGRATE waiting for the shell's I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationRequest {
    /// Target host as given.
    pub host: String,
    /// Target port as Redis reads it (`atoi`: leading digits, else 0).
    pub port: i64,
    /// Timeout of each connect, write and reply read, in milliseconds.
    pub timeout_ms: u64,
    /// Database selected on the target.
    pub destination_db: i64,
    /// The client that runs the command.
    pub client: u64,
    /// The keys to move, in argument order, present when the command ran.
    pub keys: Vec<Bytes>,
    /// COPY: keep the local keys.
    pub copy: bool,
    /// `AUTH` (username, password) to send first.
    auth: Option<(Option<Bytes>, Bytes)>,
    /// One RESTORE (or RESTORE-ASKING) command per key, RESP-encoded.
    restores: Vec<u8>,
    /// The client's database when the command ran (where keys are deleted).
    source_db: usize,
}

impl MigrationRequest {
    /// The bytes to write to the target: AUTH when asked for, SELECT when
    /// the connection is not known to be on the destination database yet,
    /// then the RESTOREs (Redis sends them as one pipeline).
    pub fn wire_bytes(&self, select: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.restores.len() + 64);
        match &self.auth {
            Some((Some(user), password)) => push_command(&mut out, &[b"AUTH", user, password]),
            Some((None, password)) => push_command(&mut out, &[b"AUTH", password]),
            None => {}
        }
        if select {
            push_command(
                &mut out,
                &[b"SELECT", self.destination_db.to_string().as_bytes()],
            );
        }
        out.extend_from_slice(&self.restores);
        out
    }

    /// True when an AUTH reply comes before the others.
    pub fn sends_auth(&self) -> bool {
        self.auth.is_some()
    }
}

/// What the shell's I/O for a [`MigrationRequest`] came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MigrationIo {
    /// Could not connect within the timeout.
    ConnectFailed,
    /// Writing the commands failed (after the one retry Redis allows).
    WriteFailed,
    /// The reply lines read, without their CRLF: AUTH's (when sent),
    /// SELECT's (when `selected`), then one per RESTORE. `complete` is false
    /// when reading stopped at a socket error or timeout.
    Replies {
        /// Whether a SELECT was sent.
        selected: bool,
        /// The lines, in order.
        lines: Vec<Vec<u8>>,
        /// Every expected line arrived.
        complete: bool,
    },
}

/// Appends one command as a RESP multibulk.
fn push_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(&shoal_resp::encode_command(args));
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password] [AUTH2 username password] [KEYS key ...]
fn migrate(ctx: &mut Ctx<'_>) -> CommandResult {
    let (mut copy, mut replace) = (false, false);
    let mut auth: Option<(Option<Bytes>, Bytes)> = None;
    let (mut first_key, mut key_count) = (3, 1);
    let mut index = 6;
    while index < ctx.args.len() {
        let more = ctx.args.len() - 1 - index;
        if ctx.arg_is(index, "COPY") {
            copy = true;
        } else if ctx.arg_is(index, "REPLACE") {
            replace = true;
        } else if ctx.arg_is(index, "AUTH") {
            if more == 0 {
                return Err(CommandError::Syntax);
            }
            index += 1;
            auth = Some((None, ctx.args[index].clone()));
        } else if ctx.arg_is(index, "AUTH2") {
            if more < 2 {
                return Err(CommandError::Syntax);
            }
            auth = Some((
                Some(ctx.args[index + 1].clone()),
                ctx.args[index + 2].clone(),
            ));
            index += 2;
        } else if ctx.arg_is(index, "KEYS") {
            if !ctx.arg(3).is_empty() {
                return Err(CommandError::err(
                    "When using MIGRATE KEYS option, the key argument must be set to the \
                     empty string",
                ));
            }
            first_key = index + 1;
            key_count = ctx.args.len() - index - 1;
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        index += 1;
    }
    let timeout_ms = parse_i64_strict(ctx.arg(5)).ok_or(CommandError::NotInteger)?;
    let destination_db = parse_i64_strict(ctx.arg(4)).ok_or(CommandError::NotInteger)?;
    let timeout_ms = if timeout_ms <= 0 {
        1000
    } else {
        timeout_ms as u64
    };

    // The keys present now, each with its DUMP payload and remaining TTL
    // (Redis skips keys that expire before they are serialized).
    let compress = ctx.node.config.get_bool("rdbcompression");
    let command_name: &[u8] = if ctx.node.cluster.is_some() {
        b"RESTORE-ASKING"
    } else {
        b"RESTORE"
    };
    let mut keys = Vec::new();
    let mut restores = Vec::new();
    for key in &ctx.args[first_key..first_key + key_count] {
        let Some(payload) = read_key(ctx, key, true, |value| {
            shoal_rdb::payload::dump(value, compress)
        }) else {
            continue;
        };
        let now_ms = ctx.now_ms;
        let ttl_ms = match ctx.db().expire_at_ms(key, now_ms) {
            Some(at_ms) => (at_ms - now_ms).max(1),
            None => 0,
        };
        let ttl = ttl_ms.to_string();
        let mut command: Vec<&[u8]> = vec![command_name, key, ttl.as_bytes(), &payload];
        if replace {
            command.push(b"REPLACE");
        }
        push_command(&mut restores, &command);
        keys.push(key.clone());
    }
    if keys.is_empty() {
        ctx.out.simple("NOKEY");
        return Ok(());
    }
    ctx.node.pending_migration = Some(Box::new(MigrationRequest {
        host: String::from_utf8_lossy(ctx.arg(1)).into_owned(),
        port: crate::commands::atoi(ctx.arg(2)),
        timeout_ms,
        destination_db,
        client: ctx.client.id,
        keys,
        copy,
        auth,
        restores,
        source_db: ctx.client.db,
    }));
    Ok(())
}

/// Applies the outcome of a migration's I/O (the second half of Redis's
/// `migrateCommand`): keys the target accepted are deleted unless COPY,
/// and the reply is written. Returns true when the target accepted every
/// command, i.e. its connection is now on the destination database.
pub(crate) fn finish(
    node: &mut Node,
    client: &mut Client,
    request: &MigrationRequest,
    io: &MigrationIo,
    now_ms: i64,
    out: &mut ReplyWriter,
) -> bool {
    let (selected, lines, complete) = match io {
        MigrationIo::ConnectFailed => {
            refuse(
                node,
                out,
                b"IOERR error or timeout connecting to the client",
            );
            return false;
        }
        MigrationIo::WriteFailed => {
            refuse(
                node,
                out,
                b"IOERR error or timeout writing to target instance",
            );
            return false;
        }
        MigrationIo::Replies {
            selected,
            lines,
            complete,
        } => (*selected, lines, *complete),
    };
    let mut lines = lines.iter();
    let auth_line = if request.sends_auth() {
        lines.next()
    } else {
        None
    };
    let select_line = if selected { lines.next() } else { None };
    let is_error = |line: Option<&Vec<u8>>| line.is_some_and(|line| line.first() == Some(&b'-'));
    let mut error_from_target = false;
    for (key, line) in request.keys.iter().zip(lines) {
        let failed = [auth_line, select_line, Some(line)]
            .into_iter()
            .find(|candidate| is_error(*candidate))
            .flatten();
        if let Some(failed) = failed {
            if !error_from_target {
                error_from_target = true;
                let text = [
                    &b"ERR Target instance replied with error: "[..],
                    &failed[1..],
                ]
                .concat();
                refuse(node, out, &text);
            }
        } else if !request.copy {
            let db = request.source_db;
            if node.keyspace.db_mut(db).remove(key, now_ms).is_some() {
                crate::commands::transaction::touch_key(node, db, key, now_ms);
                crate::commands::pubsub::notify_keyspace_event(
                    node,
                    Some((&*client, &mut *out)),
                    notify::GENERIC,
                    "del",
                    key,
                    db,
                );
                node.dirty += 1;
            }
        }
    }
    if error_from_target {
        return false;
    }
    if !complete {
        refuse(
            node,
            out,
            b"IOERR error or timeout reading to target instance",
        );
        return false;
    }
    out.ok();
    true
}

/// Writes an error reply and counts it in errorstats (the command itself
/// was already counted when its handler ran).
fn refuse(node: &mut Node, out: &mut ReplyWriter, text: &[u8]) {
    let error = CommandError::Bytes(text.to_vec());
    if let Some(stats) = node.stats.commands.get_mut("migrate") {
        stats.failed_calls += 1;
    }
    node.count_error(&error.kind());
    out.error_bytes(&error.to_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{bulk, TestNode};
    use shoal_resp::{parse_frame, Frame, Protocol};

    fn error(text: &str) -> Frame {
        Frame::Error(text.into())
    }

    /// Runs a MIGRATE that parks a request, then completes it with `io`
    /// built from the request; returns the request and the reply.
    fn migrate_with(
        node: &mut TestNode,
        line: &str,
        io: impl FnOnce(&MigrationRequest) -> MigrationIo,
    ) -> (MigrationRequest, bool, Frame) {
        assert_eq!(
            node.run(line),
            Frame::Null,
            "MIGRATE replied before its I/O"
        );
        let request = node.engine.take_migration().expect("a parked migration");
        let io = io(&request);
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let (on_destination, outcome) =
            node.engine
                .finish_migration(&request, &io, node.now_ms * 1000, &mut out);
        assert_eq!(outcome, crate::ExecOutcome::Done);
        let bytes = out.take();
        let (frame, used) = parse_frame(&bytes).expect("valid").expect("complete");
        assert_eq!(used, bytes.len());
        (*request, on_destination, frame)
    }

    fn lines(lines: &[&str]) -> Vec<Vec<u8>> {
        lines.iter().map(|line| line.as_bytes().to_vec()).collect()
    }

    #[test]
    fn argument_errors_match_redis() {
        let mut node = TestNode::new();
        node.run("SET a 1");
        let syntax = error("ERR syntax error");
        let integer = error("ERR value is not an integer or out of range");
        assert_eq!(node.run("MIGRATE h 1 a 0 100 AUTH"), syntax);
        assert_eq!(node.run("MIGRATE h 1 a 0 100 AUTH2 u"), syntax);
        assert_eq!(node.run("MIGRATE h 1 a 0 100 FOO"), syntax);
        assert_eq!(
            node.run("MIGRATE h 1 a 0 100 KEYS b"),
            error(
                "ERR When using MIGRATE KEYS option, the key argument must be set to the \
                 empty string"
            )
        );
        assert_eq!(node.run("MIGRATE h 1 a x 100"), integer);
        assert_eq!(node.run("MIGRATE h 1 a 0 x"), integer);
        assert_eq!(
            node.run("MIGRATE h 1"),
            error("ERR wrong number of arguments for 'migrate' command")
        );
        // Nothing to move: NOKEY, no I/O.
        assert_eq!(
            node.run("MIGRATE h 1 nokey 0 100"),
            Frame::Simple("NOKEY".into())
        );
        assert_eq!(
            node.run("MIGRATE h 1 \"\" 0 100 KEYS"),
            Frame::Simple("NOKEY".into())
        );
        assert!(node.engine.take_migration().is_none());
        assert_eq!(node.run("GET a"), bulk("1"));
    }

    #[test]
    fn request_carries_auth_select_and_one_restore_per_present_key() {
        let mut node = TestNode::new();
        node.run("SET a 1");
        node.run("SET b hello");
        node.run("PEXPIRE b 5000");
        let Frame::Bulk(dump_a) = node.run("DUMP a") else {
            panic!("DUMP a is a bulk string");
        };
        let (request, _, reply) = migrate_with(
            &mut node,
            "MIGRATE 10.0.0.1 7000x \"\" 3 -5 REPLACE AUTH2 user pw KEYS a missing b",
            |_| MigrationIo::Replies {
                selected: true,
                lines: lines(&["+OK", "+OK", "+OK", "+OK"]),
                complete: true,
            },
        );
        assert_eq!(reply, Frame::Simple("OK".into()));
        assert_eq!((request.host.as_str(), request.port), ("10.0.0.1", 7000));
        assert_eq!(request.timeout_ms, 1000, "a timeout <= 0 means 1000 ms");
        assert_eq!(request.destination_db, 3);
        assert_eq!(request.keys, vec![Bytes::from("a"), Bytes::from("b")]);
        let mut expected = Vec::new();
        push_command(&mut expected, &[b"AUTH", b"user", b"pw"]);
        push_command(&mut expected, &[b"SELECT", b"3"]);
        push_command(
            &mut expected,
            &[b"RESTORE", b"a", b"0", &dump_a, b"REPLACE"],
        );
        let wire = request.wire_bytes(true);
        assert!(
            wire.starts_with(&expected),
            "{:?}",
            String::from_utf8_lossy(&wire)
        );
        let rest = String::from_utf8_lossy(&wire[expected.len()..]).into_owned();
        assert!(
            rest.starts_with("*5\r\n$7\r\nRESTORE\r\n$1\r\nb\r\n$4\r\n5000\r\n"),
            "{rest}"
        );
        assert!(rest.ends_with("$7\r\nREPLACE\r\n"), "{rest}");
        // Without SELECT the same commands minus SELECT.
        assert!(!String::from_utf8_lossy(&request.wire_bytes(false)).contains("SELECT"));
        assert_eq!(node.run("EXISTS a b"), Frame::Integer(0));
    }

    #[test]
    fn copy_keeps_keys_and_a_target_error_keeps_the_refused_ones() {
        let mut node = TestNode::new();
        node.run("MSET a 1 b 2 c 3");
        let (_, on_destination, reply) =
            migrate_with(&mut node, "MIGRATE h 1 \"\" 0 100 COPY KEYS a b", |_| {
                MigrationIo::Replies {
                    selected: true,
                    lines: lines(&["+OK", "+OK", "+OK"]),
                    complete: true,
                }
            });
        assert_eq!(reply, Frame::Simple("OK".into()));
        assert!(on_destination);
        assert_eq!(node.run("EXISTS a b"), Frame::Integer(2));

        // The target refuses b (BUSYKEY): a goes, b and c stay; the first
        // error is the reply.
        let (_, on_destination, reply) =
            migrate_with(&mut node, "MIGRATE h 1 \"\" 0 100 KEYS a b c", |_| {
                MigrationIo::Replies {
                    selected: false,
                    lines: lines(&[
                        "+OK",
                        "-BUSYKEY Target key name already exists.",
                        "-ERR other",
                    ]),
                    complete: true,
                }
            });
        assert_eq!(
            reply,
            error(
                "ERR Target instance replied with error: BUSYKEY Target key name already exists."
            )
        );
        assert!(!on_destination);
        assert_eq!(node.run("EXISTS a"), Frame::Integer(0));
        assert_eq!(node.run("EXISTS b c"), Frame::Integer(2));

        // A failed SELECT fails every key.
        let (_, _, reply) = migrate_with(&mut node, "MIGRATE h 1 \"\" 99 100 KEYS b c", |_| {
            MigrationIo::Replies {
                selected: true,
                lines: lines(&["-ERR DB index is out of range", "+OK", "+OK"]),
                complete: true,
            }
        });
        assert_eq!(
            reply,
            error("ERR Target instance replied with error: ERR DB index is out of range")
        );
        assert_eq!(node.run("EXISTS b c"), Frame::Integer(2));
    }

    #[test]
    fn io_failures_reply_ioerr_and_keep_unacknowledged_keys() {
        let mut node = TestNode::new();
        node.run("MSET a 1 b 2");
        let (_, _, reply) = migrate_with(&mut node, "MIGRATE h 1 a 0 100", |_| {
            MigrationIo::ConnectFailed
        });
        assert_eq!(
            reply,
            error("IOERR error or timeout connecting to the client")
        );
        let (_, _, reply) = migrate_with(&mut node, "MIGRATE h 1 a 0 100", |_| {
            MigrationIo::WriteFailed
        });
        assert_eq!(
            reply,
            error("IOERR error or timeout writing to target instance")
        );
        assert_eq!(node.run("EXISTS a"), Frame::Integer(1));
        // The first key was acknowledged before the connection broke: it is
        // gone here (it exists on the target); the second stays.
        let (_, _, reply) = migrate_with(&mut node, "MIGRATE h 1 \"\" 0 100 KEYS a b", |_| {
            MigrationIo::Replies {
                selected: true,
                lines: lines(&["+OK", "+OK"]),
                complete: false,
            }
        });
        assert_eq!(
            reply,
            error("IOERR error or timeout reading to target instance")
        );
        assert_eq!(node.run("EXISTS a"), Frame::Integer(0));
        assert_eq!(node.run("EXISTS b"), Frame::Integer(1));
        let Frame::Bulk(info) = node.run("INFO errorstats") else {
            panic!("INFO is a bulk string");
        };
        assert!(String::from_utf8_lossy(&info).contains("errorstat_IOERR:count=3"));
    }

    #[test]
    fn keys_are_found_like_redis_migrate_get_keys() {
        let args = |line: &str| -> Vec<Bytes> {
            line.split(' ')
                .map(|word| {
                    Bytes::from(if word == "\"\"" {
                        String::new()
                    } else {
                        word.to_string()
                    })
                })
                .collect()
        };
        assert_eq!(migrate_keys(&args("MIGRATE h p k 0 5")), vec![3]);
        assert_eq!(
            migrate_keys(&args("MIGRATE h p \"\" 0 5 COPY KEYS a b")),
            vec![8, 9]
        );
        assert_eq!(migrate_keys(&args("MIGRATE h p k 0 5 KEYS a")), vec![3]);
        assert_eq!(migrate_keys(&args("MIGRATE h p \"\" 0 5")), vec![3]);
    }
}
