//! Black-box Pub/Sub tests: the real `shoal-server` binary with two (or
//! three) raw connections, checking the exact bytes a subscriber receives,
//! and a differential run of the same exchange against the real
//! `redis-server` oracle when it is installed.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{redis_tools_available, start_redis, start_shoal, wait_until, Raw};
use shoal_resp::Frame;

/// Sends one command.
fn send(connection: &mut Raw, args: &[&[u8]]) {
    connection.command(args);
}

/// Reads exactly `expected.len()` bytes and compares them (a subscriber's
/// messages arrive asynchronously, so reading a known length is the only
/// reliable framing when several replies come in one write).
fn expect(connection: &mut Raw, expected: &[u8]) {
    let got = connection.read_exact_bytes(expected.len());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

/// Sends a command and checks the complete reply bytes.
fn call(connection: &mut Raw, args: &[&[u8]], expected: &[u8]) {
    send(connection, args);
    expect(connection, expected);
}

/// Asserts that nothing more arrives within a short wait.
fn expect_silence(connection: &mut Raw) {
    connection
        .stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut byte = [0u8; 64];
    match connection.stream.read(&mut byte) {
        Ok(count) => panic!(
            "unexpected bytes: {:?}",
            String::from_utf8_lossy(&byte[..count])
        ),
        Err(error) => assert!(
            matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{error}"
        ),
    }
    connection
        .stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
}

const CONTEXT_ERROR_GET: &[u8] = b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / \
    (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n";

#[test]
fn subscriber_receives_publish_from_another_connection() {
    let server = start_shoal(&[]);
    let mut subscriber = Raw::connect(server.port);
    let mut publisher = Raw::connect(server.port);
    call(
        &mut subscriber,
        &[b"SUBSCRIBE", b"news", b"sport"],
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n",
    );
    call(&mut publisher, &[b"PUBLISH", b"news", b"hello"], b":1\r\n");
    expect(
        &mut subscriber,
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
    );
    call(&mut publisher, &[b"PUBLISH", b"nobody", b"x"], b":0\r\n");
    call(
        &mut publisher,
        &[b"PUBSUB", b"NUMSUB", b"news", b"nobody"],
        b"*4\r\n$4\r\nnews\r\n:1\r\n$6\r\nnobody\r\n:0\r\n",
    );
    call(
        &mut publisher,
        &[b"PUBSUB", b"CHANNELS"],
        b"*2\r\n$4\r\nnews\r\n$5\r\nsport\r\n",
    );
    expect_silence(&mut subscriber);
}

#[test]
fn pattern_subscription_gets_pmessage() {
    let server = start_shoal(&[]);
    let mut subscriber = Raw::connect(server.port);
    let mut publisher = Raw::connect(server.port);
    call(
        &mut subscriber,
        &[b"PSUBSCRIBE", b"news.*"],
        b"*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n",
    );
    call(
        &mut subscriber,
        &[b"SUBSCRIBE", b"news.it"],
        b"*3\r\n$9\r\nsubscribe\r\n$7\r\nnews.it\r\n:2\r\n",
    );
    // Channel subscription first, then the pattern; each counts.
    call(&mut publisher, &[b"PUBLISH", b"news.it", b"m"], b":2\r\n");
    expect(
        &mut subscriber,
        b"*3\r\n$7\r\nmessage\r\n$7\r\nnews.it\r\n$1\r\nm\r\n\
          *4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$7\r\nnews.it\r\n$1\r\nm\r\n",
    );
    call(&mut publisher, &[b"PUBLISH", b"news.fr", b"n"], b":1\r\n");
    expect(
        &mut subscriber,
        b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$7\r\nnews.fr\r\n$1\r\nn\r\n",
    );
    call(&mut publisher, &[b"PUBSUB", b"NUMPAT"], b":1\r\n");
    call(&mut publisher, &[b"PUBLISH", b"sport", b"x"], b":0\r\n");
    expect_silence(&mut subscriber);
}

#[test]
fn unsubscribe_replies_carry_the_remaining_count() {
    let server = start_shoal(&[]);
    let mut client = Raw::connect(server.port);
    call(
        &mut client,
        &[b"SUBSCRIBE", b"a", b"b"],
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n",
    );
    call(
        &mut client,
        &[b"PSUBSCRIBE", b"p*"],
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n",
    );
    call(
        &mut client,
        &[b"UNSUBSCRIBE", b"b", b"zz"],
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:2\r\n",
    );
    call(
        &mut client,
        &[b"UNSUBSCRIBE"],
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n",
    );
    call(
        &mut client,
        &[b"UNSUBSCRIBE"],
        b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n",
    );
    call(
        &mut client,
        &[b"PUNSUBSCRIBE"],
        b"*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n",
    );
    // Out of the subscribed context again.
    call(&mut client, &[b"GET", b"k"], b"$-1\r\n");
}

#[test]
fn resp3_subscriber_gets_pushes_and_its_own_messages_first() {
    let server = start_shoal(&[]);
    let mut subscriber = Raw::connect(server.port);
    let mut publisher = Raw::connect(server.port);
    send(&mut subscriber, &[b"HELLO", b"3"]);
    assert!(matches!(subscriber.read_frame(), shoal_resp::Frame::Map(_)));
    call(
        &mut subscriber,
        &[b"SUBSCRIBE", b"c"],
        b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    );
    call(
        &mut publisher,
        &[b"PUBLISH", b"c", b"from-other"],
        b":1\r\n",
    );
    expect(
        &mut subscriber,
        b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$10\r\nfrom-other\r\n",
    );
    // RESP3: no subscribed-context limits, and a publisher subscribed to its
    // own channel sees the message before the PUBLISH reply.
    call(&mut subscriber, &[b"GET", b"k"], b"_\r\n");
    call(
        &mut subscriber,
        &[b"PUBLISH", b"c", b"self"],
        b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n:1\r\n",
    );
    // A RESP2 subscriber of the same channel still gets an array.
    let mut resp2 = Raw::connect(server.port);
    call(
        &mut resp2,
        &[b"SUBSCRIBE", b"c"],
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    );
    call(&mut publisher, &[b"PUBLISH", b"c", b"both"], b":2\r\n");
    expect(
        &mut subscriber,
        b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nboth\r\n",
    );
    expect(
        &mut resp2,
        b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nboth\r\n",
    );
}

#[test]
fn subscribed_context_rejects_other_commands() {
    let server = start_shoal(&[]);
    let mut client = Raw::connect(server.port);
    call(
        &mut client,
        &[b"SUBSCRIBE", b"c"],
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    );
    call(&mut client, &[b"GET", b"k"], CONTEXT_ERROR_GET);
    call(
        &mut client,
        &[b"CLIENT", b"ID"],
        b"-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / \
          QUIT / RESET are allowed in this context\r\n",
    );
    call(&mut client, &[b"PING"], b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    call(
        &mut client,
        &[b"PING", b"hi"],
        b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n",
    );
    call(&mut client, &[b"RESET"], b"+RESET\r\n");
    call(&mut client, &[b"GET", b"k"], b"$-1\r\n");
    let mut other = Raw::connect(server.port);
    call(&mut other, &[b"PUBLISH", b"c", b"m"], b":0\r\n");
}

#[test]
fn closing_a_subscriber_drops_its_subscriptions() {
    let server = start_shoal(&[]);
    let mut subscriber = Raw::connect(server.port);
    call(
        &mut subscriber,
        &[b"SUBSCRIBE", b"gone"],
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n",
    );
    drop(subscriber);
    let mut publisher = Raw::connect(server.port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        send(&mut publisher, &[b"PUBLISH", b"gone", b"m"]);
        let reply = publisher.read_exact_bytes(4);
        if reply == b":0\r\n" {
            break;
        }
        assert_eq!(reply, b":1\r\n");
        assert!(
            Instant::now() < deadline,
            "subscription outlived its connection"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One scripted exchange: (connection index, command) pairs; after each
/// command, every connection's pending bytes are collected.
fn transcript(port: u16) -> Vec<u8> {
    const SCRIPT: &[(usize, &[&[u8]])] = &[
        (0, &[b"SUBSCRIBE", b"c1", b"c2", b"c1"]),
        (0, &[b"PSUBSCRIBE", b"c*", b"b*", b"c*"]),
        (0, &[b"SSUBSCRIBE", b"s1"]),
        (0, &[b"GET", b"x"]),
        (0, &[b"PING"]),
        (0, &[b"PING", b"a", b"b"]),
        (1, &[b"PUBLISH", b"c2", b"m1"]),
        (1, &[b"PUBLISH", b"b9", b""]),
        (1, &[b"SPUBLISH", b"s1", b"m2"]),
        (1, &[b"SPUBLISH", b"c1", b"m3"]),
        // One match only: Redis lists channels in hash order.
        (1, &[b"PUBSUB", b"CHANNELS", b"*2"]),
        (1, &[b"PUBSUB", b"NUMSUB", b"c1", b"s1"]),
        (1, &[b"PUBSUB", b"SHARDNUMSUB", b"s1"]),
        (1, &[b"PUBSUB", b"NUMPAT"]),
        (1, &[b"PUBSUB", b"CHANNELS", b"a", b"b"]),
        (1, &[b"PUBSUB", b"NOPE"]),
        // The HELLO reply (client id) differs between servers: not logged.
        (1, &[b"HELLO", b"3"]),
        (1, &[b"PSUBSCRIBE", b"*"]),
        (1, &[b"PUBLISH", b"c1", b"self"]),
        (0, &[b"PUNSUBSCRIBE", b"b*", b"zz"]),
        (0, &[b"SUNSUBSCRIBE"]),
        (0, &[b"UNSUBSCRIBE", b"c1", b"c2"]),
        (0, &[b"UNSUBSCRIBE"]),
        (0, &[b"PUNSUBSCRIBE"]),
        (0, &[b"GET", b"x"]),
    ];
    let mut connections = [Raw::connect(port), Raw::connect(port)];
    for connection in &mut connections {
        connection
            .stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
    }
    let mut log = Vec::new();
    for (index, args) in SCRIPT {
        connections[*index].command(args);
        let logged = args[0] != b"HELLO";
        for (reader, connection) in connections.iter_mut().enumerate() {
            if logged {
                log.extend_from_slice(format!("[{reader}] ").as_bytes());
            }
            let mut chunk = [0u8; 4096];
            // Drain until the short timeout: replies and pushes both land.
            loop {
                match connection.stream.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(count) if logged => log.extend_from_slice(&chunk[..count]),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            if logged {
                log.push(b'\n');
            }
        }
    }
    log
}

#[test]
fn same_exchange_as_redis() {
    if !redis_tools_available("same_exchange_as_redis") {
        return;
    }
    let redis = start_redis(&[]);
    let shoal = start_shoal(&[]);
    let expected = transcript(redis.port);
    let got = transcript(shoal.port);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected)
    );
}

/// A subscriber that stops reading is closed once its queued messages pass
/// the Pub/Sub class's hard limit, or stay over the soft limit for longer
/// than its seconds (`client-output-buffer-limit pubsub ...`), as Redis
/// does; the publisher and the server carry on.
#[test]
fn slow_subscribers_hit_the_pubsub_output_limits() {
    for (limit, name) in [("pubsub 256kb 0 0", "hard"), ("pubsub 0 128kb 1", "soft")] {
        let server = start_shoal(&["--client-output-buffer-limit", limit]);
        let mut subscriber = Raw::connect(server.port);
        subscriber.call(&["SUBSCRIBE", "news"]);
        let mut publisher = Raw::connect(server.port);
        let message = "x".repeat(1024);
        let started = Instant::now();
        let closed = wait_until(Duration::from_secs(20), || {
            for _ in 0..500 {
                publisher.command(&[b"PUBLISH", b"news", message.as_bytes()]);
            }
            publisher.read_frames(500);
            publisher.call(&["PUBSUB", "NUMSUB", "news"])
                == Frame::Array(vec![Frame::Bulk(b"news".to_vec()), Frame::Integer(0)])
        });
        assert!(closed, "{name} limit: subscriber still subscribed");
        if name == "soft" {
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "soft limit before its seconds"
            );
        }
        assert_eq!(publisher.call(&["PING"]), Frame::Simple("PONG".into()));
    }
}
