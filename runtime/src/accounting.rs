//! What a runtime holds, and the growth rule every engine's limiter applies.
//!
//! A [`Ledger`] is a runtime's running tally: live instances, linear memory accounted to
//! them, modules compiled. Each live instance holds one [`Accounting`], which counts the
//! instance in the ledger from its creation until it is dropped, and which is the
//! engine-neutral [`Limiter`] an engine backend installs on the instance's store.
//!
//! Invariants:
//! * `Ledger::instances` is the number of `Accounting`s alive, and `memory_bytes` the sum
//!   of their `memory_bytes`: both return to zero when every instance is dropped;
//! * an instance's accounted memory only grows by growth its limiter allowed, and a
//!   growth the engine then failed is taken back;
//! * every refused growth is reported once, as an [`Event::GrowthDenied`].

use lifecycle_contract::Counters;
use lifecycle_contract::{Event, Limits, Resource};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A runtime's tally of what it holds, shared with every instance it runs.
#[derive(Debug, Default)]
pub struct Ledger {
    instances: AtomicUsize,
    memory_bytes: AtomicU64,
    compilations: AtomicU64,
}

impl Ledger {
    /// The tally now, as the conformance suite reads it.
    pub fn read(&self) -> Counters {
        Counters {
            live_instances: self.instances.load(Ordering::SeqCst),
            accounted_memory_bytes: self.memory_bytes.load(Ordering::SeqCst),
            compilations: Some(self.compilations.load(Ordering::SeqCst)),
        }
    }

    /// One more module compiled.
    pub fn compiled(&self) {
        self.compilations.fetch_add(1, Ordering::SeqCst);
    }
}

/// What an engine asks before a linear memory or a table grows, during instantiation or
/// a call. Engine backends put one on every store; the lifecycle hands it over.
pub trait Limiter: Send + 'static {
    /// The limits this instance runs under.
    fn limits(&self) -> &Limits;
    /// May a memory grow from `current` to `desired` bytes?
    fn memory_growing(&mut self, current: usize, desired: usize) -> bool;
    /// The engine failed a memory growth this limiter had allowed.
    fn memory_grow_failed(&mut self);
    /// May a table grow from `current` to `desired` elements?
    fn table_growing(&mut self, current: usize, desired: usize) -> bool;
    /// The growth refused since the last call, oldest first.
    fn take_denied(&mut self) -> Vec<Event>;
}

/// One live instance's share of the ledger, and the contract's growth rule.
pub struct Accounting {
    limits: Limits,
    ledger: Arc<Ledger>,
    /// Linear memory accounted to this instance, in bytes.
    memory_bytes: u64,
    /// The last growth allowed, to undo if the engine then failed it.
    pending_growth: u64,
    /// Growth refused since the lifecycle last looked.
    denied: Vec<Event>,
}

impl Accounting {
    /// Counts a live instance until dropped.
    pub fn new(limits: Limits, ledger: Arc<Ledger>) -> Self {
        ledger.instances.fetch_add(1, Ordering::SeqCst);
        Accounting {
            limits,
            ledger,
            memory_bytes: 0,
            pending_growth: 0,
            denied: Vec::new(),
        }
    }

    /// Records a refused growth; returns `false`, the limiter's answer.
    pub fn deny(&mut self, resource: Resource, current: usize, desired: usize) -> bool {
        self.denied.push(Event::GrowthDenied {
            resource,
            current: current as u64,
            desired: desired as u64,
        });
        false
    }
}

impl Limiter for Accounting {
    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn memory_growing(&mut self, current: usize, desired: usize) -> bool {
        if !self.limits.admits_memory(desired as u64) {
            return self.deny(Resource::Memory, current, desired);
        }
        let delta = (desired as u64).saturating_sub(self.memory_bytes);
        self.memory_bytes += delta;
        self.pending_growth = delta;
        self.ledger.memory_bytes.fetch_add(delta, Ordering::SeqCst);
        true
    }

    fn memory_grow_failed(&mut self) {
        let undo = std::mem::take(&mut self.pending_growth);
        self.memory_bytes -= undo;
        self.ledger.memory_bytes.fetch_sub(undo, Ordering::SeqCst);
    }

    fn table_growing(&mut self, current: usize, desired: usize) -> bool {
        if !self.limits.admits_table(desired as u64) {
            return self.deny(Resource::Table, current, desired);
        }
        true
    }

    fn take_denied(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.denied)
    }
}

impl Drop for Accounting {
    fn drop(&mut self) {
        self.ledger
            .memory_bytes
            .fetch_sub(self.memory_bytes, Ordering::SeqCst);
        self.ledger.instances.fetch_sub(1, Ordering::SeqCst);
    }
}
