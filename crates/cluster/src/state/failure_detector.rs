//! Failure reports and the PFAIL → FAIL → cleared life cycle (reference §6.5;
//! Redis `clusterNodeAddFailureReport`, `clusterNodeCleanupFailureReports`,
//! `markNodeAsFailingIfNeeded`, `clearNodeFailureIfNeeded`).
//!
//! Owns: per-node failure reports (at most one per reporting node, so bounded by
//! the node table) and the decisions to set or clear FAIL. Must never: count a
//! report older than 2 × node_timeout.

use crate::bus::message::{MessageBody, NodeFlags};

use super::node_table::NodeKey;
use super::{ClusterState, FailReport, LogLevel, FAIL_REPORT_VALIDITY_MULT, FAIL_UNDO_TIME_MULT};

impl ClusterState {
    /// Adds or refreshes `reporter`'s report about `failing`. True if new.
    pub(super) fn add_failure_report(
        &mut self,
        now_ms: i64,
        failing: NodeKey,
        reporter: NodeKey,
    ) -> bool {
        let Some(node) = self.nodes.get_mut(failing) else {
            return false;
        };
        if let Some(report) = node
            .fail_reports
            .iter_mut()
            .find(|r| r.reporter == reporter)
        {
            report.time_ms = now_ms;
            return false;
        }
        node.fail_reports.push(FailReport {
            reporter,
            time_ms: now_ms,
        });
        true
    }

    /// Drops reports older than 2 × node_timeout.
    fn cleanup_failure_reports(&mut self, now_ms: i64, node: NodeKey) {
        let max_age = self
            .config
            .node_timeout_ms
            .saturating_mul(FAIL_REPORT_VALIDITY_MULT);
        if let Some(n) = self.nodes.get_mut(node) {
            n.fail_reports.retain(|r| now_ms - r.time_ms <= max_age);
        }
    }

    /// Removes `reporter`'s report about `node`; true if there was one.
    pub(super) fn del_failure_report(
        &mut self,
        now_ms: i64,
        node: NodeKey,
        reporter: NodeKey,
    ) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        let Some(pos) = n.fail_reports.iter().position(|r| r.reporter == reporter) else {
            return false;
        };
        n.fail_reports.remove(pos);
        self.cleanup_failure_reports(now_ms, node);
        true
    }

    /// `clusterNodeFailureReportsCount` (cleans up first).
    pub(super) fn failure_report_count(&mut self, now_ms: i64, node: NodeKey) -> usize {
        self.cleanup_failure_reports(now_ms, node);
        self.nodes.get(node).map_or(0, |n| n.fail_reports.len())
    }

    /// `markNodeAsFailingIfNeeded`: PFAIL + a quorum of primaries → FAIL, and
    /// broadcast FAIL so every reachable node agrees quickly.
    pub(super) fn mark_failing_if_needed(&mut self, now_ms: i64, node: NodeKey) {
        let needed_quorum = self.size / 2 + 1;
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        if !n.timed_out() || n.failed() {
            return;
        }
        let mut failures = self.failure_report_count(now_ms, node);
        if self.myself_is_primary() {
            failures += 1;
        }
        if failures < needed_quorum {
            return;
        }
        let id = self.node_id_of(node);
        self.log(
            LogLevel::Notice,
            format!("Marking node {id} as failing (quorum reached)."),
        );
        if let Some(n) = self.nodes.get_mut(node) {
            n.flags.remove(NodeFlags::PFAIL);
            n.flags.insert(NodeFlags::FAIL);
            n.fail_time_ms = now_ms;
        }
        // Replicas broadcast too: they only relay the primaries' opinion.
        let msg = self.message(MessageBody::Fail { node_id: id });
        self.broadcast(&msg);
        self.todo_update_state();
        self.todo_save();
    }

    /// `clearNodeFailureIfNeeded`: called when a FAIL node answers again.
    pub(super) fn clear_failure_if_needed(&mut self, now_ms: i64, node: NodeKey) {
        let undo_ms = self
            .config
            .node_timeout_ms
            .saturating_mul(FAIL_UNDO_TIME_MULT);
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        if !n.failed() {
            return;
        }
        let id = n.id;
        if n.is_replica() || n.num_slots == 0 {
            let what = if n.is_replica() {
                "replica"
            } else {
                "master without slots"
            };
            self.log(
                LogLevel::Notice,
                format!("Clear FAIL state for node {id}: {what} is reachable again."),
            );
            if let Some(n) = self.nodes.get_mut(node) {
                n.flags.remove(NodeFlags::FAIL);
            }
            self.todo_update_state();
            self.todo_save();
        }
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        if n.is_primary() && n.num_slots > 0 && now_ms - n.fail_time_ms > undo_ms {
            self.log(
                LogLevel::Notice,
                format!(
                    "Clear FAIL state for node {id}: is reachable again and nobody is serving \
                     its slots after some time."
                ),
            );
            if let Some(n) = self.nodes.get_mut(node) {
                n.flags.remove(NodeFlags::FAIL);
            }
            self.todo_update_state();
            self.todo_save();
        }
    }
}
