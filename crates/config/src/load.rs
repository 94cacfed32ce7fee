//! Loading configuration text (redis.conf syntax) and `redis-server`-style command-line
//! arguments, following Redis 7.0.15 `loadServerConfigFromString`, `loadServerConfig`
//! and the option handling in `main()`.
//!
//! It owns the translation of files/arguments into `Config` values. Files are only ever
//! read through the caller's `read_file` closure; it must never touch the filesystem,
//! stdin or the process (no chdir, no exit) itself.

use crate::error::ConfigError;
use crate::table::{self, MULTI_ARG};
use crate::util::{repr, split_args, trim_line};
use crate::{Config, FileDirective, MAX_HZ, MIN_HZ};

/// Directives Redis 7.0 still accepts (with exactly one argument) and ignores.
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// The closure type used to read configuration sources.
pub(crate) type ReadFile<'a> = dyn FnMut(&str) -> std::io::Result<String> + 'a;

fn read_source(path: &str, read_file: &mut ReadFile<'_>) -> Result<String, ConfigError> {
    read_file(path).map_err(|e| ConfigError::open(path, &e))
}

/// The result of splitting `argv` like Redis `main()` does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedArgs {
    pub(crate) config_file: Option<String>,
    pub(crate) from_stdin: bool,
    /// The options turned into config text ("name value value\nname value").
    pub(crate) options: String,
}

/// Redis `main()` option handling: an optional first argument that does not start with
/// '-' is the config file; `-` as the first or last argument means "read stdin"; every
/// `--name` starts a new line and the following words are quoted values. `--save` with no
/// value means `save ""`. A single argument containing spaces (`"--port 6380"`) is
/// copied verbatim.
pub(crate) fn parse_args(args: &[String]) -> ParsedArgs {
    let mut config_file = None;
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            config_file = Some(first.clone());
            j = 1;
        }
    }
    let n = args.len();
    let mut from_stdin = false;
    let mut options = String::new();
    let mut handled_last_config_arg = true;
    while j < n {
        let arg = &args[j];
        let next_is_option = j + 1 < n && args[j + 1].starts_with("--");
        if arg == "-" && (j == 0 || j == n - 1) {
            from_stdin = true;
        } else if handled_last_config_arg && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let words = split_args(arg.as_bytes()).map(|v| v.len()).unwrap_or(0);
            if words == 1 {
                handled_last_config_arg = false;
                if arg.eq_ignore_ascii_case("--save") && next_is_option {
                    options.push_str("\"\"");
                    handled_last_config_arg = true;
                } else if arg.eq_ignore_ascii_case("--save") && j == n - 1 {
                    options.push_str("\"\"");
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last_config_arg = true;
                }
            } else {
                handled_last_config_arg = true;
            }
        } else {
            options.push_str(&repr(arg.as_bytes()));
            options.push(' ');
            handled_last_config_arg = true;
        }
        j += 1;
    }
    ParsedArgs {
        config_file,
        from_stdin,
        options,
    }
}

impl Config {
    /// Build the configuration from `argv` without the program name, exactly like
    /// `redis-server`: `[configfile] [-] [--directive value...]...`. The file (and stdin
    /// when `-` is given, read as `read_file("-")`) comes first, then the options, which
    /// start on the line after an extra newline (so with no file the first option is
    /// "line 2" in error messages, like Redis). `read_file` is also used for `include`;
    /// for a path containing `*`, `?` or `[` it should return the concatenation of all
    /// matching files (or "" if none match), as Redis globs there.
    /// Flags handled by the server itself (`-v`, `--version`, `--help`, `--test-memory`,
    /// `--check-system`) must be filtered out before calling this.
    pub fn from_args(
        args: &[String],
        read_file: &mut dyn FnMut(&str) -> std::io::Result<String>,
    ) -> Result<Config, ConfigError> {
        let parsed = parse_args(args);
        let mut config = Config::default();
        let mut text = String::new();
        if let Some(path) = &parsed.config_file {
            text.push_str(&read_source(path, read_file)?);
        }
        if parsed.from_stdin {
            text.push_str(&read_source("-", read_file)?);
        }
        text.push('\n');
        text.push_str(&parsed.options);
        config.config_file = parsed.config_file;
        config.load_text(&text, read_file)?;
        Ok(config)
    }

    /// Apply configuration text in redis.conf syntax on top of the current values
    /// (Redis `loadServerConfigFromString`): one directive per line, names
    /// case-insensitive, `#` comments, quoting like `sdssplitargs`, last one wins,
    /// `include <path>` read through `read_file`. Stops at the first error.
    pub fn load_text(
        &mut self,
        text: &str,
        read_file: &mut dyn FnMut(&str) -> std::io::Result<String>,
    ) -> Result<(), ConfigError> {
        self.reading_config_file = true;
        for (i, raw) in text.split('\n').enumerate() {
            let line_number = i + 1;
            let line = trim_line(raw);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |message: &str| ConfigError::fatal_at(line_number, line, message);
            let Some(argv) = split_args(line.as_bytes()) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            let Some(first) = argv.first() else {
                continue;
            };
            let name = String::from_utf8_lossy(first).to_ascii_lowercase();
            let argc = argv.len();

            if let Some(entry) = table::lookup(name.as_bytes()) {
                if !entry.spec().has(MULTI_ARG) && argc != 2 {
                    return Err(fail("wrong number of arguments"));
                }
                if entry.spec().has(MULTI_ARG) && argc == 2 && !argv[1].is_empty() {
                    // Redis splits a lone argument of a multi-argument
                    // directive again (sdssplitargs), so that
                    // `--client-output-buffer-limit "pubsub 32mb 8mb 60"`
                    // works; an empty one stays (`--save ""`).
                    let split = split_args(&argv[1]).unwrap_or_default();
                    self.set_args(entry, &split).map_err(|e| fail(&e))?;
                } else {
                    self.set_args(entry, &argv[1..]).map_err(|e| fail(&e))?;
                }
                continue;
            }
            if DEPRECATED.contains(&name.as_str()) && argc == 2 {
                continue;
            }
            let strings: Vec<String> = argv[1..]
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let directive = || FileDirective {
                args: strings.clone(),
                line: line_number,
                text: line.into(),
            };
            match name.as_str() {
                "include" if argc == 2 => {
                    let content = read_source(&strings[0], read_file)?;
                    self.load_text(&content, read_file)?;
                }
                "rename-command" if argc == 3 => self.rename_commands.push(directive()),
                "user" if argc >= 2 => self.users.push(directive()),
                "loadmodule" if argc >= 2 => self.load_modules.push(directive()),
                _ if name.contains('.') => {
                    if argc != 2 {
                        return Err(fail("Module config specified without value"));
                    }
                    let value = strings[0].clone();
                    match self.module_configs.iter_mut().find(|(k, _)| *k == name) {
                        Some(slot) => slot.1 = value,
                        None => self.module_configs.push((name.clone(), value)),
                    }
                }
                // A bare `sentinel` line selects sentinel mode in main(); Shoal has none.
                "sentinel" if argc == 1 => {}
                "sentinel" => return Err(fail("sentinel directive while not in sentinel mode")),
                _ => return Err(fail("Bad directive or wrong number of arguments")),
            }
        }

        // Sanity checks done by Redis after each parsed text (also after an include).
        if self.get_bool("cluster-enabled") && self.replicaof.is_some() {
            return Err(ConfigError::fatal(
                "replicaof directive not allowed in cluster mode",
            ));
        }
        if let Some(hz) = table::lookup_str("hz") {
            if let crate::Value::Num(v) = &mut self.values[hz] {
                *v = (*v).clamp(MIN_HZ, MAX_HZ);
            }
        }
        self.reading_config_file = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_args_like_redis_main() {
        let p = parse_args(&args(&[
            "--port",
            "21991",
            "--bind",
            "127.0.0.1",
            "--foo",
            "bar",
        ]));
        assert_eq!(p.config_file, None);
        assert_eq!(
            p.options,
            "port \"21991\" \nbind \"127.0.0.1\" \nfoo \"bar\" "
        );

        let p = parse_args(&args(&["redis.conf", "--foo", "bar baz", "qux"]));
        assert_eq!(p.config_file.as_deref(), Some("redis.conf"));
        assert_eq!(p.options, "foo \"bar baz\" \"qux\" ");

        let p = parse_args(&args(&["--port 6380", "--save", "--maxmemory", "1gb"]));
        assert_eq!(p.options, "port 6380 \nsave \"\"\nmaxmemory \"1gb\" ");

        let p = parse_args(&args(&["--save"]));
        assert_eq!(p.options, "save \"\"");

        // After a bare option name the next `--x` is its value.
        let p = parse_args(&args(&["--requirepass", "--weird"]));
        assert_eq!(p.options, "requirepass \"--weird\" ");

        let p = parse_args(&args(&["-", "--port", "1"]));
        assert!(p.from_stdin);
        let p = parse_args(&args(&["--port", "1", "-"]));
        assert!(p.from_stdin);
        let p = parse_args(&args(&["--port", "-", "2"]));
        assert!(!p.from_stdin);
        assert_eq!(p.options, "port \"-\" \"2\" ");
    }
}
