//! What one component's store holds against its runtime's counters, and the growth rule
//! its resource limiter applies: one implementation behind both engines' limiters.

use crate::runtime::Counters;
use lifecycle_contract::{Event, Limits, Resource};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(crate) struct Accounting {
    limits: Limits,
    counters: Arc<Counters>,
    /// Linear memory accounted to this store, in bytes.
    memory_bytes: u64,
    /// The last growth allowed, to undo if the engine then failed it.
    pending_growth: u64,
    /// Growth refused since the component last looked.
    denied: Vec<Event>,
}

impl Accounting {
    /// Counts a live instance until dropped.
    pub fn new(limits: Limits, counters: Arc<Counters>) -> Self {
        counters.instances.fetch_add(1, Ordering::SeqCst);
        Accounting {
            limits,
            counters,
            memory_bytes: 0,
            pending_growth: 0,
            denied: Vec::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn deny(&mut self, resource: Resource, current: usize, desired: usize) -> bool {
        self.denied.push(Event::GrowthDenied {
            resource,
            current: current as u64,
            desired: desired as u64,
        });
        false
    }

    /// May a memory grow from `current` to `desired` bytes? `checked` is the size held
    /// against the limit (`desired`, unless a defect is injected).
    pub fn memory_growing(&mut self, current: usize, desired: usize, checked: usize) -> bool {
        if !self.limits.admits_memory(checked as u64) {
            return self.deny(Resource::Memory, current, desired);
        }
        let delta = (desired as u64).saturating_sub(self.memory_bytes);
        self.memory_bytes += delta;
        self.pending_growth = delta;
        self.counters
            .memory_bytes
            .fetch_add(delta, Ordering::SeqCst);
        true
    }

    /// The engine failed a growth the limiter allowed: take it back.
    pub fn memory_grow_failed(&mut self) {
        let undo = std::mem::take(&mut self.pending_growth);
        self.memory_bytes -= undo;
        self.counters.memory_bytes.fetch_sub(undo, Ordering::SeqCst);
    }

    /// May a table grow from `current` to `desired` elements? `checked` is the size held
    /// against the limit (`desired`, unless a defect is injected).
    pub fn table_growing(&mut self, current: usize, desired: usize, checked: usize) -> bool {
        if !self.limits.admits_table(checked as u64) {
            return self.deny(Resource::Table, current, desired);
        }
        true
    }

    /// The growth-denied events since the last call, oldest first.
    pub fn take_denied(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.denied)
    }
}

impl Drop for Accounting {
    fn drop(&mut self) {
        self.counters
            .memory_bytes
            .fetch_sub(self.memory_bytes, Ordering::SeqCst);
        self.counters.instances.fetch_sub(1, Ordering::SeqCst);
    }
}
