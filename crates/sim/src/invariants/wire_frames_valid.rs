//! Invariant (every step): every frame an honest node sends is accepted by the
//! receiver's codec — the `FrameReader` never reports a link error and never
//! ignores a frame (reference `redis-cluster-7.0.md` §5.6 "Receive-side
//! validation": a real node would drop such frames or close the link).
//!
//! Owns: wording the violation. The simulator detects the failure, since it runs
//! the receive-side `FrameReader` of each link direction. Must never: be
//! triggered by frames the simulator forges on purpose (it forges valid ones).

#[derive(Debug, Clone, Copy)]
pub(super) struct WireFramesValid;

impl WireFramesValid {
    pub(super) fn describe(&self, detail: String) -> String {
        format!("receiver rejected a frame from an honest node: {detail}")
    }
}
