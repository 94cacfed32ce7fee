//! A wake-up signal for one waiting task on this thread.
//!
//! Owns nothing but a flag and a waker. Must never be shared across threads
//! (it is `!Sync` by construction): the shell runs every task on one thread,
//! which is why it can skip the mutex `tokio::sync::Notify` takes on every
//! `notified()` poll and drop — once per read on every connection.
//! Semantics match `Notify::notify_one`: a notification with nobody waiting
//! is kept for the next wait.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(crate) struct LocalNotify {
    notified: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl LocalNotify {
    /// Wakes the waiting task, or the next one to wait.
    pub(crate) fn notify_one(&self) {
        self.notified.set(true);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Completes once notified (at once when a notification is pending).
    pub(crate) fn notified(&self) -> Notified<'_> {
        Notified { notify: self }
    }
}

/// The future `LocalNotify::notified` returns.
pub(crate) struct Notified<'a> {
    notify: &'a LocalNotify,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.notify.notified.replace(false) {
            return Poll::Ready(());
        }
        let waker = match self.notify.waker.take() {
            Some(waker) if waker.will_wake(context.waker()) => waker,
            _ => context.waker().clone(),
        };
        self.notify.waker.set(Some(waker));
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn a_notification_before_the_wait_is_kept() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let notify = LocalNotify::default();
        notify.notify_one();
        runtime.block_on(notify.notified());
        assert!(!notify.notified.get());
    }

    #[test]
    fn a_waiting_task_is_woken() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let notify = Rc::new(LocalNotify::default());
        let woken = Rc::new(Cell::new(false));
        local.block_on(&runtime, async {
            let waiter = {
                let (notify, woken) = (notify.clone(), woken.clone());
                tokio::task::spawn_local(async move {
                    notify.notified().await;
                    woken.set(true);
                })
            };
            tokio::task::yield_now().await;
            assert!(!woken.get());
            notify.notify_one();
            waiter.await.unwrap();
            assert!(woken.get());
        });
    }
}
