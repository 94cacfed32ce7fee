//! Black-box tests: the real `shoal-server` binary on 127.0.0.1, driven by
//! raw sockets, the independent `redis` crate client, `redis-cli` and
//! `redis-benchmark`.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{redis_cli, redis_tools_available, start_shoal, wait_until, Raw};
use shoal_resp::Frame;

fn bulk(text: &str) -> Frame {
    Frame::Bulk(text.as_bytes().to_vec())
}

#[test]
fn redis_crate_client_round_trip() {
    let server = start_shoal(&[]);
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", server.port)).unwrap();
    let mut connection = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut connection)
        .unwrap();
    let value: String = redis::cmd("GET")
        .arg("greeting")
        .query(&mut connection)
        .unwrap();
    assert_eq!(value, "hello");
    let counter: i64 = redis::cmd("INCRBY")
        .arg("counter")
        .arg(41)
        .query(&mut connection)
        .unwrap();
    let counter: i64 = counter
        + redis::cmd("INCR")
            .arg("other")
            .query::<i64>(&mut connection)
            .unwrap();
    assert_eq!(counter, 42);
    let _: () = redis::cmd("MSET")
        .arg("a")
        .arg("1")
        .arg("b")
        .arg("2")
        .query(&mut connection)
        .unwrap();
    let values: Vec<Option<String>> = redis::cmd("MGET")
        .arg("a")
        .arg("b")
        .arg("missing")
        .query(&mut connection)
        .unwrap();
    assert_eq!(values, vec![Some("1".into()), Some("2".into()), None]);
    let error = redis::cmd("INCR")
        .arg("greeting")
        .query::<i64>(&mut connection)
        .unwrap_err();
    assert!(error.to_string().contains("not an integer"), "{error}");
}

#[test]
fn pipelined_replies_arrive_in_order() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    let mut batch = Vec::new();
    let count = 100_000;
    for index in 0..count {
        batch.extend_from_slice(&shoal_resp::encode_command(&[
            b"SET",
            format!("k{index}").as_bytes(),
            b"v",
        ]));
    }
    batch.extend_from_slice(b"DBSIZE\r\n");
    // Write from another thread so a full socket buffer cannot deadlock us.
    let mut writer = raw.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&batch).unwrap());
    let replies = raw.read_exact_bytes(count * 5);
    assert!(replies.chunks(5).all(|reply| reply == b"+OK\r\n"));
    assert_eq!(raw.read_frame(), Frame::Integer(count as i64));
    sender.join().unwrap();
}

/// Requests are parsed ahead and their keys prefetched in batches; the
/// results must be those of running them one by one: a SELECT or a MULTI in
/// the middle of a batch applies to the requests after it, and a malformed
/// request ends the connection only after every request before it replied.
#[test]
fn parsed_ahead_batches_run_in_order_and_stop_at_a_protocol_error() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    let mut batch = Vec::new();
    let mut command = |args: &[&str]| {
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        batch.extend_from_slice(&shoal_resp::encode_command(&args));
    };
    for index in 0..20 {
        command(&["SET", &format!("k{index}"), "db0"]);
    }
    command(&["SELECT", "1"]);
    for index in 0..20 {
        command(&["GET", &format!("k{index}")]);
    }
    command(&["MSET", "k1", "db1", "k2", "db1"]);
    command(&["MULTI"]);
    command(&["INCR", "counter"]);
    command(&["GET", "k1"]);
    command(&["EXEC"]);
    command(&["SELECT", "0"]);
    command(&["GET", "k1"]);
    let mut after = shoal_resp::encode_command(&[b"SET", b"after", b"error"]);
    batch.extend_from_slice(b"*1\r\n$x\r\n");
    batch.append(&mut after);
    raw.send(&batch);
    let ok = || Frame::Simple("OK".into());
    let mut expected = vec![ok(); 21];
    expected.extend(vec![Frame::Null; 20]);
    expected.extend([
        ok(),
        ok(),
        Frame::Simple("QUEUED".into()),
        Frame::Simple("QUEUED".into()),
        Frame::Array(vec![Frame::Integer(1), bulk("db1")]),
        ok(),
        bulk("db0"),
        Frame::Error("ERR Protocol error: invalid bulk length".into()),
    ]);
    assert_eq!(raw.read_frames(expected.len()), expected);
    assert!(raw.is_closed());
    let mut check = Raw::connect(server.port);
    assert_eq!(check.call(&["EXISTS", "after"]), Frame::Integer(0));
    assert_eq!(check.call(&["DBSIZE"]), Frame::Integer(20));
}

#[test]
fn malformed_protocol_gets_error_and_close() {
    let server = start_shoal(&[]);
    let cases: &[(&[u8], &str)] = &[
        (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
        (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
        (
            b"*1\r\n+foo\r\n",
            "ERR Protocol error: expected '$', got '+'",
        ),
        (
            b"*1\r\n$1099511627776\r\n",
            "ERR Protocol error: invalid bulk length",
        ),
        (
            b"SET \"unbalanced\r\n",
            "ERR Protocol error: unbalanced quotes in request",
        ),
    ];
    let mut bystander = Raw::connect(server.port);
    for (input, expected) in cases {
        let mut raw = Raw::connect(server.port);
        raw.send(input);
        assert_eq!(
            raw.read_frame(),
            Frame::Error(expected.to_string()),
            "input {input:?}"
        );
        assert!(raw.is_closed(), "connection stays open after {input:?}");
        assert_eq!(bystander.call(&["PING"]), Frame::Simple("PONG".into()));
    }
}

#[test]
fn client_disconnecting_mid_command_leaves_server_up() {
    let server = start_shoal(&[]);
    {
        let mut raw = Raw::connect(server.port);
        raw.send(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\nonly-part");
    }
    let mut raw = Raw::connect(server.port);
    assert_eq!(raw.call(&["EXISTS", "key"]), Frame::Integer(0));
    assert_eq!(raw.call(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn binary_safe_keys_and_values() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    let key: &[u8] = b"k\x00\r\n\xff";
    let value: &[u8] = b"\x00\x01\r\n$3\r\n\xfe";
    raw.command(&[b"SET", key, value]);
    assert_eq!(raw.read_frame(), Frame::Simple("OK".into()));
    raw.command(&[b"GET", key]);
    assert_eq!(raw.read_frame(), Frame::Bulk(value.to_vec()));
}

#[test]
fn arity_type_and_unknown_command_errors() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    assert_eq!(
        raw.call(&["GET"]),
        Frame::Error("ERR wrong number of arguments for 'get' command".into())
    );
    assert_eq!(
        raw.call(&["NOSUCH", "a", "b"]),
        Frame::Error("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ".into())
    );
    raw.call(&["SET", "s", "x"]);
    assert_eq!(
        raw.call(&["INCR", "s"]),
        Frame::Error("ERR value is not an integer or out of range".into())
    );
    assert_eq!(raw.call(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn inline_commands_and_resp3_hello() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    raw.send(b"SET inline \"a b\"\r\n");
    assert_eq!(raw.read_frame(), Frame::Simple("OK".into()));
    raw.send(b"GET inline\n");
    assert_eq!(raw.read_frame(), bulk("a b"));
    match raw.call(&["HELLO", "3"]) {
        Frame::Map(entries) => assert!(entries.contains(&(bulk("proto"), Frame::Integer(3)))),
        other => panic!("HELLO 3 replied {other:?}"),
    }
    assert_eq!(raw.call(&["GET", "missing"]), Frame::Null);
}

#[test]
fn requirepass_gates_commands() {
    let server = start_shoal(&["--requirepass", "sesame"]);
    let mut raw = Raw::connect(server.port);
    assert_eq!(
        raw.call(&["GET", "x"]),
        Frame::Error("NOAUTH Authentication required.".into())
    );
    assert_eq!(
        raw.call(&["AUTH", "wrong"]),
        Frame::Error("WRONGPASS invalid username-password pair or user is disabled.".into())
    );
    assert_eq!(raw.call(&["AUTH", "sesame"]), Frame::Simple("OK".into()));
    assert_eq!(raw.call(&["GET", "x"]), Frame::Null);
}

#[test]
fn oversized_unauthenticated_request_is_refused() {
    let server = start_shoal(&["--requirepass", "sesame"]);
    let mut raw = Raw::connect(server.port);
    raw.send(b"*20\r\n");
    assert_eq!(
        raw.read_frame(),
        Frame::Error("ERR Protocol error: unauthenticated multibulk length".into())
    );
    assert!(raw.is_closed());
}

#[test]
fn query_buffer_limit_closes_connection() {
    let server = start_shoal(&["--client-query-buffer-limit", "1mb"]);
    let mut raw = Raw::connect(server.port);
    // A declared 2 MB bulk that never completes grows the query buffer past
    // the 1 MB limit: Redis closes such a client without a reply.
    raw.send(b"*2\r\n$3\r\nGET\r\n$2000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..30 {
        if raw.stream.write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(raw.is_closed());
    let mut other = Raw::connect(server.port);
    assert_eq!(other.call(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn maxclients_refuses_extra_connections() {
    let server = start_shoal(&["--maxclients", "2"]);
    let mut first = Raw::connect(server.port);
    let mut second = Raw::connect(server.port);
    assert_eq!(first.call(&["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(second.call(&["PING"]), Frame::Simple("PONG".into()));
    let mut third = Raw::connect(server.port);
    assert_eq!(
        third.read_frame(),
        Frame::Error("ERR max number of clients reached".into())
    );
}

#[test]
fn idle_timeout_closes_clients() {
    let server = start_shoal(&["--timeout", "1"]);
    let mut raw = Raw::connect(server.port);
    assert_eq!(raw.call(&["PING"]), Frame::Simple("PONG".into()));
    raw.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(raw.is_closed(), "idle client was not closed");
}

/// Redis keeps a command in its query buffer while it runs and counts its
/// arguments as `argv-mem`; Redis's own test suite (introspection.tcl)
/// expects `qbuf=26` for a lone CLIENT LIST or CLIENT INFO.
#[test]
fn client_list_shows_the_running_command_in_qbuf_and_argv_mem() {
    let server = start_shoal(&[]);
    let mut raw = Raw::connect(server.port);
    raw.call(&["PING"]);
    for (args, argv_bytes) in [(["CLIENT", "INFO"], 10), (["CLIENT", "LIST"], 10)] {
        let reply = raw.call(&args);
        let text = match reply {
            Frame::Bulk(bytes) | Frame::Verbatim(_, bytes) => {
                String::from_utf8_lossy(&bytes).into_owned()
            }
            other => panic!("{args:?}: {other:?}"),
        };
        assert!(text.contains(" qbuf=26 "), "{text}");
        assert!(text.contains(&format!(" argv-mem={argv_bytes} ")), "{text}");
    }
    // Another client's line shows its idle buffers: nothing queued.
    let mut other = Raw::connect(server.port);
    other.call(&["PING"]);
    let Frame::Bulk(list) = raw.call(&["CLIENT", "LIST"]) else {
        panic!("CLIENT LIST")
    };
    let list = String::from_utf8_lossy(&list).into_owned();
    let idle = list.lines().find(|line| line.contains("cmd=ping"));
    assert!(
        idle.is_some_and(|line| line.contains(" qbuf=0 ") && line.contains(" argv-mem=0 ")),
        "{list}"
    );
}

#[test]
fn client_kill_closes_the_victim() {
    let server = start_shoal(&[]);
    let mut victim = Raw::connect(server.port);
    let Frame::Integer(victim_id) = victim.call(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID")
    };
    let mut killer = Raw::connect(server.port);
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "ID", &victim_id.to_string()]),
        Frame::Integer(1)
    );
    assert!(victim.is_closed());
}

#[test]
fn redis_cli_and_benchmark_work_unmodified() {
    if !redis_tools_available("redis_cli_and_benchmark_work_unmodified") {
        return;
    }
    let server = start_shoal(&[]);
    assert_eq!(redis_cli(server.port, &["set", "foo", "bar"]).trim(), "OK");
    assert_eq!(redis_cli(server.port, &["get", "foo"]).trim(), "bar");
    assert_eq!(redis_cli(server.port, &["incr", "n"]).trim(), "1");
    assert!(redis_cli(server.port, &["info", "server"]).contains("redis_version:7.0.15"));
    // Interactive mode: commands on stdin, as a person types them.
    let mut child = std::process::Command::new("redis-cli")
        .args(["-p", &server.port.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"set x 1\nincrby x 41\nget x\nquit\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("42"), "interactive redis-cli output: {text}");
    let output = std::process::Command::new("redis-benchmark")
        .args([
            "-p",
            &server.port.to_string(),
            "-t",
            "set,get,incr,mset",
            "-n",
            "2000",
            "-q",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for test in ["SET", "GET", "INCR", "MSET"] {
        assert!(
            text.contains(&format!("{test}:")) || text.contains(&format!("{test} (")),
            "redis-benchmark output lacks {test}: {text}"
        );
    }
    assert!(!text.to_lowercase().contains("error"), "{text}");
}

#[test]
fn config_rewrite_updates_the_config_file() {
    let port = common::free_port();
    let dir = std::env::temp_dir().join(format!("shoal-rewrite-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("shoal.conf");
    // `dir` moves the server elsewhere: the file, named relative to where it
    // started, must still be the one rewritten (Redis resolves it first).
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        &file,
        format!(
            "# my settings\nport {port}\nbind 127.0.0.1\nmaxclients 500\ndir {}\n",
            data.display()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .arg("shoal.conf")
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = common::wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "server did not start");
    let mut raw = Raw::connect(port);
    assert_eq!(
        raw.call(&["CONFIG", "SET", "maxclients", "600"]),
        Frame::Simple("OK".into())
    );
    assert_eq!(raw.call(&["CONFIG", "REWRITE"]), Frame::Simple("OK".into()));
    let rewritten = common::wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&file).is_ok_and(|text| text.contains("maxclients 600"))
    });
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(rewritten, "config file not rewritten:\n{text}");
    assert!(text.contains("# my settings"), "comments lost:\n{text}");
}

/// INFO cpu carries the process's getrusage times and INFO stats the
/// sampled command rate, both refreshed by the cron.
#[test]
fn info_reports_cpu_time_and_instantaneous_ops() {
    let server = start_shoal(&["--hz", "100"]);
    let mut raw = Raw::connect(server.port);
    let mut info = Raw::connect(server.port);
    let field = |info: &mut Raw, section: &str, name: &str| -> f64 {
        let Frame::Bulk(text) = info.call(&["INFO", section]) else {
            panic!("INFO is a bulk string");
        };
        let text = String::from_utf8(text).unwrap();
        text.split("\r\n")
            .find_map(|line| line.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .parse()
            .unwrap()
    };
    let pings = b"PING\r\n".repeat(2000);
    // CPU time is accounted in scheduler ticks, so a young process can read
    // 0 for a while: poll until the load shows in every figure.
    let busy = wait_until(Duration::from_secs(10), || {
        raw.send(&pings);
        raw.read_exact_bytes(2000 * 7);
        field(&mut info, "stats", "instantaneous_ops_per_sec") > 0.0
            && field(&mut info, "stats", "instantaneous_input_kbps") > 0.0
            && field(&mut info, "cpu", "used_cpu_user_main_thread")
                + field(&mut info, "cpu", "used_cpu_sys_main_thread")
                > 0.0
    });
    assert!(busy, "instantaneous rates or CPU times stayed 0 under load");
    let Frame::Bulk(cpu) = info.call(&["INFO", "cpu"]) else {
        panic!("INFO is a bulk string");
    };
    let cpu = String::from_utf8(cpu).unwrap();
    let read = |name: &str| -> f64 {
        cpu.split("\r\n")
            .find_map(|line| line.strip_prefix(&format!("{name}:")))
            .unwrap()
            .parse()
            .unwrap()
    };
    let (user, sys) = (read("used_cpu_user"), read("used_cpu_sys"));
    let (main_user, main_sys) = (
        read("used_cpu_user_main_thread"),
        read("used_cpu_sys_main_thread"),
    );
    // One snapshot: the thread's CPU time never exceeds the process's. Only
    // the totals compare: the kernel splits each total into user and system
    // time by its own estimate, per thread and per process separately, and
    // each figure is truncated to microseconds.
    assert!(
        main_user + main_sys <= user + sys + 0.000_01 && user + sys > 0.0,
        "{cpu}"
    );
}

/// CLIENT KILL reaches a client whose replies fill its socket because it
/// stopped reading: the server does not wait for a write that never ends.
#[test]
fn client_kill_closes_a_client_stuck_in_a_write() {
    let server = start_shoal(&[]);
    let mut admin = Raw::connect(server.port);
    let big = "x".repeat(1 << 20);
    assert_eq!(
        admin.call(&["SET", "big", &big]),
        Frame::Simple("OK".into())
    );
    let mut stuck = Raw::connect(server.port);
    let Frame::Integer(stuck_id) = stuck.call(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID is an integer");
    };
    // 64 MB of replies: far more than the socket buffers hold.
    let gets = shoal_resp::encode_command(&[b"GET", b"big"]).repeat(64);
    stuck.send(&gets);
    let listed = |admin: &mut Raw| {
        let Frame::Bulk(list) = admin.call(&["CLIENT", "LIST"]) else {
            panic!("CLIENT LIST is a bulk string");
        };
        String::from_utf8(list)
            .unwrap()
            .contains(&format!("id={stuck_id} "))
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(listed(&mut admin));
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "ID", &stuck_id.to_string()]),
        Frame::Integer(1)
    );
    assert!(wait_until(Duration::from_secs(5), || !listed(&mut admin)));
    assert_eq!(admin.call(&["PING"]), Frame::Simple("PONG".into()));
}

/// CONFIG SET port moves the listener before replying, and a port that
/// cannot be listened on is refused with Redis's error while the server
/// keeps listening where it was — the same with redis-server.
#[test]
fn config_set_port_moves_the_listener_like_redis() {
    if !redis_tools_available("config_set_port_moves_the_listener_like_redis") {
        return;
    }
    let shoal = start_shoal(&[]);
    let redis = common::start_redis(&[]);
    let mut transcripts = Vec::new();
    for server in [&shoal, &redis] {
        let mut transcript = Vec::new();
        let mut admin = Raw::connect(server.port);
        let new_port = common::free_port();
        transcript.push(admin.call(&["CONFIG", "SET", "port", &new_port.to_string()]));
        // Listening moved before the reply; the admin connection lives on.
        assert!(std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err());
        transcript.push(Raw::connect(new_port).call(&["PING"]));
        // A port another socket holds.
        let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let busy_port = busy.local_addr().expect("address").port().to_string();
        transcript.push(admin.call(&["CONFIG", "SET", "port", &busy_port]));
        let Frame::Array(got) = admin.call(&["CONFIG", "GET", "port"]) else {
            panic!("CONFIG GET replies an array");
        };
        assert_eq!(got[1], bulk(&new_port.to_string()));
        transcript.push(Raw::connect(new_port).call(&["PING"]));
        transcript.push(admin.call(&["PING"]));
        // `bind ""` listens nowhere: new connections fail, old ones live.
        transcript.push(admin.call(&["CONFIG", "SET", "bind", ""]));
        assert!(std::net::TcpStream::connect(("127.0.0.1", new_port)).is_err());
        transcript.push(admin.call(&["PING"]));
        // An address that does not parse fails and changes nothing.
        transcript.push(admin.call(&["CONFIG", "SET", "bind", "999.999.999.999"]));
        transcript.push(admin.call(&["CONFIG", "GET", "bind"]));
        // An optional address this machine lacks is skipped (EADDRNOTAVAIL).
        transcript.push(admin.call(&["CONFIG", "SET", "bind", "127.0.0.1 -10.255.255.1"]));
        transcript.push(Raw::connect(new_port).call(&["PING"]));
        transcripts.push(transcript);
    }
    assert_eq!(transcripts[0], transcripts[1]);
    assert_eq!(
        transcripts[0][2],
        Frame::Error(
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on \
             this port. Check server logs."
                .into()
        )
    );
}

/// A reply with every integer made 0 (timings differ, shapes must not).
fn zero_integers(frame: Frame) -> Frame {
    match frame {
        Frame::Integer(_) => Frame::Integer(0),
        Frame::Array(items) => Frame::Array(items.into_iter().map(zero_integers).collect()),
        other => other,
    }
}

/// INFO latencystats and LATENCY HISTOGRAM have Redis's field names and
/// value shape (the values
/// themselves are timings, and Redis lists commands in its hash table's
/// order, so lines are compared sorted).
#[test]
fn latencystats_have_redis_shape() {
    if !redis_tools_available("latencystats_have_redis_shape") {
        return;
    }
    let shoal = start_shoal(&[]);
    let redis = common::start_redis(&[]);
    let shape = |port: u16| -> Vec<String> {
        let mut raw = Raw::connect(port);
        raw.call(&["CONFIG", "RESETSTAT"]);
        raw.call(&["SET", "k", "v"]);
        raw.call(&["GET", "k"]);
        raw.call(&[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "50 99.9",
        ]);
        let Frame::Bulk(info) = raw.call(&["INFO", "latencystats"]) else {
            panic!("INFO replies a bulk string");
        };
        String::from_utf8_lossy(&info)
            .lines()
            .map(|line| {
                // Every run of digits becomes N: the timings differ, the
                // shape must not.
                let mut out = String::new();
                for c in line.chars() {
                    if !c.is_ascii_digit() {
                        out.push(c);
                    } else if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                out
            })
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .chain(std::iter::once(format!(
                "{:?}",
                zero_integers(raw.call(&["LATENCY", "HISTOGRAM", "get"]))
            )))
            .collect()
    };
    let ours = shape(shoal.port);
    assert!(
        ours.iter()
            .any(|line| *line == "latency_percentiles_usec_get:pN=N.N,pN.N=N.N"),
        "{ours:?}"
    );
    assert_eq!(ours, shape(redis.port));
}

/// `pidfile`: written with the process id at startup, removed at shutdown.
#[test]
fn pidfile_is_written_and_removed() {
    let path = std::env::temp_dir().join(format!("shoal-pidfile-{}.pid", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let path_text = path.display().to_string();
    let mut server = start_shoal(&["--pidfile", &path_text]);
    let written = std::fs::read_to_string(&path).expect("pidfile written");
    assert_eq!(written, format!("{}\n", server.child.id()));
    Raw::connect(server.port).send(b"SHUTDOWN NOSAVE\r\n");
    let _ = server.child.wait();
    assert!(!path.exists(), "pidfile left behind");
}

/// `always-show-logo yes` prints the startup logo with the port and PID
/// (Redis's test harness waits for its ` PID: <pid>` line); without it, and
/// not on a terminal, one "Running mode" line is logged instead.
#[test]
fn startup_logo_or_running_mode_line() {
    for show in [true, false] {
        let path =
            std::env::temp_dir().join(format!("shoal-logo-{}-{show}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let path_text = path.display().to_string();
        let flag = if show { "yes" } else { "no" };
        let server = start_shoal(&["--always-show-logo", flag, "--logfile", &path_text]);
        let log = std::fs::read_to_string(&path).expect("logfile written");
        let pid_line = format!(" PID: {}\n", server.child.id());
        let running = format!("Running mode=standalone, port={}.", server.port);
        if show {
            assert!(log.contains(&pid_line), "{log}");
            assert!(log.contains(&format!("Port: {}\n", server.port)), "{log}");
            assert!(!log.contains(&running), "{log}");
        } else {
            assert!(log.contains(&running), "{log}");
            assert!(!log.contains(&pid_line), "{log}");
        }
        drop(server);
        let _ = std::fs::remove_file(&path);
    }
}

/// `daemonize yes`: the started process returns at once and the server
/// keeps running detached, its pid in the pidfile, until SHUTDOWN.
#[test]
fn daemonize_detaches_and_writes_the_pidfile() {
    let port = common::free_port();
    let dir = std::env::temp_dir().join(format!("shoal-daemon-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let pidfile = dir.join("shoal.pid");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--pidfile",
            &pidfile.display().to_string(),
            "--logfile",
            &dir.join("log").display().to_string(),
        ])
        .current_dir(&dir)
        .status()
        .expect("spawn shoal-server");
    assert!(status.success(), "the launching process failed: {status}");
    // The daemon is ours to stop, whatever happens below.
    struct Daemon(Option<i32>);
    impl Drop for Daemon {
        fn drop(&mut self) {
            if let Some(pid) = self.0 {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            }
        }
    }
    let mut daemon = Daemon(None);
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(
            &pidfile
        )
        .is_ok_and(|text| text.ends_with('\n'))),
        "no pidfile"
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("pidfile")
        .trim()
        .parse()
        .expect("a pid");
    daemon.0 = Some(pid);
    assert!(wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    let mut client = Raw::connect(port);
    assert_eq!(client.call(&["PING"]), Frame::Simple("PONG".into()));
    client.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(
        wait_until(Duration::from_secs(10), || !std::path::Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()),
        "the daemon did not exit"
    );
    daemon.0 = None;
    assert!(!pidfile.exists(), "pidfile left behind");
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    assert!(log.contains("Ready to accept connections"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// This machine's address on its default route, if it has one that is not
/// loopback (a UDP "connect" sends nothing).
fn non_loopback_ipv4() -> Option<std::net::Ipv4Addr> {
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    socket.connect(("192.0.2.1", 9)).ok()?;
    match socket.local_addr().ok()?.ip() {
        std::net::IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

/// Protected mode: with no password, a client from a non-loopback address
/// gets Redis's DENIED text and is disconnected; loopback clients are
/// served. The same bytes as redis-server.
#[test]
fn protected_mode_denies_remote_clients_like_redis() {
    if !redis_tools_available("protected_mode_denies_remote_clients_like_redis") {
        return;
    }
    let Some(ip) = non_loopback_ipv4() else {
        eprintln!("\n*** SKIPPED protected_mode_denies_remote_clients_like_redis: no non-loopback IPv4 address ***\n");
        return;
    };
    let bind = format!("127.0.0.1 {ip}");
    let shoal = start_shoal(&["--bind", &bind]);
    let redis = common::start_redis(&["--bind", &bind]);
    let denied = |port: u16| -> Vec<u8> {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect((ip, port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = stream.write_all(b"PING\r\n");
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    };
    let ours = denied(shoal.port);
    assert!(ours.starts_with(b"-DENIED Redis is running in protected mode"));
    assert_eq!(ours, denied(redis.port));
    assert_eq!(
        Raw::connect(shoal.port).call(&["PING"]),
        Frame::Simple("PONG".into())
    );
    let Frame::Bulk(stats) = Raw::connect(shoal.port).call(&["INFO", "stats"]) else {
        panic!("INFO replies a bulk string");
    };
    assert!(String::from_utf8_lossy(&stats).contains("rejected_connections:1"));
}

/// `tcp-keepalive`: accepted client sockets probe after the configured idle
/// time (seen in `ss` as a keepalive timer), and not at all with 0.
#[test]
fn tcp_keepalive_arms_the_socket_timer() {
    let ss_works = std::process::Command::new("ss")
        .arg("-V")
        .output()
        .is_ok_and(|output| output.status.success());
    if !ss_works {
        eprintln!("\n*** SKIPPED tcp_keepalive_arms_the_socket_timer: `ss` not installed ***\n");
        return;
    }
    let timer_of = |keepalive: &str| -> String {
        let server = start_shoal(&["--tcp-keepalive", keepalive]);
        let mut client = Raw::connect(server.port);
        assert_eq!(client.call(&["PING"]), Frame::Simple("PONG".into()));
        let output = std::process::Command::new("ss")
            .args(["-tnoH", "state", "established"])
            .arg(format!("( sport = :{} )", server.port))
            .output()
            .expect("ss");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let armed = timer_of("60");
    assert!(armed.contains("timer:(keepalive,"), "{armed}");
    assert!(!timer_of("0").contains("keepalive"));
}
