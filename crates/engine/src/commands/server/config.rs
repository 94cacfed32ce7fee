//! CONFIG GET/SET/RESETSTAT/REWRITE/HELP (Redis `configCommand` family).
//!
//! Values live in `shoal_config::Config`, which owns parsing, validation and
//! the exact error texts. This module only adapts the command: it checks
//! argument shapes, applies `enable-protected-configs`, refreshes the node's
//! cached limits and queues `Effect`s. It never touches the configuration
//! file itself: CONFIG REWRITE is carried out by the shell.

use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::{Effect, Stats};
use crate::table::{CommandResult, CommandSpec};

use super::{is_local_client, sub_row, ADMIN_ACL, ADMIN_FLAGS, LOADING_STALE, SLOW_ACL};

const COUNTED: &str = "O(N) when N is the number of configuration parameters provided";

/// CONFIG's subcommand rows.
pub(super) const SUBCOMMANDS: &[CommandSpec] = &[
    sub_row(
        "config|get",
        -3,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Get the values of configuration parameters",
        "2.0.0",
        COUNTED,
        config_get,
    ),
    sub_row(
        "config|set",
        -4,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Set configuration parameters to the given values",
        "2.0.0",
        COUNTED,
        config_set,
    ),
    sub_row(
        "config|resetstat",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Reset the stats returned by INFO",
        "2.0.0",
        "O(1)",
        config_resetstat,
    ),
    sub_row(
        "config|rewrite",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Rewrite the configuration file with the in memory configuration",
        "2.8.0",
        "O(1)",
        config_rewrite,
    ),
    sub_row(
        "config|help",
        2,
        LOADING_STALE,
        SLOW_ACL,
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        config_help,
    ),
];

/// CONFIG GET pattern [pattern ...]: a map of name → value.
fn config_get(ctx: &mut Ctx<'_>) -> CommandResult {
    let patterns: Vec<&[u8]> = ctx.args[2..].iter().map(|arg| arg.as_ref()).collect();
    let pairs = ctx.node.config.get(&patterns);
    ctx.out.map(pairs.len());
    for (name, value) in &pairs {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    Ok(())
}

/// CONFIG SET name value [name value ...], atomically.
fn config_set(ctx: &mut Ctx<'_>) -> CommandResult {
    // Redis checks for name/value pairs after the arity check (`argc & 1`).
    if ctx.args.len() % 2 == 1 {
        return Err(CommandError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = ctx.args[2..]
        .chunks_exact(2)
        .map(|pair| (pair[0].as_ref(), pair[1].as_ref()))
        .collect();
    let protected_allowed = ctx
        .node
        .config
        .allows_protected("enable-protected-configs", is_local_client(ctx.client));
    // The listening sockets are the shell's: keep the old values so that a
    // port or bind the shell cannot listen on rolls the whole command back
    // (Redis's apply functions and `restoreBackupConfig`).
    let names: Vec<&[u8]> = pairs.iter().map(|(name, _)| *name).collect();
    let backup: Vec<(String, String)> = ctx.node.config.get(&names);
    let changed = ctx
        .node
        .config
        .set(&pairs, protected_allowed)
        .map_err(CommandError::Bytes)?;
    ctx.node.refresh_from_config();
    let relisten: Vec<&'static str> = changed
        .iter()
        .copied()
        .filter(|name| matches!(*name, "port" | "bind"))
        .collect();
    if !changed.is_empty() {
        ctx.node.effects.push(Effect::ConfigChanged(changed));
    }
    if !relisten.is_empty() {
        // The reply comes with `Engine::finish_listen_change`.
        ctx.node.pending_listen_change = Some(ListenChange {
            client: ctx.client.id,
            changed: relisten,
            backup,
        });
        return Ok(());
    }
    ctx.out.ok();
    Ok(())
}

/// A CONFIG SET of `port` or `bind` waiting for the shell to listen anew
/// ([`crate::ExecOutcome::Relisten`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenChange {
    /// The client that runs the command.
    pub client: u64,
    /// Which of `port` and `bind` changed, in Redis's apply order.
    pub changed: Vec<&'static str>,
    /// The values before the command of every setting it changed.
    backup: Vec<(String, String)>,
}

/// Completes a `ListenChange`: `Ok` replies +OK; `Err` restores the old
/// values and replies Redis's apply-failure error for the setting.
pub(crate) fn finish_listen_change(
    node: &mut crate::node::Node,
    change: &ListenChange,
    listened: bool,
    out: &mut shoal_resp::ReplyWriter,
) {
    if listened {
        out.ok();
        return;
    }
    // Redis applies port before bind; the first one names the failure.
    let (name, reason) = if change.changed.contains(&"port") {
        ("port", "Unable to listen on this port. Check server logs.")
    } else {
        ("bind", "Failed to bind to specified addresses.")
    };
    let pairs: Vec<(&[u8], &[u8])> = change
        .backup
        .iter()
        .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
        .collect();
    if name == "bind" {
        node.effects
            .push(Effect::LogWarning("Failed to bind".to_string()));
    }
    // The old values were valid a moment ago.
    let _ = node.config.set(&pairs, true);
    node.refresh_from_config();
    node.effects.push(Effect::LogWarning(format!(
        "Failed applying new configuration. Possibly related to new {name} setting. Restoring \
         previous settings."
    )));
    let error = CommandError::err(format!(
        "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
    ));
    node.count_error(&error.kind());
    if let Some(stats) = node.stats.commands.get_mut("config|set") {
        stats.failed_calls += 1;
    }
    out.error_bytes(&error.to_bytes());
}

/// CONFIG RESETSTAT: Redis's `resetServerStats` + command and error tables.
/// SLOWLOG and LATENCY are left alone, as in Redis.
fn config_resetstat(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.node.stats = Stats::default();
    ctx.node.keyspace.collect_expired();
    ctx.node.keyspace.expired_keys_total = 0;
    ctx.out.ok();
    Ok(())
}

/// CONFIG REWRITE: the shell rewrites the file (it owns all file I/O) when
/// it drains `Effect::RewriteConfig`.
fn config_rewrite(ctx: &mut Ctx<'_>) -> CommandResult {
    let has_file = ctx
        .node
        .config
        .config_file()
        .is_some_and(|path| !path.is_empty())
        || !ctx.node.process.config_file.is_empty();
    if !has_file {
        return Err(CommandError::err(
            "The server is running without a config file",
        ));
    }
    ctx.node.effects.push(Effect::RewriteConfig);
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::client::ConnectInfo;
    use crate::node::Effect;
    use crate::testing::{bulk, error, simple, TestNode};
    use shoal_resp::Frame;

    /// CONFIG SET port/bind waits for the shell's listeners; a failure
    /// restores every old value and replies Redis's apply error.
    #[test]
    fn port_and_bind_changes_wait_for_the_listeners() {
        let mut node = TestNode::new();
        let finish = |node: &mut TestNode, line: &str, listened: bool| -> Option<Vec<u8>> {
            assert_eq!(node.run(line), Frame::Null, "{line} replied early");
            let change = node.engine.take_listen_change()?;
            let mut out = shoal_resp::ReplyWriter::new(shoal_resp::Protocol::Resp2);
            node.engine
                .finish_listen_change(&change, listened, &mut out);
            Some(out.take())
        };
        assert_eq!(
            finish(&mut node, "CONFIG SET port 7001", true).as_deref(),
            Some(&b"+OK\r\n"[..])
        );
        assert_eq!(
            node.run("CONFIG GET port"),
            Frame::Array(vec![bulk("port"), bulk("7001")])
        );
        assert_eq!(
            finish(
                &mut node,
                "CONFIG SET port 7002 bind 10.1.2.3 maxmemory 5",
                false
            )
            .as_deref(),
            Some(
                &b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to \
                   listen on this port. Check server logs.\r\n"[..]
            )
        );
        assert_eq!(
            node.run("CONFIG GET port"),
            Frame::Array(vec![bulk("port"), bulk("7001")])
        );
        assert_eq!(
            node.run("CONFIG GET bind"),
            Frame::Array(vec![bulk("bind"), bulk("* -::*")])
        );
        assert_eq!(
            node.run("CONFIG GET maxmemory"),
            Frame::Array(vec![bulk("maxmemory"), bulk("0")])
        );
        assert_eq!(
            finish(&mut node, "CONFIG SET bind 10.1.2.3", false).as_deref(),
            Some(
                &b"-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to \
                   bind to specified addresses.\r\n"[..]
            )
        );
        // Other settings reply at once; nothing is parked.
        assert_eq!(node.run("CONFIG SET maxmemory 10"), simple("OK"));
        assert!(node.engine.take_listen_change().is_none());
        // Inside EXEC the reply cannot wait: +OK, and the shell listens
        // after the transaction.
        let _ = node.engine.take_effects();
        assert_eq!(node.run("MULTI"), simple("OK"));
        assert_eq!(node.run("CONFIG SET port 7003"), simple("QUEUED"));
        assert_eq!(node.run("EXEC"), Frame::Array(vec![simple("OK")]));
        assert!(node.engine.take_listen_change().is_none());
        assert!(node.engine.take_effects().iter().any(
            |effect| matches!(effect, Effect::Relisten(change) if change.changed == ["port"])
        ));
    }

    #[test]
    fn get_returns_pairs() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG GET maxmemory"),
            Frame::Array(vec![bulk("maxmemory"), bulk("0")])
        );
        assert_eq!(node.run("CONFIG GET nosuch"), Frame::Array(vec![]));
        let Frame::Array(items) = node.run("config get maxmemory*") else {
            panic!("CONFIG GET is an array in RESP2");
        };
        let names: Vec<&Frame> = items.iter().step_by(2).collect();
        assert_eq!(names.len(), 5);
        assert!(names.contains(&&bulk("maxmemory-policy")));
        assert_eq!(
            node.run("CONFIG GET"),
            error("ERR wrong number of arguments for 'config|get' command")
        );
    }

    #[test]
    fn get_is_a_map_in_resp3() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        assert_eq!(
            node.run("CONFIG GET maxmemory MAXMEMORY"),
            Frame::Map(vec![(bulk("maxmemory"), bulk("0"))])
        );
    }

    #[test]
    fn set_round_trips_and_refreshes_limits() {
        let mut node = TestNode::new();
        assert_eq!(node.run("CONFIG SET maxclients 17 hz 20"), simple("OK"));
        assert_eq!(
            node.run("CONFIG GET maxclients"),
            Frame::Array(vec![bulk("maxclients"), bulk("17")])
        );
        assert_eq!(
            node.run("CONFIG GET hz"),
            Frame::Array(vec![bulk("hz"), bulk("20")])
        );
        assert_eq!(node.engine.node.limits.max_clients, 17);
        let effects = node.engine.take_effects();
        let [Effect::ConfigChanged(names)] = effects.as_slice() else {
            panic!("expected one ConfigChanged, got {effects:?}");
        };
        assert!(names.contains(&"maxclients") && names.contains(&"hz"));
    }

    #[test]
    fn set_errors() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG SET nosuch 1"),
            error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        );
        assert_eq!(
            node.run("CONFIG SET maxmemory abc"),
            error(
                "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument \
                 must be a memory value"
            )
        );
        assert_eq!(
            node.run("CONFIG SET maxmemory 1 hz"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run("CONFIG SET maxmemory"),
            error("ERR wrong number of arguments for 'config|set' command")
        );
        assert_eq!(
            node.run("CONFIG SET enable-debug-command yes"),
            error(
                "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - \
                 can't set immutable config"
            )
        );
        assert!(node.engine.take_effects().is_empty());
    }

    #[test]
    fn protected_configs_are_refused_by_default() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG SET dir /tmp"),
            error(
                "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set \
                 protected config"
            )
        );
    }

    #[test]
    fn resetstat_clears_counters() {
        let mut node = TestNode::new();
        node.run("PING");
        node.run("NOSUCH");
        node.engine.node.stats.keyspace_hits = 5;
        assert_eq!(node.run("CONFIG RESETSTAT"), simple("OK"));
        let stats = &node.engine.node.stats;
        assert_eq!(stats.keyspace_hits, 0);
        assert_eq!(stats.total_error_replies, 0);
        assert!(stats.error_counts.is_empty());
        // Only CONFIG RESETSTAT itself, counted after it ran.
        assert_eq!(stats.total_commands_processed, 1);
        assert_eq!(
            stats.commands.keys().copied().collect::<Vec<_>>(),
            ["config|resetstat"]
        );
    }

    #[test]
    fn rewrite_needs_a_file() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG REWRITE"),
            error("ERR The server is running without a config file")
        );
        node.engine.node.process.config_file = "/etc/shoal.conf".into();
        assert_eq!(node.run("CONFIG REWRITE"), simple("OK"));
        assert_eq!(node.engine.take_effects(), vec![Effect::RewriteConfig]);
    }

    #[test]
    fn help_and_unknown() {
        let mut node = TestNode::new();
        let Frame::Array(lines) = node.run("CONFIG HELP") else {
            panic!("help is an array")
        };
        assert_eq!(lines.len(), 11);
        assert_eq!(
            lines[0],
            simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert_eq!(
            node.run("CONFIG nosuch"),
            error("ERR unknown subcommand 'nosuch'. Try CONFIG HELP.")
        );
        assert_eq!(
            node.run("CONFIG"),
            error("ERR wrong number of arguments for 'config' command")
        );
        assert_eq!(
            node.run("CONFIG HELP x"),
            error("ERR wrong number of arguments for 'config|help' command")
        );
    }

    #[test]
    fn remote_client_cannot_set_protected_with_local() {
        // `enable-protected-configs` is immutable, so it is set before the node starts.
        let mut config = shoal_config::Config::default();
        let mut no_files = |_: &str| -> std::io::Result<String> { Ok(String::new()) };
        config
            .load_text("enable-protected-configs local\n", &mut no_files)
            .expect("valid configuration");
        let mut node = TestNode::with_config(config);
        assert_eq!(node.run("CONFIG SET dir /"), simple("OK"));
        assert_eq!(node.run("CONFIG SET protected-mode no"), simple("OK"));
        let remote = node
            .engine
            .connect(
                ConnectInfo {
                    peer_addr: "10.1.2.3:4000".into(),
                    local_addr: String::new(),
                    fd: 9,
                },
                node.now_ms,
            )
            .expect("room for a client");
        node.client = remote;
        assert_eq!(
            node.run("CONFIG SET dir /"),
            error(
                "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set \
                 protected config"
            )
        );
    }
}
