//! Golden tests: real Redis 7.0.15 cluster-bus frames (captured by
//! `scripts/capture-bus-frames`, see `tests/fixtures/README.md`) must decode to the
//! values recorded at capture time and re-encode to the identical bytes.
//!
//! Owns only test code; must never need a running Redis.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use shoal_cluster::bus::codec::layout;
use shoal_cluster::bus::{
    decode, encode, BusMessage, Frame, FrameReader, MessageBody, NodeFlags, PingBody, SlotBitmap,
};

/// Every fixture the capture script writes; a missing one is a failure.
const FIXTURES: [&str; 13] = [
    "meet-a",
    "ping-a",
    "ping-b",
    "pong-a",
    "publish-a",
    "ping-c-replica",
    "mfstart-c",
    "auth-request-c",
    "update-a",
    "fail",
    "auth-ack-a",
    "publishshard-a",
    "ping-a-paused",
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(name: &str) -> (Vec<u8>, BTreeMap<String, String>) {
    let dir = fixtures_dir();
    let bytes = fs::read(dir.join(format!("{name}.bin"))).expect("fixture .bin");
    let text = fs::read_to_string(dir.join(format!("{name}.expect"))).expect("fixture .expect");
    let mut expect = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        expect.insert(key.to_string(), value.to_string());
    }
    (bytes, expect)
}

fn ranges_text(slots: &SlotBitmap) -> String {
    let parts: Vec<String> = slots
        .ranges()
        .iter()
        .map(|r| {
            if r.start() == r.end() {
                r.start().to_string()
            } else {
                format!("{}-{}", r.start(), r.end())
            }
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(",")
    }
}

fn num<T: std::str::FromStr>(value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| panic!("bad number {value:?}"))
}

fn ping_body(msg: &BusMessage) -> &PingBody {
    msg.body.ping_body().expect("PING/PONG/MEET body")
}

/// Checks one `key value` expectation against the decoded message.
fn check(name: &str, msg: &BusMessage, key: &str, value: &str) {
    let h = &msg.header;
    let ctx = format!("{name}: {key}");
    match key {
        "type" => assert_eq!(msg.type_code(), num::<u16>(value), "{ctx}"),
        "sender_id" => assert_eq!(h.sender_id.to_string(), value, "{ctx}"),
        "port" => assert_eq!(h.port, num::<u16>(value), "{ctx}"),
        "bus_port" => assert_eq!(h.bus_port, num::<u16>(value), "{ctx}"),
        "plaintext_port" => assert_eq!(h.plaintext_port, num::<u16>(value), "{ctx}"),
        "announced_ip" => {
            let shown = format!("\"{}\"", h.announced_ip.as_str().unwrap_or("<non-utf8>"));
            assert_eq!(shown, value, "{ctx}");
        }
        "primary_id" => {
            let shown = h.primary_id.map_or("none".to_string(), |id| id.to_string());
            assert_eq!(shown, value, "{ctx}");
        }
        "slots" => assert_eq!(ranges_text(&h.slots), value, "{ctx}"),
        "config_epoch" => assert_eq!(h.config_epoch, num::<u64>(value), "{ctx}"),
        "current_epoch" => assert_eq!(h.current_epoch, num::<u64>(value), "{ctx}"),
        "flags_set" => {
            let mask = u16::from_str_radix(value.trim_start_matches("0x"), 16).expect("hex");
            assert!(h.flags.contains(NodeFlags(mask)), "{ctx}: {:?}", h.flags);
        }
        "force_ack" => assert_eq!(h.mflags.force_ack(), value == "1", "{ctx}"),
        "paused" => assert_eq!(h.mflags.paused(), value == "1", "{ctx}"),
        "hostname" => {
            let shown = ping_body(msg).hostname().map_or("none".to_string(), |b| {
                String::from_utf8_lossy(b).into_owned()
            });
            assert_eq!(shown, value, "{ctx}");
        }
        "gossip_min" => assert!(ping_body(msg).gossip.len() >= num::<usize>(value), "{ctx}"),
        "gossip_known_ids" => {
            let known: Vec<&str> = value.split(',').collect();
            for entry in &ping_body(msg).gossip {
                let id = entry.node_id.to_string();
                assert!(
                    known.contains(&id.as_str()),
                    "{ctx}: unknown gossip id {id}"
                );
                assert_ne!(id, h.sender_id.to_string(), "{ctx}: sender gossips itself");
                // All capture nodes run on 127.0.0.1 with bus port = port + 10000.
                assert_eq!(entry.ip.as_str(), Some("127.0.0.1"), "{ctx}");
                assert_eq!(
                    u32::from(entry.bus_port),
                    u32::from(entry.port) + 10000,
                    "{ctx}"
                );
                assert!(
                    entry
                        .flags
                        .intersects(NodeFlags::PRIMARY | NodeFlags::REPLICA),
                    "{ctx}: {:?}",
                    entry.flags
                );
            }
        }
        "channel" | "message" => {
            let (MessageBody::Publish(p) | MessageBody::PublishShard(p)) = &msg.body else {
                panic!("{ctx}: not a publish body");
            };
            let got = if key == "channel" {
                &p.channel
            } else {
                &p.message
            };
            assert_eq!(&got[..], value.as_bytes(), "{ctx}");
        }
        "node_id" => {
            let id = match &msg.body {
                MessageBody::Fail { node_id } => node_id,
                MessageBody::Update(u) => &u.node_id,
                other => panic!("{ctx}: no node id in {other:?}"),
            };
            assert_eq!(id.to_string(), value, "{ctx}");
        }
        "update_slots" | "update_config_epoch" => {
            let MessageBody::Update(u) = &msg.body else {
                panic!("{ctx}: not an UPDATE");
            };
            if key == "update_slots" {
                assert_eq!(ranges_text(&u.slots), value, "{ctx}");
            } else {
                assert_eq!(u.config_epoch, num::<u64>(value), "{ctx}");
            }
        }
        other => panic!("{name}: unknown expectation key {other:?} (update golden.rs)"),
    }
}

#[test]
fn real_frames_decode_to_captured_values_and_reencode_exactly() {
    for name in FIXTURES {
        let (bytes, expect) = load(name);
        let msg = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(expect.len() >= 8, "{name}: too few expectations");
        for (key, value) in &expect {
            check(name, &msg, key, value);
        }
        assert_eq!(encode(&msg), bytes, "{name}: re-encoding differs");
    }
}

#[test]
fn real_frames_through_frame_reader_in_odd_chunks() {
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for name in FIXTURES {
        let (bytes, _) = load(name);
        expected.push(Frame::Message(decode(&bytes).expect("valid")));
        stream.extend_from_slice(&bytes);
    }
    let mut reader = FrameReader::new();
    let mut got = Vec::new();
    for chunk in stream.chunks(997) {
        reader.push(chunk);
        while let Some(frame) = reader.next_frame().expect("link stays up") {
            got.push(frame);
        }
    }
    assert_eq!(got, expected);
    assert_eq!(reader.buffered_len(), 0);
}

/// Every `.bin` in the fixtures dir is listed (so none goes untested).
#[test]
fn fixture_list_is_complete() {
    let mut on_disk: Vec<String> = fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| n.strip_suffix(".bin").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// The header layout, checked on a real frame at the offsets of Redis's static
/// asserts (reference §5.1), independently of the codec's own constants.
#[test]
fn header_offsets_on_a_real_frame() {
    let (b, expect) = load("ping-c-replica");
    let be16 = |at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    let be64 = |at: usize| u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    assert_eq!(&b[0..4], b"RCmb");
    assert_eq!(
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize,
        b.len()
    );
    assert_eq!(be16(8), 1, "ver");
    assert_eq!(be16(10).to_string(), expect["port"]);
    assert_eq!(be16(12), 0, "type PING");
    assert_eq!(
        2256 + 104 * usize::from(be16(14)),
        b.len(),
        "count, no extensions"
    );
    assert_eq!(be64(24).to_string(), expect["config_epoch"]);
    assert_eq!(&b[40..80], expect["sender_id"].as_bytes());
    // Replica of F: myslots is F's 10923-16383, LSB-first: slot 10923 is bit 3 of
    // bitmap byte 1365, so that byte is 0xf8 and the byte before it is empty.
    assert_eq!(b[80 + 1364], 0x00, "slots 10912-10919");
    assert_eq!(b[80 + 1365], 0xf8, "slots 10920-10927");
    assert_eq!(b[80 + 2047], 0xff, "slots 16376-16383");
    assert_eq!(&b[2128..2168], expect["primary_id"].as_bytes());
    assert!(b[2168..2214].iter().all(|&x| x == 0), "myip unset");
    assert_eq!(be16(2214), 0, "extensions");
    assert!(b[2216..2246].iter().all(|&x| x == 0), "notused1");
    assert_eq!(be16(2246), 0, "pport");
    assert_eq!(be16(2248).to_string(), expect["bus_port"]);
    assert_eq!(be16(2250) & 0x12, 0x12, "flags myself,slave");
    assert!(b[2252] <= 1, "state");
    assert_eq!(b[2253] & 0x04, 0, "no EXT_DATA without hostname");
    assert_eq!(b[2254..2256], [0, 0]);

    let (p, _) = load("ping-a");
    assert_eq!(p[2253] & 0x04, 0x04, "EXT_DATA with hostname");
    assert_eq!(u16::from_be_bytes([p[2214], p[2215]]), 1);
}

#[test]
fn layout_constants_match_reference() {
    let got = [
        layout::SIG,
        layout::TOTLEN,
        layout::VER,
        layout::PORT,
        layout::TYPE,
        layout::COUNT,
        layout::CURRENT_EPOCH,
        layout::CONFIG_EPOCH,
        layout::OFFSET,
        layout::SENDER,
        layout::MYSLOTS,
        layout::SLAVEOF,
        layout::MYIP,
        layout::EXTENSIONS,
        layout::NOTUSED1,
        layout::PPORT,
        layout::CPORT,
        layout::FLAGS,
        layout::STATE,
        layout::MFLAGS,
        layout::DATA,
    ];
    let reference = [
        0, 4, 8, 10, 12, 14, 16, 24, 32, 40, 80, 2128, 2168, 2214, 2216, 2246, 2248, 2250, 2252,
        2253, 2256,
    ];
    assert_eq!(got, reference);
    assert_eq!(layout::HEADER_LEN, 2256);
    assert_eq!(layout::MAX_FIXED_MESSAGE_LEN, 4352);
    assert_eq!(layout::GOSSIP_LEN, 104);
    let gossip = [
        layout::GOSSIP_NODENAME,
        layout::GOSSIP_PING_SENT,
        layout::GOSSIP_PONG_RECEIVED,
        layout::GOSSIP_IP,
        layout::GOSSIP_PORT,
        layout::GOSSIP_CPORT,
        layout::GOSSIP_FLAGS,
        layout::GOSSIP_PPORT,
        layout::GOSSIP_NOTUSED1,
    ];
    assert_eq!(gossip, [0, 40, 44, 48, 94, 96, 98, 100, 102]);
}
