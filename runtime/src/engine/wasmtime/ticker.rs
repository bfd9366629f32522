//! The one epoch ticker shared by every engine and component of a runtime.
//!
//! Wall-clock timeouts are epoch deadlines: each tick bumps every engine's epoch, and a
//! store past its deadline gets `Trap::Interrupt` at the next tick even in a tight loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::Engine;

pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(crate) fn start(engines: Vec<Engine>, period: Duration) -> std::io::Result<Ticker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("lifecycle-kit-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    // Parked rather than asleep, so that dropping the ticker wakes it
                    // at once whatever the period.
                    std::thread::park_timeout(period);
                    for engine in &engines {
                        engine.increment_epoch();
                    }
                }
            })?;
        Ok(Ticker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // Unparked, the thread ends at once; a panic there has nothing to tell us.
            let _ = thread.join();
        }
    }
}
