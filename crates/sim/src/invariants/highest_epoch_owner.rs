//! Invariant (checked at quiescence): a slot's owner is the claimant with the
//! highest configEpoch (reference `redis-cluster-7.0.md` §6.8 "Slot rules": a
//! claimed slot is reassigned when "the owner's configEpoch < sender's
//! configEpoch"; the last writer in epoch order wins everywhere).
//!
//! Owns: comparing, for every slot, what each live node maps it to with the set
//! of live primaries that claim it (a primary claims the slots of its own
//! bitmap, the `myslots` of its heartbeats, §5.1). Must never: look at dead
//! nodes' claims — they do not gossip, so nobody can learn them.

use shoal_cluster::state::SLOT_COUNT;

use super::{Snapshot, UNASSIGNED};

/// At most this many offending slots are described individually.
const MAX_DETAILS: usize = 5;

/// The best claim on one slot so far.
#[derive(Clone, Copy)]
struct Best {
    epoch: u64,
    /// View position of the claimant.
    pos: usize,
    /// Another claimant has the same epoch.
    tied: bool,
}

pub(super) fn check(snapshot: &Snapshot<'_>) -> Vec<String> {
    let mut best: Vec<Option<Best>> = vec![None; SLOT_COUNT];
    let mut claimed_by: Vec<(usize, u64, Vec<u16>)> = Vec::new();
    for (pos, v) in snapshot.views.iter().enumerate() {
        if !v.state.is_primary() {
            continue;
        }
        let epoch = v.state.my_config_epoch();
        let slots = v.state.my_slots();
        for &slot in &slots {
            let Some(entry) = best.get_mut(usize::from(slot)) else {
                continue;
            };
            *entry = Some(match *entry {
                None => Best {
                    epoch,
                    pos,
                    tied: false,
                },
                Some(b) if epoch > b.epoch => Best {
                    epoch,
                    pos,
                    tied: false,
                },
                Some(b) if epoch == b.epoch => Best { tied: true, ..b },
                Some(b) => b,
            });
        }
        claimed_by.push((pos, epoch, slots));
    }
    let mut out = Vec::new();
    let mut offending = 0usize;
    for (slot, entry) in best.iter().enumerate() {
        let Some(b) = entry else {
            continue;
        };
        let winner_code = u8::try_from(b.pos).unwrap_or(UNASSIGNED);
        let wrong_views: Vec<usize> = snapshot
            .owners
            .iter()
            .enumerate()
            .filter(|(_, owners)| owners.get(slot) != Some(&winner_code))
            .map(|(pos, _)| snapshot.views.get(pos).map_or(pos, |v| v.index))
            .collect();
        if !b.tied && wrong_views.is_empty() {
            continue;
        }
        offending += 1;
        if offending > MAX_DETAILS {
            continue;
        }
        let described: Vec<String> = claimed_by
            .iter()
            .filter(|(_, _, slots)| slots.binary_search(&(slot as u16)).is_ok())
            .map(|(pos, e, _)| {
                format!(
                    "{} epoch {e}",
                    snapshot.owner_name(u8::try_from(*pos).unwrap_or(UNASSIGNED))
                )
            })
            .collect();
        if b.tied {
            out.push(format!(
                "slot {slot}: several claimants share the highest configEpoch {}: {}",
                b.epoch,
                described.join(", ")
            ));
        } else {
            out.push(format!(
                "slot {slot}: nodes {wrong_views:?} do not map it to the highest-epoch \
                 claimant {} (claimants: {})",
                snapshot.owner_name(winner_code),
                described.join(", ")
            ));
        }
    }
    if offending > MAX_DETAILS {
        out.push(format!("{offending} slots violate the rule in total"));
    }
    out
}
