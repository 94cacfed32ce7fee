//! The server command family: INFO, CONFIG, COMMAND, TIME, LASTSAVE,
//! SHUTDOWN, MONITOR, SLOWLOG, LATENCY, MEMORY and DEBUG, with Redis
//! 7.0.15's replies and error texts.
//!
//! This file holds the table rows and the small handlers; the larger ones
//! live in `server/*.rs`. Like every family it never performs I/O, reads no
//! clock and reads nothing from the operating system: process facts (pid,
//! memory, CPU) come from `node.process` / `node.memory`, which the shell
//! fills, and actions that need the outside world (shutting down, rewriting
//! the configuration file, blocking the server) are queued as `Effect`s.

pub(crate) mod config;
mod debug;
mod diagnostics;
mod info;
mod introspect;
mod meta;
mod sha1;

use crate::client::Client;
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::Effect;
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};

const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous"];
const SLOW_ACL: &[&str] = &["slow"];
const INTROSPECTION_ACL: &[&str] = &["slow", "connection"];

const LOADING_STALE: Flags = Flags::LOADING.with(Flags::STALE);
const ADMIN_FLAGS: Flags = Flags::ADMIN.with(Flags::NOSCRIPT).with(LOADING_STALE);
const ADMIN_LOADING_STALE: Flags = Flags::ADMIN.with(LOADING_STALE);

/// Rows of the server family.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "info",
        arity: -1,
        flags: LOADING_STALE,
        acl_categories: &["slow", "dangerous"],
        group: "server",
        summary: "Get information and statistics about the server",
        handler: Some(info::info),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "config",
        arity: -2,
        acl_categories: SLOW_ACL,
        group: "server",
        summary: "A container for server configuration commands",
        since: "2.0.0",
        complexity: "Depends on subcommand.",
        subcommands: config::SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: LOADING_STALE,
        acl_categories: INTROSPECTION_ACL,
        group: "server",
        summary: "Get array of Redis command details",
        since: "2.8.13",
        complexity: "O(N) where N is the total number of Redis commands",
        // `COMMAND` alone lists every command; with a word it is a container.
        handler: Some(introspect::command_all),
        subcommands: introspect::SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: LOADING_STALE.with(Flags::FAST),
        acl_categories: &["fast"],
        group: "server",
        summary: "Return the current server time",
        since: "2.6.0",
        handler: Some(time),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: LOADING_STALE.with(Flags::FAST),
        acl_categories: &["admin", "fast", "dangerous"],
        group: "server",
        summary: "Get the UNIX time stamp of the last successful save to disk",
        handler: Some(lastsave),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: ADMIN_FLAGS.with(Flags::NO_MULTI).with(Flags::ALLOW_BUSY),
        acl_categories: ADMIN_ACL,
        group: "server",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity: "O(N) when saving, where N is the total number of keys in all databases \
                     when saving data, otherwise O(1)",
        handler: Some(shutdown),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "monitor",
        arity: 1,
        flags: ADMIN_FLAGS,
        acl_categories: ADMIN_ACL,
        group: "server",
        summary: "Listen for all requests received by the server in real time",
        // Redis documents no complexity for MONITOR.
        complexity: "",
        handler: Some(monitor),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "slowlog",
        arity: -2,
        acl_categories: SLOW_ACL,
        group: "server",
        summary: "A container for slow log commands",
        since: "2.2.12",
        complexity: "Depends on subcommand.",
        subcommands: diagnostics::SLOWLOG_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "latency",
        arity: -2,
        acl_categories: SLOW_ACL,
        group: "server",
        summary: "A container for latency diagnostics commands",
        since: "2.8.13",
        complexity: "Depends on subcommand.",
        subcommands: diagnostics::LATENCY_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "memory",
        arity: -2,
        acl_categories: SLOW_ACL,
        group: "server",
        summary: "A container for memory diagnostics commands",
        since: "4.0.0",
        complexity: "Depends on subcommand.",
        subcommands: diagnostics::MEMORY_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "debug",
        arity: -2,
        flags: ADMIN_FLAGS,
        acl_categories: ADMIN_ACL,
        group: "server",
        summary: "A container for debugging commands",
        complexity: "Depends on subcommand.",
        handler: Some(debug::debug),
        ..CommandSpec::DEFAULT
    },
];

/// A subcommand row of this family (group `server`, no keys).
#[allow(clippy::too_many_arguments)]
const fn sub_row(
    name: &'static str,
    arity: i32,
    flags: Flags,
    acl_categories: &'static [&'static str],
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
        KeySpec::None,
        "server",
        summary,
        since,
        complexity,
        handler,
    )
}

/// Redis's `addReplySubcommandSyntaxError`: the error for a known container
/// whose handler found the wrong number of arguments (`SLOWLOG GET 1 2`) or
/// an unknown word (`DEBUG NOSUCH`). Both names are shown as sent.
pub(crate) fn subcommand_syntax_error(ctx: &Ctx<'_>) -> CommandError {
    let command = crate::error::c_string_prefix(ctx.arg(0), usize::MAX).to_ascii_uppercase();
    let subcommand = ctx
        .args
        .get(1)
        .map_or(&[][..], |sub| crate::error::c_string_prefix(sub, 128));
    CommandError::Bytes(
        [
            &b"ERR unknown subcommand or wrong number of arguments for '"[..],
            subcommand,
            b"'. Try ",
            &command,
            b" HELP.",
        ]
        .concat(),
    )
}

/// Redis's `islocalClient`: a unix-socket client or a TCP peer at 127.0.0.1
/// or ::1. Gates `enable-debug-command local` and `enable-protected-configs
/// local`. The shell formats peers as `ip:port`, `[ipv6]:port` or, for unix
/// sockets, `path:0`.
pub(crate) fn is_local_client(client: &Client) -> bool {
    is_local_peer(&client.connection.peer_addr)
}

/// Redis's test for a local peer address ("ip:port", "[ip]:port" or a unix
/// socket path): a unix socket, or exactly 127.0.0.1 or ::1.
pub(crate) fn is_local_peer(peer: &str) -> bool {
    if peer.starts_with('/') {
        return true;
    }
    let ip = if let Some(rest) = peer.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(ip, _)| ip)
    } else {
        peer.rsplit_once(':').map_or(peer, |(ip, _)| ip)
    };
    ip == "127.0.0.1" || ip == "::1"
}

fn time(ctx: &mut Ctx<'_>) -> CommandResult {
    let seconds = ctx.now_us.div_euclid(1_000_000);
    let micros = ctx.now_us.rem_euclid(1_000_000);
    ctx.out.array(2);
    ctx.out.bulk_integer(seconds);
    ctx.out.bulk_integer(micros);
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.integer(ctx.node.last_save_seconds);
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (Redis `shutdownCommand`).
/// On success nothing is replied: the connection closes and the shell stops
/// the process. Shoal never has a shutdown in progress (it does not wait for
/// replicas), so ABORT always fails.
fn shutdown(ctx: &mut Ctx<'_>) -> CommandResult {
    let (mut save, mut no_save, mut now, mut force, mut abort) =
        (false, false, false, false, false);
    for index in 1..ctx.args.len() {
        if ctx.arg_is(index, "NOSAVE") {
            no_save = true;
        } else if ctx.arg_is(index, "SAVE") {
            save = true;
        } else if ctx.arg_is(index, "NOW") {
            now = true;
        } else if ctx.arg_is(index, "FORCE") {
            force = true;
        } else if ctx.arg_is(index, "ABORT") {
            abort = true;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let any_flag = save || no_save || now || force;
    if (abort && any_flag) || (save && no_save) {
        return Err(CommandError::Syntax);
    }
    if abort {
        return Err(CommandError::err("No shutdown in progress."));
    }
    // Without an explicit choice Redis saves when save points are configured.
    let save = save || (!no_save && !ctx.node.config.save_params().is_empty());
    ctx.node.effects.push(Effect::Shutdown { save });
    ctx.client.close_after_reply = true;
    Ok(())
}

/// MONITOR (Redis `monitorCommand`): a client already monitoring gets no
/// reply at all, as in Redis (which returns early for CLIENT_SLAVE).
fn monitor(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.monitor {
        return Ok(());
    }
    ctx.client.monitor = true;
    let id = ctx.client.id;
    if !ctx.node.monitors.contains(&id) {
        ctx.node.monitors.push(id);
    }
    ctx.out.ok();
    Ok(())
}

/// Runs one handler directly for the executing test client (for rows the
/// dispatcher cannot reach yet, such as a bare `COMMAND`). Errors are
/// rendered as Redis would.
#[cfg(test)]
pub(super) fn run_handler(
    node: &mut crate::testing::TestNode,
    spec: &'static CommandSpec,
    args: &[&str],
) -> shoal_resp::Frame {
    let args: Vec<bytes::Bytes> = args
        .iter()
        .map(|arg| bytes::Bytes::copy_from_slice(arg.as_bytes()))
        .collect();
    let Some(mut client) = node.engine.node.clients.remove(node.client) else {
        panic!("test client is registered");
    };
    let protocol = if client.resp == 3 {
        shoal_resp::Protocol::Resp3
    } else {
        shoal_resp::Protocol::Resp2
    };
    let mut out = shoal_resp::ReplyWriter::new(protocol);
    let handler = spec.handler.expect("row has a handler");
    let mut ctx = Ctx {
        args: &args,
        node: &mut node.engine.node,
        client: &mut client,
        out: &mut out,
        now_ms: node.now_ms,
        now_us: node.now_ms * 1000,
        spec,
    };
    if let Err(error) = handler(&mut ctx) {
        out.clear();
        out.error(&error.to_string());
    }
    node.engine.node.clients.insert(client);
    match shoal_resp::parse_frame(out.as_bytes()) {
        Ok(Some((frame, _))) => frame,
        _ => shoal_resp::Frame::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ConnectInfo;
    use crate::testing::{bulk, error, simple, TestNode};
    use shoal_resp::Frame;

    fn client_at(peer: &str) -> Client {
        let info = ConnectInfo {
            peer_addr: peer.into(),
            local_addr: String::new(),
            fd: 1,
        };
        Client::new(1, info, 0, false)
    }

    #[test]
    fn local_clients_are_loopback_or_unix() {
        assert!(is_local_client(&client_at("127.0.0.1:5000")));
        assert!(is_local_client(&client_at("[::1]:5000")));
        assert!(is_local_client(&client_at("::1:5000")));
        assert!(is_local_client(&client_at("/tmp/redis.sock:0")));
        assert!(!is_local_client(&client_at("127.0.0.2:5000")));
        assert!(!is_local_client(&client_at("10.0.0.1:6379")));
        assert!(!is_local_client(&client_at("[::2]:5000")));
        assert!(!is_local_client(&client_at("")));
    }

    #[test]
    fn time_replies_seconds_and_microseconds() {
        let mut node = TestNode::new();
        let expected_seconds = node.now_ms / 1000;
        let expected_micros = (node.now_ms % 1000) * 1000;
        assert_eq!(
            node.run("TIME"),
            Frame::Array(vec![
                bulk(&expected_seconds.to_string()),
                bulk(&expected_micros.to_string())
            ])
        );
        node.advance_ms(1_234);
        assert_eq!(
            node.run("TIME"),
            Frame::Array(vec![
                bulk(&(expected_seconds + 1).to_string()),
                bulk(&(expected_micros + 234_000).to_string())
            ])
        );
        assert_eq!(
            node.run("TIME x"),
            error("ERR wrong number of arguments for 'time' command")
        );
    }

    #[test]
    fn lastsave_reports_node_value() {
        let mut node = TestNode::new();
        node.engine.node.last_save_seconds = 1_600_000_123;
        assert_eq!(node.run("LASTSAVE"), Frame::Integer(1_600_000_123));
    }

    #[test]
    fn shutdown_queues_effect_and_closes_without_reply() {
        let mut node = TestNode::new();
        assert_eq!(node.run("SHUTDOWN NOSAVE"), Frame::Null);
        assert_eq!(
            node.engine.take_effects(),
            vec![Effect::Shutdown { save: false }]
        );
        let client = node
            .engine
            .node
            .clients
            .get(node.client)
            .map(|c| c.close_after_reply);
        assert_eq!(client, Some(true));

        let mut node = TestNode::new();
        assert_eq!(node.run("shutdown save now force"), Frame::Null);
        assert_eq!(
            node.engine.take_effects(),
            vec![Effect::Shutdown { save: true }]
        );
    }

    #[test]
    fn shutdown_default_saves_when_save_points_exist() {
        let mut node = TestNode::new();
        let expected = !node.engine.node.config.save_params().is_empty();
        assert_eq!(node.run("SHUTDOWN"), Frame::Null);
        assert_eq!(
            node.engine.take_effects(),
            vec![Effect::Shutdown { save: expected }]
        );
    }

    #[test]
    fn shutdown_bad_options() {
        let mut node = TestNode::new();
        assert_eq!(node.run("SHUTDOWN SAVE NOSAVE"), error("ERR syntax error"));
        assert_eq!(node.run("SHUTDOWN ABORT NOW"), error("ERR syntax error"));
        assert_eq!(node.run("SHUTDOWN maybe"), error("ERR syntax error"));
        assert_eq!(
            node.run("SHUTDOWN ABORT"),
            error("ERR No shutdown in progress.")
        );
        assert!(node.engine.take_effects().is_empty());
    }

    #[test]
    fn monitor_registers_once() {
        let mut node = TestNode::new();
        assert_eq!(node.run("MONITOR"), simple("OK"));
        assert_eq!(node.engine.node.monitors, vec![node.client]);
        // A second MONITOR is silently ignored, as in Redis.
        assert_eq!(node.run("MONITOR"), Frame::Null);
        assert_eq!(node.engine.node.monitors, vec![node.client]);
        assert_eq!(
            node.run("MONITOR x"),
            error("ERR wrong number of arguments for 'monitor' command")
        );
    }

    #[test]
    fn subcommand_syntax_error_text() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("slowlog GET 1 2"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."
            )
        );
    }
}
