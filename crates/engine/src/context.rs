//! What a handler sees: its arguments, the node's state, its own client, the
//! reply sink and the time. Handlers never see sockets.

use bytes::Bytes;
use shoal_keyspace::Db;
use shoal_resp::{parse_i64_strict, ReplyWriter};

use crate::client::Client;
use crate::error::CommandError;
use crate::node::Node;
use crate::table::CommandSpec;

/// The execution context of one command.
pub struct Ctx<'a> {
    /// The arguments, `args[0]` being the command name as sent.
    pub args: &'a [Bytes],
    /// The node: keyspace, config, stats and other clients.
    pub node: &'a mut Node,
    /// The client running the command.
    pub client: &'a mut Client,
    /// Where the reply goes.
    pub out: &'a mut ReplyWriter,
    /// Unix time in milliseconds, fixed for the whole command.
    pub now_ms: i64,
    /// Unix time in microseconds (MONITOR, TIME, SLOWLOG).
    pub now_us: i64,
    /// The row being executed (the subcommand row for containers).
    pub spec: &'static CommandSpec,
}

impl<'a> Ctx<'a> {
    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        self.node.keyspace.db_mut(self.client.db)
    }

    /// Argument `index` (the caller checked arity).
    pub fn arg(&self, index: usize) -> &'a [u8] {
        &self.args[index]
    }

    /// Argument `index` parsed as a strict i64, else `NotInteger`.
    pub fn arg_i64(&self, index: usize) -> Result<i64, CommandError> {
        parse_i64_strict(&self.args[index]).ok_or(CommandError::NotInteger)
    }

    /// True when argument `index` equals `word`, ignoring ASCII case.
    pub fn arg_is(&self, index: usize, word: &str) -> bool {
        self.args
            .get(index)
            .is_some_and(|arg| arg.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// Records `changes` modifications of the dataset (INFO
    /// `rdb_changes_since_last_save`, and later propagation decisions).
    pub fn add_dirty(&mut self, changes: u64) {
        self.node.dirty += changes;
    }

    /// Publishes keyspace event `event` of `class` for `key` in the client's
    /// database (Redis `notifyKeyspaceEvent`); free when the class is off.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.notify_in(db, class, event, key);
    }

    /// [`Ctx::notify`] for database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        if self.node.limits.keyspace_events & class == 0 {
            return;
        }
        // Keys this command expired on its way were deleted first: their
        // `expired` events come before the command's own.
        crate::commands::pubsub::publish_key_events(self.node, Some((self.client, self.out)));
        crate::commands::pubsub::notify_keyspace_event(
            self.node,
            Some((self.client, self.out)),
            class,
            event,
            key,
            db,
        );
    }

    /// `proto-max-bulk-len`: the largest string a command may create.
    pub fn max_string_len(&self) -> u64 {
        self.node.limits.proto_max_bulk_len_bytes
    }
}
