//! MIGRATE against real targets: the same script runs once with
//! `shoal-server` as the source and once with `redis-server` 7.0 as the
//! source, each against fresh targets (a password-protected redis-server
//! and a shoal-server that is killed midway); both transcripts must be
//! identical, and the keys must have moved (or stayed) the same way.

mod common;

use common::{redis_tools_available, start_redis, start_shoal, Raw, Server};
use shoal_resp::Frame;

/// Runs the script with `source` and returns every reply, in order.
fn script(source: &Server) -> Vec<Frame> {
    let secured = start_redis(&["--requirepass", "secret"]);
    let mut doomed = start_shoal(&[]);
    let (secured_port, doomed_port) = (secured.port.to_string(), doomed.port.to_string());
    let mut src = Raw::connect(source.port);
    let mut on_secured = Raw::connect(secured.port);
    let mut on_doomed = Raw::connect(doomed.port);
    let mut replies = Vec::new();
    let mut run = |conn: &mut Raw, args: &[&str]| replies.push(conn.call(args));

    let big = "x".repeat(300) + &"abc".repeat(100);
    run(&mut src, &["SET", "k1", "v1"]);
    run(&mut src, &["SET", "k2", &big]);
    run(&mut src, &["PEXPIRE", "k2", "100000"]);
    run(&mut src, &["SET", "n", "12345"]);
    run(&mut on_secured, &["AUTH", "secret"]);
    // Wrong password: the target's error comes back, nothing moves.
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &secured_port,
            "k1",
            "0",
            "5000",
            "AUTH",
            "nope",
        ],
    );
    run(&mut src, &["EXISTS", "k1"]);
    // Three keys (one missing) with AUTH: all move.
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &secured_port,
            "",
            "0",
            "5000",
            "AUTH",
            "secret",
            "KEYS",
            "k1",
            "missing",
            "k2",
            "n",
        ],
    );
    run(&mut src, &["EXISTS", "k1", "k2", "n"]);
    run(&mut on_secured, &["MGET", "k1", "k2", "n"]);
    run(&mut on_secured, &["OBJECT", "ENCODING", "n"]);
    // INFO counts the connection MIGRATE keeps open (Redis's dump.tcl
    // "MIGRATE is caching connections").
    let Frame::Bulk(info) = src.call(&["INFO", "stats"]) else {
        panic!("INFO stats")
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    let cached = info
        .lines()
        .find(|line| line.starts_with("migrate_cached_sockets:"))
        .unwrap_or("migrate_cached_sockets missing")
        .to_string();
    run(&mut src, &["ECHO", &cached]);
    let ttl_kept = matches!(
        on_secured.call(&["PTTL", "k2"]),
        Frame::Integer(ms) if ms > 90_000 && ms <= 100_000
    );
    run(
        &mut src,
        &["ECHO", if ttl_kept { "ttl kept" } else { "ttl lost" }],
    );
    // The largest timeout there is.
    run(&mut src, &["SET", "t", "1"]);
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &secured_port,
            "t",
            "0",
            "9223372036854775807",
            "AUTH",
            "secret",
        ],
    );
    // The key exists there now: BUSYKEY, unless REPLACE.
    run(&mut src, &["SET", "k1", "again"]);
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &secured_port,
            "k1",
            "0",
            "5000",
            "AUTH",
            "secret",
        ],
    );
    run(&mut src, &["EXISTS", "k1"]);
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &secured_port,
            "k1",
            "0",
            "5000",
            "REPLACE",
            "AUTH",
            "secret",
        ],
    );
    run(&mut on_secured, &["GET", "k1"]);
    // COPY into database 3 of the second target, twice over one cached
    // connection (the second time without SELECT), then into database 0.
    run(&mut src, &["SET", "c", "copied"]);
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &doomed_port,
            "c",
            "3",
            "5000",
            "COPY",
        ],
    );
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &doomed_port,
            "c",
            "3",
            "5000",
            "COPY",
            "REPLACE",
        ],
    );
    run(
        &mut src,
        &["MIGRATE", "127.0.0.1", &doomed_port, "c", "0", "5000"],
    );
    run(&mut src, &["EXISTS", "c"]);
    run(&mut on_doomed, &["SELECT", "3"]);
    run(&mut on_doomed, &["GET", "c"]);
    run(&mut on_doomed, &["SELECT", "0"]);
    run(&mut on_doomed, &["GET", "c"]);
    // A target database that does not exist.
    run(&mut src, &["SET", "d", "1"]);
    run(
        &mut src,
        &["MIGRATE", "127.0.0.1", &doomed_port, "d", "99", "5000"],
    );
    // The target dies with its connection cached: the retry finds it gone.
    doomed.kill();
    run(
        &mut src,
        &["MIGRATE", "127.0.0.1", &doomed_port, "d", "0", "5000"],
    );
    run(&mut src, &["EXISTS", "d"]);
    // Nothing to move.
    run(
        &mut src,
        &["MIGRATE", "127.0.0.1", &doomed_port, "nokey", "0", "5000"],
    );
    // To itself: the source is blocked in MIGRATE and cannot answer. (It
    // runs the RESTORE later, whenever it reads it: REPLACE keeps that
    // harmless and out of the error statistics below.)
    let own_port = source.port.to_string();
    run(
        &mut src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &own_port,
            "d",
            "0",
            "300",
            "REPLACE",
        ],
    );
    run(&mut src, &["EXISTS", "d"]);
    run(&mut src, &["INFO", "errorstats"]);
    replies
}

#[test]
fn migrate_transcript_matches_redis() {
    if !redis_tools_available("migrate_transcript_matches_redis") {
        return;
    }
    let shoal = start_shoal(&[]);
    let redis = start_redis(&[]);
    let from_shoal = script(&shoal);
    let from_redis = script(&redis);
    assert_eq!(from_shoal.len(), from_redis.len());
    for (index, (ours, theirs)) in from_shoal.iter().zip(&from_redis).enumerate() {
        assert_eq!(ours, theirs, "reply {index} differs");
    }
    // The script itself must have moved keys and met each error once.
    let text = format!("{from_redis:?}");
    for expected in [
        "Target instance replied with error: WRONGPASS",
        "Target instance replied with error: BUSYKEY",
        "Target instance replied with error: ERR DB index is out of range",
        "IOERR error or timeout writing to target instance",
        "IOERR error or timeout reading to target instance",
        "NOKEY",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
}
