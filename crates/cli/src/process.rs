//! Server processes: finding the server binary, spawning a node detached in
//! its own process group, checking whether a pid is alive, and signalling it
//! through the `kill` command.
//!
//! This module owns everything `shoal` does to processes. It must never
//! signal a pid it cannot tie to a node: pids 0 and 1 are refused (`kill 0`
//! would hit our own process group), and where `/proc` is available a pid
//! whose working directory is not the node's directory is left alone, so a
//! recycled pid is never killed. No `unsafe`: signals go through
//! `std::process::Command::new("kill")`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Name of the default server binary.
pub(crate) const DEFAULT_SERVER: &str = "shoal-server";

/// An executable regular file.
fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The first executable `name` in `$PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Resolves the server binary to an absolute path, because nodes are started
/// with their own directory as working directory.
///
/// * `Some(value)` with a `/`: that file (relative to our working directory).
/// * `Some(name)` without a `/`: looked up in `$PATH`, like a shell would.
/// * `None`: `shoal-server` next to the running `shoal`, else in `$PATH`.
pub(crate) fn resolve_server(explicit: Option<&Path>) -> Result<PathBuf, String> {
    match explicit {
        Some(path) if path.to_string_lossy().contains('/') => {
            if !is_executable(path) {
                return Err(format!(
                    "server binary {} does not exist or is not executable",
                    path.display()
                ));
            }
            std::path::absolute(path)
                .map_err(|error| format!("cannot resolve {}: {error}", path.display()))
        }
        Some(name) => {
            let name = name.to_string_lossy();
            find_in_path(&name).ok_or_else(|| format!("server binary `{name}` not found in $PATH"))
        }
        None => {
            let sibling = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(DEFAULT_SERVER)))
                .filter(|candidate| is_executable(candidate));
            sibling
                .or_else(|| find_in_path(DEFAULT_SERVER))
                .ok_or_else(|| {
                    format!(
                        "cannot find `{DEFAULT_SERVER}` next to this `shoal` binary or in $PATH; \
                     build it (cargo build -p shoal-server) or pass --server <path>"
                    )
                })
        }
    }
}

/// Spawns `server <config> <extra_args...>` with `node_dir` as working
/// directory, stdin from /dev/null and stdout/stderr appended to `log_path`
/// (the server's own `logfile` is the same file, so crash output lands next
/// to the log). The child gets its own process group so a Ctrl-C aimed at
/// `shoal` (or at the test that ran it) does not take the cluster down with
/// it; `shoal cluster stop` is the way to stop it.
pub(crate) fn spawn_server(
    server: &Path,
    config_path: &Path,
    node_dir: &Path,
    log_path: &Path,
    extra_args: &[String],
) -> std::io::Result<Child> {
    let log: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    let log_for_stderr = log.try_clone()?;
    Command::new(server)
        .arg(config_path)
        .args(extra_args)
        .current_dir(node_dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_for_stderr)
        .process_group(0)
        .spawn()
}

/// Whether `pid` names a live (non-zombie) process. Uses `/proc/<pid>/stat`
/// when `/proc` is mounted; otherwise `kill -0`, which also counts zombies.
pub(crate) fn process_alive(pid: u32) -> bool {
    if pid <= 1 {
        return false;
    }
    if Path::new("/proc/self").exists() {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // `pid (comm) S ...`: comm may contain spaces or ')', so the state is
        // the first field after the *last* ')'.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        return !matches!(state, Some("Z") | Some("X") | Some("x"));
    }
    Command::new("kill")
        .arg("-0")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether `pid` looks like the server of `node_dir`: its working directory
/// (which the server sets to its `dir`) is `node_dir`. `None` when this
/// cannot be checked (no `/proc`, no permission).
pub(crate) fn pid_runs_in(pid: u32, node_dir: &Path) -> Option<bool> {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    let node_dir = node_dir.canonicalize().ok()?;
    Some(cwd == node_dir)
}

/// Sends `signal` (e.g. `TERM`, `KILL`) to `pid` with the `kill` command.
pub(crate) fn send_signal(pid: u32, signal: &str) -> Result<(), String> {
    if pid <= 1 {
        return Err(format!("refusing to signal pid {pid}"));
    }
    let output = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run `kill`: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "kill -{signal} {pid} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The pid in a Redis pid file (`<pid>\n`), if readable and plausible.
pub(crate) fn read_pid_file(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path)
        .ok()?
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|pid| *pid > 1)
}

/// Current size of a file in bytes (0 if missing), to remember where this
/// run's part of an appended log begins.
pub(crate) fn file_len(path: &Path) -> u64 {
    path.metadata().map_or(0, |meta| meta.len())
}

/// The last `lines` lines of a log file written after byte `from` (logs are
/// appended across runs; earlier runs' lines would mislead), for error
/// messages. `"(log is empty)"` when there is nothing.
pub(crate) fn log_tail(path: &Path, from: u64, lines: usize) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let skip = usize::try_from(from).unwrap_or(usize::MAX);
    let text = String::from_utf8_lossy(bytes.get(skip..).unwrap_or_default());
    let all: Vec<&str> = text.lines().collect();
    if all.is_empty() {
        return "(log is empty)".to_string();
    }
    let start = all.len().saturating_sub(lines);
    all.get(start..).unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_bogus_pids_are_not() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
        assert!(!process_alive(1), "pid 1 is never treated as a node");
        // Beyond the kernel's pid_max (at most 2^22).
        assert!(!process_alive(4_194_304 + 17));
    }

    #[test]
    fn exited_child_is_dead_even_before_reaping() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Poll until it has exited (a zombie until we wait on it).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while process_alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!process_alive(pid));
        child.wait().unwrap();
    }

    #[test]
    fn signalling_refuses_special_pids() {
        assert!(send_signal(0, "TERM").is_err());
        assert!(send_signal(1, "TERM").is_err());
    }

    #[test]
    fn signal_stops_a_child() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        send_signal(child.id(), "TERM").unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
    }

    #[test]
    fn pid_file_and_log_tail() {
        let dir = std::env::temp_dir().join(format!("shoal-cli-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("x.pid");
        std::fs::write(&pid_file, "1234\n").unwrap();
        assert_eq!(read_pid_file(&pid_file), Some(1234));
        std::fs::write(&pid_file, "1\n").unwrap();
        assert_eq!(read_pid_file(&pid_file), None);
        std::fs::write(&pid_file, "nope").unwrap();
        assert_eq!(read_pid_file(&pid_file), None);
        assert_eq!(read_pid_file(&dir.join("missing.pid")), None);

        let log = dir.join("x.log");
        std::fs::write(&log, "a\nb\nc\n").unwrap();
        assert_eq!(file_len(&log), 6);
        assert_eq!(log_tail(&log, 0, 2), "b\nc");
        assert_eq!(log_tail(&log, 0, 10), "a\nb\nc");
        assert_eq!(log_tail(&log, 2, 10), "b\nc");
        assert_eq!(log_tail(&log, 6, 10), "(log is empty)");
        assert_eq!(log_tail(&log, 600, 10), "(log is empty)");
        assert_eq!(log_tail(&dir.join("missing.log"), 0, 3), "(log is empty)");
        assert_eq!(file_len(&dir.join("missing.log")), 0);

        assert_eq!(pid_runs_in(std::process::id(), &dir), Some(false));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(pid_runs_in(std::process::id(), &cwd), Some(true));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn server_resolution() {
        // A bare name is looked up in $PATH.
        let sh = resolve_server(Some(Path::new("sh"))).unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        let error = resolve_server(Some(Path::new("no-such-server-binary-xyz"))).unwrap_err();
        assert!(error.contains("not found in $PATH"), "{error}");
        // A path must exist and be executable.
        let error = resolve_server(Some(Path::new("/nonexistent/shoal-server"))).unwrap_err();
        assert!(error.contains("does not exist"), "{error}");
        let plain = std::env::temp_dir().join(format!("shoal-cli-plain-{}", std::process::id()));
        std::fs::write(&plain, "not a program").unwrap();
        let error = resolve_server(Some(&plain)).unwrap_err();
        std::fs::remove_file(&plain).unwrap();
        assert!(error.contains("not executable"), "{error}");
    }
}
