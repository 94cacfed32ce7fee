//! A small synchronous RESP client for the operator tool: one blocking
//! `TcpStream` per node, requests encoded with `shoal_resp::encode_command`,
//! replies decoded with `shoal_resp::parse_frame`.
//!
//! This module owns one connection's bytes and nothing else. It never retries,
//! never follows MOVED/ASK redirections (the tool always talks to the node it
//! means) and never waits without a timeout: connect, read and write are all
//! bounded so a hung node cannot hang `shoal`.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use shoal_resp::{encode_command, parse_frame, Frame, FrameError};

/// Largest reply we buffer. The tool reads CLUSTER NODES/INFO texts, a few
/// KiB even for big clusters; a peer streaming more than this is not a node.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// Why a request did not produce the reply the caller wanted.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// Connect, read or write failed (includes timeouts).
    Io(std::io::Error),
    /// The peer closed the connection before a whole reply arrived.
    Closed,
    /// The peer sent bytes that are not RESP.
    Protocol(String),
    /// The node answered with an error reply (`-ERR ...`).
    Server(String),
    /// The reply had the wrong type for the request.
    Unexpected(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(error)
                if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                write!(f, "timed out")
            }
            ClientError::Io(error) => write!(f, "{error}"),
            ClientError::Closed => write!(f, "connection closed by the node"),
            ClientError::Protocol(what) => write!(f, "protocol error: {what}"),
            ClientError::Server(message) => write!(f, "{message}"),
            ClientError::Unexpected(what) => write!(f, "unexpected reply: {what}"),
        }
    }
}

impl From<std::io::Error> for ClientError {
    fn from(error: std::io::Error) -> Self {
        ClientError::Io(error)
    }
}

impl From<FrameError> for ClientError {
    fn from(error: FrameError) -> Self {
        ClientError::Protocol(error.0)
    }
}

impl ClientError {
    /// True when the connection went away, which is the *success* signal of
    /// `SHUTDOWN` (Redis closes the socket instead of replying).
    pub(crate) fn is_disconnect(&self) -> bool {
        match self {
            ClientError::Closed => true,
            ClientError::Io(error) => matches!(
                error.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
            ),
            _ => false,
        }
    }
}

/// One blocking connection to a node.
pub(crate) struct Client {
    stream: TcpStream,
    /// Received bytes not yet consumed by a decoded reply.
    pending: Vec<u8>,
}

impl Client {
    /// Connects with `timeout` bounding the connect and every later read and
    /// write.
    pub(crate) fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self, ClientError> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        // Requests are single small writes followed by a read; Nagle would
        // only add latency.
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            pending: Vec::new(),
        })
    }

    /// Sends one command and returns its reply as decoded, error replies
    /// included as `Frame::Error`.
    pub(crate) fn call_raw(&mut self, args: &[&str]) -> Result<Frame, ClientError> {
        let byte_args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        self.stream.write_all(&encode_command(&byte_args))?;
        self.read_frame()
    }

    /// Sends one command; an error reply becomes `ClientError::Server`.
    pub(crate) fn call(&mut self, args: &[&str]) -> Result<Frame, ClientError> {
        match self.call_raw(args)? {
            Frame::Error(message) => Err(ClientError::Server(message)),
            frame => Ok(frame),
        }
    }

    /// Sends one command whose reply is text (bulk, verbatim or status), such
    /// as `CLUSTER NODES`, `CLUSTER INFO` or `CLUSTER MYID`.
    pub(crate) fn call_text(&mut self, args: &[&str]) -> Result<String, ClientError> {
        frame_text(self.call(args)?)
    }

    /// Reads exactly one reply, buffering partial input across reads.
    fn read_frame(&mut self) -> Result<Frame, ClientError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((frame, used)) = parse_frame(&self.pending)? {
                self.pending.drain(..used);
                return Ok(frame);
            }
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err(ClientError::Closed);
            }
            self.pending
                .extend_from_slice(chunk.get(..read).unwrap_or_default());
            if self.pending.len() > MAX_REPLY_BYTES {
                return Err(ClientError::Protocol(format!(
                    "reply larger than {MAX_REPLY_BYTES} bytes"
                )));
            }
        }
    }
}

/// The text of a bulk, verbatim (RESP3 `=`) or status reply.
pub(crate) fn frame_text(frame: Frame) -> Result<String, ClientError> {
    match frame {
        Frame::Bulk(bytes) | Frame::Verbatim(_, bytes) => String::from_utf8(bytes)
            .map_err(|_| ClientError::Unexpected("reply text is not UTF-8".to_string())),
        Frame::Simple(text) => Ok(text),
        Frame::Error(message) => Err(ClientError::Server(message)),
        other => Err(ClientError::Unexpected(format!("{other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A one-connection fake node: reads one request, checks it, then writes
    /// `replies` as separate writes (to exercise partial-frame buffering),
    /// then closes.
    fn fake_node(
        expected_request: Vec<u8>,
        replies: Vec<&'static [u8]>,
    ) -> (SocketAddr, thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = vec![0u8; expected_request.len()];
            stream.read_exact(&mut request).unwrap();
            assert_eq!(request, expected_request);
            for reply in replies {
                stream.write_all(reply).unwrap();
                stream.flush().unwrap();
                thread::sleep(Duration::from_millis(5));
            }
        });
        (addr, handle)
    }

    #[test]
    fn sends_multibulk_and_reassembles_split_reply() {
        let (addr, handle) = fake_node(
            b"*2\r\n$7\r\nCLUSTER\r\n$4\r\nMYID\r\n".to_vec(),
            vec![b"$5\r\nab", b"cde\r", b"\n"],
        );
        let mut client = Client::connect(addr, Duration::from_secs(2)).unwrap();
        assert_eq!(client.call_text(&["CLUSTER", "MYID"]).unwrap(), "abcde");
        handle.join().unwrap();
    }

    #[test]
    fn error_reply_is_server_error_but_raw_call_keeps_it() {
        let (addr, handle) = fake_node(
            encode_command(&[b"PING"]),
            vec![b"-LOADING Redis is loading\r\n"],
        );
        let mut client = Client::connect(addr, Duration::from_secs(2)).unwrap();
        match client.call(&["PING"]) {
            Err(ClientError::Server(message)) => assert_eq!(message, "LOADING Redis is loading"),
            other => panic!("unexpected {other:?}"),
        }
        handle.join().unwrap();

        let (addr, handle) = fake_node(encode_command(&[b"PING"]), vec![b"-ERR nope\r\n"]);
        let mut client = Client::connect(addr, Duration::from_secs(2)).unwrap();
        assert_eq!(
            client.call_raw(&["PING"]).unwrap(),
            Frame::Error("ERR nope".to_string())
        );
        handle.join().unwrap();
    }

    #[test]
    fn close_mid_reply_is_a_disconnect() {
        let (addr, handle) = fake_node(encode_command(&[b"SHUTDOWN"]), vec![b"$10\r\nabc"]);
        let mut client = Client::connect(addr, Duration::from_secs(2)).unwrap();
        let error = client.call(&["SHUTDOWN"]).unwrap_err();
        handle.join().unwrap();
        assert!(error.is_disconnect(), "{error:?}");
    }

    #[test]
    fn garbage_reply_is_a_protocol_error() {
        let (addr, handle) = fake_node(encode_command(&[b"PING"]), vec![b"$abc\r\n"]);
        let mut client = Client::connect(addr, Duration::from_secs(2)).unwrap();
        let error = client.call(&["PING"]).unwrap_err();
        handle.join().unwrap();
        assert!(matches!(error, ClientError::Protocol(_)), "{error:?}");
        assert!(!error.is_disconnect());
    }

    #[test]
    fn silent_node_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepted by the kernel backlog, never answered.
        let mut client = Client::connect(addr, Duration::from_millis(100)).unwrap();
        let error = client.call(&["PING"]).unwrap_err();
        assert_eq!(error.to_string(), "timed out");
        drop(listener);
    }

    #[test]
    fn frame_text_accepts_text_types_only() {
        assert_eq!(frame_text(Frame::Simple("OK".into())).unwrap(), "OK");
        assert_eq!(
            frame_text(Frame::Verbatim("txt".into(), b"a:b".to_vec())).unwrap(),
            "a:b"
        );
        assert!(matches!(
            frame_text(Frame::Integer(3)),
            Err(ClientError::Unexpected(_))
        ));
        assert!(matches!(
            frame_text(Frame::Bulk(vec![0xff, 0xfe])),
            Err(ClientError::Unexpected(_))
        ));
        assert!(matches!(
            frame_text(Frame::Error("ERR x".into())),
            Err(ClientError::Server(_))
        ));
    }
}
