//! Invariant (checked at quiescence): after healing, every node agrees on every
//! slot's owner (reference `redis-cluster-7.0.md` §6.8 "Slot rules" and
//! "Reverse check / UPDATE": heartbeats and UPDATE messages rebind slots until
//! every node holds the same table; §0.7's consistency signature is the same
//! comparison redis-cli makes).
//!
//! Owns: comparing the slot maps of all live nodes. Must never: decide who
//! *should* own a slot — that is `highest_epoch_owner`.

use super::Snapshot;

/// At most this many differing slots are described individually.
const MAX_DETAILS: usize = 5;

/// One line per differing slot (capped), plus a count line.
pub(super) fn check(snapshot: &Snapshot<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(reference) = snapshot.owners.first() else {
        return out;
    };
    let mut differing = 0usize;
    for (slot, &expected) in reference.iter().enumerate() {
        let disagree: Vec<(usize, u8)> = snapshot
            .owners
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(pos, owners)| {
                owners
                    .get(slot)
                    .copied()
                    .filter(|&code| code != expected)
                    .map(|code| (pos, code))
            })
            .collect();
        if disagree.is_empty() {
            continue;
        }
        differing += 1;
        if differing <= MAX_DETAILS {
            let first = snapshot.views.first().map_or(0, |v| v.index);
            let mut line = format!(
                "slot {slot}: node {first} says {}",
                snapshot.owner_name(expected)
            );
            for (pos, code) in disagree {
                let index = snapshot.views.get(pos).map_or(pos, |v| v.index);
                line.push_str(&format!(
                    ", node {index} says {}",
                    snapshot.owner_name(code)
                ));
            }
            out.push(line);
        }
    }
    if differing > MAX_DETAILS {
        out.push(format!("{differing} slots differ in total"));
    }
    out
}
