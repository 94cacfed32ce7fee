//! `shoal`: the Shoal operator tool. Today it runs local test clusters
//! (`shoal cluster start|stop|status`), like Redis's
//! `utils/create-cluster` script but forming the cluster with its own client.
//!
//! This file owns the command line (clap derive) and exit codes only: 0 on
//! success, 1 on failure (with a message on stderr) or an unhealthy
//! `status`, 2 for usage errors (clap's convention). It must never hold
//! cluster logic; that lives in `cluster`.

mod client;
mod cluster;
mod layout;
mod process;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Shoal operator tool.
#[derive(Parser, Debug)]
#[command(name = "shoal", version, about = "Shoal operator tool", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a local test cluster (like Redis's utils/create-cluster).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Subcommand, Debug)]
enum ClusterCommand {
    /// Start server processes, form a cluster and wait until it is ok.
    Start(StartArgs),
    /// Shut down every node of the cluster (SHUTDOWN NOSAVE, SIGTERM fallback).
    Stop(StopArgs),
    /// Show each node's process, role, slots and cluster_state.
    ///
    /// Exits 1 when a node is not running or not in cluster_state:ok.
    Status(StatusArgs),
}

/// The default cluster directory.
const DEFAULT_DIR: &str = "./shoal-cluster";

#[derive(Args, Debug)]
struct StartArgs {
    /// Number of primaries (masters) that share the 16384 slots.
    #[arg(
        long = "masters",
        visible_alias = "primaries",
        value_name = "N",
        default_value_t = 3
    )]
    primaries: usize,

    /// Replicas per primary (assigned round-robin).
    #[arg(long = "replicas", value_name = "N", default_value_t = 0)]
    replicas_per_primary: usize,

    /// Port of the first node; nodes use consecutive ports, bus ports are +10000.
    #[arg(long, value_name = "PORT", default_value_t = 30001)]
    base_port: u16,

    /// Directory for node configs, logs, nodes-<port>.conf and the state file.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,

    /// cluster-node-timeout for every node, in milliseconds.
    #[arg(long = "node-timeout", value_name = "MS", default_value_t = 2000)]
    node_timeout_ms: u64,

    /// Server binary [default: shoal-server next to this binary, else in PATH].
    /// Any Redis-compatible server works, e.g. --server redis-server.
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,

    /// Address(es) for the `bind` directive; the first is used to connect.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,

    /// How long to wait for the nodes to start and the cluster to become ok,
    /// in milliseconds.
    #[arg(long = "wait-timeout", value_name = "MS", default_value_t = 60_000)]
    wait_timeout_ms: u64,

    /// Leave the nodes running if start fails (to inspect them).
    #[arg(long)]
    keep_on_failure: bool,

    /// Extra arguments passed to every server, e.g. -- --appendonly yes
    #[arg(last = true, value_name = "SERVER ARGS")]
    server_args: Vec<String>,
}

#[derive(Args, Debug)]
struct StopArgs {
    /// The cluster directory given to `start`.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,

    /// How long to wait for the nodes to exit, in milliseconds.
    #[arg(long = "timeout", value_name = "MS", default_value_t = 10_000)]
    timeout_ms: u64,
}

#[derive(Args, Debug)]
struct StatusArgs {
    /// The cluster directory given to `start`.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
}

fn run(cli: Cli) -> Result<bool, String> {
    match cli.command {
        Command::Cluster(ClusterCommand::Start(args)) => {
            cluster::start(&cluster::StartOptions {
                primaries: args.primaries,
                replicas_per_primary: args.replicas_per_primary,
                base_port: args.base_port,
                dir: args.dir,
                node_timeout_ms: args.node_timeout_ms,
                server: args.server,
                bind: args.bind,
                wait_timeout_ms: args.wait_timeout_ms,
                keep_on_failure: args.keep_on_failure,
                server_args: args.server_args,
            })?;
            Ok(true)
        }
        Command::Cluster(ClusterCommand::Stop(args)) => {
            cluster::stop(&args.dir, args.timeout_ms)?;
            Ok(true)
        }
        Command::Cluster(ClusterCommand::Status(args)) => cluster::status(&args.dir),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn start_defaults_match_create_cluster() {
        let cli = Cli::try_parse_from(["shoal", "cluster", "start"]).unwrap();
        let Command::Cluster(ClusterCommand::Start(args)) = cli.command else {
            panic!("parsed {cli:?}");
        };
        assert_eq!(args.primaries, 3);
        assert_eq!(args.replicas_per_primary, 0);
        assert_eq!(args.base_port, 30001);
        assert_eq!(args.node_timeout_ms, 2000);
        assert_eq!(args.dir, PathBuf::from(DEFAULT_DIR));
        assert_eq!(args.bind, "127.0.0.1");
        assert!(args.server.is_none());
        assert!(args.server_args.is_empty());
    }

    #[test]
    fn start_takes_server_args_after_double_dash() {
        let cli = Cli::try_parse_from([
            "shoal",
            "cluster",
            "start",
            "--masters",
            "4",
            "--replicas",
            "1",
            "--server",
            "redis-server",
            "--",
            "--appendonly",
            "yes",
        ])
        .unwrap();
        let Command::Cluster(ClusterCommand::Start(args)) = cli.command else {
            panic!("parsed {cli:?}");
        };
        assert_eq!(args.primaries, 4);
        assert_eq!(args.replicas_per_primary, 1);
        assert_eq!(args.server, Some(PathBuf::from("redis-server")));
        assert_eq!(args.server_args, vec!["--appendonly", "yes"]);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(Cli::try_parse_from(["shoal", "cluster", "start", "--masters", "x"]).is_err());
        assert!(
            Cli::try_parse_from(["shoal", "cluster", "start", "--base-port", "70000"]).is_err()
        );
        assert!(Cli::try_parse_from(["shoal", "cluster", "launch"]).is_err());
        assert!(Cli::try_parse_from(["shoal"]).is_err());
    }
}
