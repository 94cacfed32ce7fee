//! `shoal-server`: the imperative shell around the engine. This crate owns
//! every socket, timer, signal and file; everything it runs is decided by the
//! synchronous engine, which it drives with parsed requests and the time.
//!
//! Threading: one current-thread tokio runtime. The engine lives in an
//! `Rc<RefCell<_>>` that a connection borrows only between awaits, so there
//! is exactly one owner of the data and no lock on the data path.

mod cluster_bus;
mod connection;
mod local_notify;
mod logging;
mod migrate;
mod shell;

use std::process::ExitCode;

use shoal_config::Config;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_some_and(|arg| arg == "-v" || arg == "--version")
    {
        println!(
            "Shoal server v={} (Redis {} compatible) bits=64",
            shoal_engine::SHOAL_VERSION,
            shoal_engine::REDIS_VERSION
        );
        return ExitCode::SUCCESS;
    }
    if args
        .first()
        .is_some_and(|arg| arg == "-h" || arg == "--help")
    {
        println!("Usage: shoal-server [/path/to/redis.conf] [options] [-]");
        println!("       shoal-server - (read config from stdin)");
        println!("       shoal-server -v or --version");
        println!("       shoal-server -h or --help");
        println!();
        println!("Examples:");
        println!("       shoal-server (run the server with default conf)");
        println!("       shoal-server /etc/redis/6379.conf");
        println!("       shoal-server --port 7777");
        println!("       shoal-server /etc/myredis.conf --loglevel verbose");
        return ExitCode::SUCCESS;
    }
    let mut read_file = |path: &str| {
        if path == "-" {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        }
    };
    let config = match Config::from_args(&args, &mut read_file) {
        Ok(config) => config,
        Err(error) => {
            eprint!("{error}");
            return ExitCode::from(1);
        }
    };
    // Absolute now, before `dir` changes the working directory (Redis
    // `getAbsolutePath` in main): CONFIG REWRITE must find the same file.
    let config_file = args
        .first()
        .filter(|arg| !arg.starts_with("--"))
        .map(|path| match std::path::absolute(path) {
            Ok(absolute) => absolute.display().to_string(),
            Err(_) => path.clone(),
        });
    shell::run(config, config_file)
}
