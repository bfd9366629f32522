//! A live guest: its store, instance exports and how it is instantiated (start step 7).

use crate::error::{Error, ExportReason, Fault, GuestFailure, Resource, Stage};
use crate::limits::{Limits, MAX_MEMORIES, MAX_TABLES, WASM_PAGE_BYTES};
use crate::runtime::Counters;
use crate::runtime::defects::Defect;
use crate::runtime::exports::{ALLOC, CLEANUP, HANDLE_MESSAGE, HEALTH, MEMORY, START};
use crate::runtime::store::{self, StoreState};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{
    Instance, Memory, Module, ResourcesRequired, Store, TypedFunc, WasmParams, WasmResults,
};

pub(crate) struct Guest {
    pub store: Store<StoreState>,
    pub start: Option<TypedFunc<(), ()>>,
    pub cleanup: Option<TypedFunc<(), ()>>,
    pub health: Option<TypedFunc<(), i32>>,
    pub handle_message: Option<TypedFunc<(i32, i32), i64>>,
    pub alloc: Option<TypedFunc<i32, i32>>,
    pub memory: Option<Memory>,
}

/// The first resource whose declared initial size or count the limits refuse.
fn first_exceeded(limits: &Limits, required: &ResourcesRequired) -> Option<Resource> {
    let memory_fits = required
        .max_initial_memory_size
        .is_none_or(|pages| limits.admits_memory(pages.saturating_mul(WASM_PAGE_BYTES)));
    if required.num_memories as usize > MAX_MEMORIES || !memory_fits {
        return Some(Resource::Memory);
    }
    let table_fits = required
        .max_initial_table_size
        .is_none_or(|elements| limits.admits_table(elements));
    if required.num_tables as usize > MAX_TABLES || !table_fits {
        return Some(Resource::Table);
    }
    None
}

fn typed<P: WasmParams, R: WasmResults>(
    instance: &Instance,
    store: &mut Store<StoreState>,
    name: &str,
) -> Result<Option<TypedFunc<P, R>>, Error> {
    let Some(func) = instance.get_func(&mut *store, name) else {
        return Ok(None);
    };
    // The export check already passed, so this only fails if that check has a bug.
    func.typed(&*store).map(Some).map_err(|e| {
        Error::new(
            Stage::Exports,
            Fault::BadExport {
                export: name.into(),
                reason: ExportReason::WrongSignature,
            },
        )
        .with_detail(e)
    })
}

impl Guest {
    /// Creates the store and instantiates, with the start deadline armed (it also
    /// covers `_start`, which the caller runs next) and a fresh fuel budget for the
    /// wasm `start` section.
    pub async fn instantiate(
        module: &Module,
        limits: &Limits,
        counters: Arc<Counters>,
        start_timeout: Duration,
        defect: Option<Defect>,
    ) -> Result<Guest, Error> {
        let instantiate_error = |fault| Error::new(Stage::Instantiate, fault);
        if let Some(resource) = first_exceeded(limits, &module.resources_required()) {
            return Err(instantiate_error(Fault::ResourceLimitExceeded { resource }));
        }
        let mut store = store::new_store(module.engine(), limits.clone(), counters, defect);
        let start_timeout = match defect {
            // Bounded all the same, so an in-process run still ends.
            Some(Defect::NoStartTimeout) => start_timeout * 25,
            _ => start_timeout,
        };
        store::arm_deadline(&mut store, start_timeout);
        store::refill_fuel(&mut store);
        let instance = match Instance::new_async(&mut store, module, &[]).await {
            Ok(instance) => instance,
            Err(e) => {
                // What stopped instantiation decides: a trap, fuel or the clock in a
                // segment or the `start` section, whatever growth the limiter refused on
                // the way (the guest saw -1 and went on). Initial sizes were checked
                // above, by the limiter's own rule, so the limiter refuses nothing else.
                let fault = store::classify(&e, defect).into();
                return Err(instantiate_error(fault).with_detail(e));
            }
        };
        Ok(Guest {
            start: typed(&instance, &mut store, START)?,
            cleanup: typed(&instance, &mut store, CLEANUP)?,
            health: typed(&instance, &mut store, HEALTH)?,
            handle_message: typed(&instance, &mut store, HANDLE_MESSAGE)?,
            alloc: typed(&instance, &mut store, ALLOC)?,
            memory: instance.get_memory(&mut store, MEMORY),
            store,
        })
    }

    /// Starts a wall-clock budget for the calls that follow.
    pub fn arm_deadline(&mut self, timeout: Duration) {
        store::arm_deadline(&mut self.store, timeout);
    }

    /// Calls a guest function with fresh fuel under the armed deadline.
    pub async fn call<P: WasmParams + Sync, R: WasmResults + Sync>(
        &mut self,
        func: &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, GuestFailure> {
        store::call(&mut self.store, func, params, true).await
    }

    /// Calls a guest function on the fuel left over (a defect only).
    pub async fn call_on_leftover_fuel<P: WasmParams + Sync, R: WasmResults + Sync>(
        &mut self,
        func: &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, GuestFailure> {
        store::call(&mut self.store, func, params, false).await
    }
}
