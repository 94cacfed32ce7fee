//! Per-connection state the engine keeps (Redis's `client` struct minus the
//! socket and buffers, which belong to the server shell).

use bytes::Bytes;

/// A client's identity in the engine (`CLIENT ID`).
pub type ClientId = u64;

/// `CLIENT REPLY` mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// No replies until `CLIENT REPLY ON`.
    Off,
    /// The next command's reply is dropped.
    Skip,
    /// Internal: the command after SKIP, whose reply is dropped.
    SkipNext,
}

/// How a connection reached us, from the shell.
#[derive(Clone, Debug, Default)]
pub struct ConnectInfo {
    /// Peer address `ip:port`.
    pub peer_addr: String,
    /// Local address `ip:port`.
    pub local_addr: String,
    /// File descriptor number (CLIENT LIST `fd=`).
    pub fd: i64,
}

/// Buffer sizes the shell reports for CLIENT LIST / INFO.
#[derive(Clone, Copy, Debug, Default)]
pub struct BufferStats {
    /// Unparsed query buffer bytes.
    pub query_buffer_bytes: usize,
    /// Query buffer capacity.
    pub query_buffer_capacity_bytes: usize,
    /// Pending output bytes.
    pub output_buffer_bytes: usize,
}

/// One connected client.
#[derive(Clone, Debug)]
pub struct Client {
    /// Unique, increasing id.
    pub id: ClientId,
    /// Addresses and fd.
    pub connection: ConnectInfo,
    /// `CLIENT SETNAME`.
    pub name: Option<Bytes>,
    /// Selected database.
    pub db: usize,
    /// Passed AUTH (or no password is configured).
    pub authenticated: bool,
    /// RESP version (2 or 3) as set by HELLO.
    pub resp: u8,
    /// Connection time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms (idle time, `timeout`).
    pub last_interaction_ms: i64,
    /// Full name of the last command (`client|list`).
    pub last_command: &'static str,
    /// `CLIENT REPLY` state.
    pub reply_mode: ReplyMode,
    /// `CLIENT NO-EVICT`.
    pub no_evict: bool,
    /// In MONITOR mode.
    pub monitor: bool,
    /// Marked for closing after the pending replies are written (QUIT, CLIENT KILL of self).
    pub close_after_reply: bool,
    /// Buffer sizes, refreshed by the shell.
    pub buffers: BufferStats,
}

impl Client {
    /// A new client, unauthenticated when a password is required.
    pub fn new(
        id: ClientId,
        connection: ConnectInfo,
        now_ms: i64,
        password_required: bool,
    ) -> Self {
        Client {
            id,
            connection,
            name: None,
            db: 0,
            authenticated: !password_required,
            resp: 2,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: "NULL",
            reply_mode: ReplyMode::On,
            no_evict: false,
            monitor: false,
            close_after_reply: false,
            buffers: BufferStats::default(),
        }
    }
}
