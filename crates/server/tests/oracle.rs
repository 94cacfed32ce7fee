//! Oracle tests: the same command scripts run against `shoal-server` and the
//! real `redis-server` 7.0.15; every reply must be byte-identical.
//!
//! Scripts live in `tests/oracle/*.txt`: one command per line, words split on
//! spaces, double quotes group words, `#` starts a comment line, and a line
//! starting with `!` runs without its reply being compared (`!HELLO 3`: the
//! reply holds the connection id). Each script runs on one fresh connection
//! per server, after FLUSHALL.

mod common;

use common::{redis_tools_available, start_redis, start_shoal, Raw};

fn split_words(line: &str) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut current = Vec::new();
    let mut in_quotes = false;
    let mut has_word = false;
    let mut chars = line.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '"' => {
                in_quotes = !in_quotes;
                has_word = true;
            }
            '\\' if in_quotes => match chars.next() {
                Some('n') => current.push(b'\n'),
                Some('r') => current.push(b'\r'),
                Some('x') => {
                    let high = chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
                    let low = chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
                    current.push((high * 16 + low) as u8);
                }
                Some(other) => current.extend_from_slice(other.to_string().as_bytes()),
                None => {}
            },
            ' ' if !in_quotes => {
                if has_word {
                    words.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            other => {
                current.extend_from_slice(other.to_string().as_bytes());
                has_word = true;
            }
        }
    }
    if has_word {
        words.push(current);
    }
    words
}

fn run_script(port: u16, script: &str) -> Vec<(String, Vec<u8>)> {
    let mut raw = Raw::connect(port);
    raw.call(&["FLUSHALL"]);
    let mut transcript = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (line, compared) = match line.strip_prefix('!') {
            Some(rest) => (rest.trim(), false),
            None => (line, true),
        };
        let words = split_words(line);
        let args: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        raw.command(&args);
        let (_, bytes) = raw.read_raw_frame();
        if compared {
            transcript.push((line.to_string(), bytes));
        }
    }
    transcript
}

#[test]
fn scripts_match_redis_byte_for_byte() {
    if !redis_tools_available("scripts_match_redis_byte_for_byte") {
        return;
    }
    let debug = ["--enable-debug-command", "yes"];
    let shoal = start_shoal(&debug);
    let redis = start_redis(&debug);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for path in entries
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
    {
        let script = std::fs::read_to_string(path).unwrap();
        let ours = run_script(shoal.port, &script);
        let theirs = run_script(redis.port, &script);
        for ((line, our_bytes), (_, their_bytes)) in ours.iter().zip(&theirs) {
            compared += 1;
            if our_bytes != their_bytes {
                mismatches.push(format!(
                    "{}: `{line}`\n  shoal: {:?}\n  redis: {:?}",
                    path.file_name().unwrap().to_string_lossy(),
                    String::from_utf8_lossy(our_bytes),
                    String::from_utf8_lossy(their_bytes)
                ));
            }
        }
    }
    assert!(compared > 100, "only {compared} commands compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Runs `notifications.events` on one connection while another listens
/// with PSUBSCRIBE; returns every message the listener got, raw.
fn run_notification_script(port: u16, script: &str) -> Vec<Vec<u8>> {
    let mut listener = Raw::connect(port);
    listener.call(&["PSUBSCRIBE", "__key*__:*"]);
    listener.call(&["SUBSCRIBE", "script-end"]);
    let mut driver = Raw::connect(port);
    driver.call(&["FLUSHALL"]);
    for line in script.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(ms) = line.strip_prefix("SLEEP ") {
            std::thread::sleep(std::time::Duration::from_millis(ms.parse().unwrap()));
            continue;
        }
        let words = split_words(line);
        let args: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        driver.command(&args);
        driver.read_raw_frame();
    }
    driver.call(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    driver.call(&["PUBLISH", "script-end", "done"]);
    let mut messages = Vec::new();
    loop {
        let (frame, bytes) = listener.read_raw_frame_buffered();
        let end = matches!(&frame, shoal_resp::Frame::Array(items)
            if items.get(1) == Some(&shoal_resp::Frame::Bulk(b"script-end".to_vec())));
        if end {
            return messages;
        }
        messages.push(bytes);
    }
}

#[test]
fn keyspace_notifications_match_redis() {
    if !redis_tools_available("keyspace_notifications_match_redis") {
        return;
    }
    // The script's DEBUG SET-ACTIVE-EXPIRE 0 keeps `expired` events lazy, in
    // command order, instead of depending on when each server's cron runs.
    let shoal = start_shoal(&["--enable-debug-command", "yes"]);
    let redis = start_redis(&["--enable-debug-command", "yes"]);
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/notifications.events");
    let script = std::fs::read_to_string(path).unwrap();
    let ours = run_notification_script(shoal.port, &script);
    let theirs = run_notification_script(redis.port, &script);
    let render = |messages: &[Vec<u8>]| -> Vec<String> {
        messages
            .iter()
            .map(|bytes| String::from_utf8_lossy(bytes).replace("\r\n", " "))
            .collect()
    };
    assert!(
        theirs.len() > 100,
        "redis sent only {} messages",
        theirs.len()
    );
    assert_eq!(render(&ours), render(&theirs));
}

/// Runs commands on a RESP3 connection subscribed to its own `expired` and
/// `keymiss` events; returns each command's bytes, pushes included, read up
/// to a PING marker sent after it.
fn run_self_subscribed(port: u16) -> Vec<String> {
    let mut raw = Raw::connect(port);
    let mut transcript = Vec::new();
    let run = |raw: &mut Raw, args: &[&str], index: usize| {
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        raw.command(&args);
        let marker = format!("marker-{index}");
        raw.command(&[b"PING", marker.as_bytes()]);
        let end = format!("${}\r\n{marker}\r\n", marker.len()).into_bytes();
        let mut bytes = Vec::new();
        while !bytes.ends_with(&end) {
            bytes.extend_from_slice(&raw.read_exact_bytes(1));
        }
        bytes.truncate(bytes.len() - end.len());
        String::from_utf8_lossy(&bytes).replace("\r\n", " ")
    };
    let setup: &[&[&str]] = &[
        &["FLUSHALL"],
        &["HELLO", "3"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["CONFIG", "SET", "notify-keyspace-events", "Exm"],
        &["SET", "a", "1"],
        &["SET", "e1", "x", "PX", "5"],
        &["SET", "e2", "x", "PX", "5"],
        &["SET", "e3", "x", "PX", "5"],
        &[
            "SUBSCRIBE",
            "__keyevent@0__:expired",
            "__keyevent@0__:keymiss",
        ],
    ];
    for (index, args) in setup.iter().enumerate() {
        run(&mut raw, args, index);
    }
    std::thread::sleep(std::time::Duration::from_millis(30));
    let script: &[&[&str]] = &[
        &["GET", "e1"],
        &["GET", "missing"],
        &["GET", "a"],
        &["MGET", "a", "e2", "missing", "a"],
        &["STRLEN", "nothing"],
        &["GETRANGE", "e3", "0", "-1"],
    ];
    for (index, args) in script.iter().enumerate() {
        transcript.push(run(&mut raw, args, 100 + index));
    }
    transcript
}

#[test]
fn own_key_event_pushes_come_where_redis_puts_them() {
    if !redis_tools_available("own_key_event_pushes_come_where_redis_puts_them") {
        return;
    }
    let shoal = start_shoal(&["--enable-debug-command", "yes"]);
    let redis = start_redis(&["--enable-debug-command", "yes"]);
    let theirs = run_self_subscribed(redis.port);
    assert!(theirs[0].starts_with(">3 $7 message "), "{theirs:?}");
    assert_eq!(run_self_subscribed(shoal.port), theirs);
}

/// Sends each scenario pipelined on a fresh connection, then `CLIENT REPLY
/// ON` and a PING marker; returns the bytes that came back before the
/// marker. Redis drops reply bytes while CLIENT_REPLY_OFF/SKIP is set, even
/// in the middle of an EXEC (leaving its array short), which is what these
/// scenarios pin.
fn run_reply_mode_scenarios(port: u16) -> Vec<String> {
    let scenarios: &[&[&[&str]]] = &[
        &[
            &["MULTI"],
            &["PING"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING", "x"],
            &["EXEC"],
            &["PING", "after"],
            &["PING", "after2"],
        ],
        &[
            &["MULTI"],
            &["PING"],
            &["CLIENT", "REPLY", "OFF"],
            &["PING", "x"],
            &["EXEC"],
            &["PING", "after"],
        ],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["MULTI"],
            &["PING", "a"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "b"],
            &["EXEC"],
        ],
        &[
            &["MULTI"],
            &["CLIENT", "REPLY", "OFF"],
            &["PING"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "x"],
            &["EXEC"],
        ],
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "z"],
        ],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "y"],
        ],
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING", "a"],
            &["PING", "b"],
        ],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING", "a"],
            &["PING", "b"],
        ],
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["CLIENT", "REPLY", "OFF"],
            &["PING", "a"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "b"],
        ],
        // Pub/Sub confirmations are pushes (CLIENT_PUSHING): they get
        // through OFF and SKIP, in RESP2 and RESP3 (HELLO's own reply,
        // which holds the connection id, is suppressed).
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["SUBSCRIBE", "c1", "c2"],
            &["PSUBSCRIBE", "p*"],
            &["PING"],
            &["UNSUBSCRIBE", "c1", "c2"],
            &["PUNSUBSCRIBE", "p*"],
        ],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["HELLO", "3"],
            &["SUBSCRIBE", "c1"],
            &["PING"],
            &["UNSUBSCRIBE", "c1"],
            &["SSUBSCRIBE", "s1"],
            &["SUNSUBSCRIBE", "s1"],
        ],
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["SUBSCRIBE", "c1"],
            &["UNSUBSCRIBE"],
        ],
        &[
            &["MULTI"],
            &["CLIENT", "REPLY", "OFF"],
            &["SUBSCRIBE", "c1"],
            &["PING"],
            &["UNSUBSCRIBE", "c1"],
            &["EXEC"],
        ],
    ];
    let mut transcript = Vec::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        let mut raw = Raw::connect(port);
        let marker = format!("end-{index}");
        let mut bytes = Vec::new();
        for args in scenario.iter() {
            let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
            bytes.extend_from_slice(&shoal_resp::encode_command(&args));
        }
        bytes.extend_from_slice(&shoal_resp::encode_command(&[b"CLIENT", b"REPLY", b"ON"]));
        bytes.extend_from_slice(&shoal_resp::encode_command(&[b"PING", marker.as_bytes()]));
        raw.send(&bytes);
        let end = format!("${}\r\n{marker}\r\n", marker.len()).into_bytes();
        let mut reply = Vec::new();
        while !reply.ends_with(&end) {
            reply.extend_from_slice(&raw.read_exact_bytes(1));
        }
        transcript.push(String::from_utf8_lossy(&reply).replace("\r\n", " "));
    }
    transcript
}

#[test]
fn client_reply_modes_around_and_inside_exec_match_redis() {
    if !redis_tools_available("client_reply_modes_around_and_inside_exec_match_redis") {
        return;
    }
    let shoal = start_shoal(&[]);
    let redis = start_redis(&[]);
    let theirs = run_reply_mode_scenarios(redis.port);
    // Redis's EXEC header promises three replies and sends two.
    assert!(theirs[0].starts_with("+OK +QUEUED +QUEUED +QUEUED *3 +PONG $1 x $6 after2"));
    assert_eq!(run_reply_mode_scenarios(shoal.port), theirs);
}
