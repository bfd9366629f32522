//! The lifecycle contract, once, over any [`Engine`].
//!
//! A [`Runtime`] owns an engine, a cache of prepared modules keyed by profile and content
//! hash, and the [`Ledger`] of what it holds. Its [`Component`]s borrow all of it:
//! starting a component never creates an engine, and starting a cached module never
//! validates or compiles it again.
//!
//! Invariants:
//! * a module is compiled at most once per profile while it stays in the cache, and a
//!   prepared module is only used under the profile it was validated under;
//! * the start steps run in [`StartOrder::CONTRACT`]'s order (SPEC.md §2);
//! * the ledger counts exactly the guests alive (see [`crate::accounting`]).

mod checks;
mod component;
pub mod log;
mod message;
mod world;

pub use checks::{Gate, check_header};
pub use component::{Component, ComponentConfig};

use crate::accounting::Ledger;
use crate::engine::Engine;
use crate::source::ModuleSource;
use checks::Facts;
use lifecycle_contract::Counters;
use lifecycle_contract::{Abi, Error, Fault, Profile, Stage};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Compiled modules a runtime keeps unless told otherwise.
pub const DEFAULT_CACHE_CAPACITY: usize = 256;

/// Where the checks of start step 6 run: all before instantiation (the contract), or
/// some after it. Only a faulty runtime has any after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartOrder {
    pub before_instantiate: &'static [Gate],
    pub after_instantiate: &'static [Gate],
}

impl StartOrder {
    /// SPEC.md §2: exports, link, limits, then instantiate (LC-EXPORT-*, LC-LINK-1, LC-INST-1).
    pub const CONTRACT: StartOrder = StartOrder {
        before_instantiate: &[Gate::Exports, Gate::Link, Gate::Limits],
        after_instantiate: &[],
    };
}

/// What a prepared module is cached under.
pub type CacheKey = (Profile, Abi, [u8; 32]);

/// The contract's cache key: the profile, the ABI and the SHA-256 of the bytes (the same
/// bytes pass the checks of one ABI and fail the other's).
pub fn content_key(profile: Profile, abi: Abi, bytes: &[u8]) -> CacheKey {
    (profile, abi, Sha256::digest(bytes).into())
}

/// How a runtime on any engine prepares and starts modules.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Prepared modules kept; the oldest is evicted past this (0: none kept).
    pub cache_capacity: usize,
    /// What a prepared module is cached under.
    pub cache_key: fn(Profile, Abi, &[u8]) -> CacheKey,
    pub start_order: StartOrder,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            cache_key: content_key,
            start_order: StartOrder::CONTRACT,
        }
    }
}

/// A module that passed steps 2 to 5, with what steps 6a–6c need.
struct Prepared<M> {
    module: M,
    facts: Facts,
}

struct ModuleCache<M> {
    entries: HashMap<CacheKey, Arc<Prepared<M>>>,
    order: VecDeque<CacheKey>,
}

struct Shared<E: Engine> {
    engine: E,
    cache: Mutex<ModuleCache<E::Module>>,
    options: Options,
    ledger: Arc<Ledger>,
}

/// A runtime of the lifecycle contract on an engine. Cheap to clone; every clone shares
/// engine, cache and ledger.
pub struct Runtime<E: Engine> {
    shared: Arc<Shared<E>>,
}

impl<E: Engine> Clone for Runtime<E> {
    fn clone(&self) -> Self {
        Runtime {
            shared: self.shared.clone(),
        }
    }
}

impl<E: Engine> Runtime<E> {
    /// A runtime on `engine`.
    pub fn on(engine: E, options: Options) -> Self {
        Runtime {
            shared: Arc::new(Shared {
                engine,
                cache: Mutex::new(ModuleCache {
                    entries: HashMap::new(),
                    order: VecDeque::new(),
                }),
                options,
                ledger: Arc::default(),
            }),
        }
    }

    /// A new component in state `creating`. Nothing is loaded until [`Component::start`].
    pub fn component(&self, source: ModuleSource, config: ComponentConfig) -> Component<E> {
        Component::new(self.clone(), source, config)
    }

    pub fn engine(&self) -> &E {
        &self.shared.engine
    }

    /// Instances alive, memory accounted to them, modules compiled so far.
    pub fn counters(&self) -> Counters {
        self.shared.ledger.read()
    }

    /// Stores (instances) alive right now.
    pub fn live_instances(&self) -> usize {
        self.counters().live_instances
    }

    /// Linear memory accounted to live instances, in bytes.
    pub fn accounted_memory_bytes(&self) -> u64 {
        self.counters().accounted_memory_bytes
    }

    /// Modules compiled since the runtime was created (a cache hit compiles nothing).
    pub fn compilations(&self) -> u64 {
        self.counters().compilations.unwrap_or(0)
    }

    fn ledger(&self) -> Arc<Ledger> {
        self.shared.ledger.clone()
    }

    fn start_order(&self) -> StartOrder {
        self.shared.options.start_order
    }

    /// Steps 2 to 5 for `bytes` under `profile`, or the cached result. Validation and
    /// compiling run off the async executor's threads.
    async fn prepare(
        &self,
        profile: Profile,
        abi: Abi,
        bytes: Arc<[u8]>,
    ) -> Result<Arc<Prepared<E::Module>>, Error> {
        let key = (self.shared.options.cache_key)(profile, abi, &bytes);
        if let Some(hit) = self
            .shared
            .cache
            .lock()
            .expect("cache lock")
            .entries
            .get(&key)
        {
            return Ok(hit.clone());
        }
        // Prepared outside the lock; two racing misses prepare twice, which is harmless.
        let this = self.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            let facts = checks::examine(profile, abi, &bytes)?;
            let engine = &this.shared.engine;
            let module = engine
                .compile(profile, abi, &bytes)
                .map_err(|why| Error::new(Stage::Compile, Fault::LoadFailed).with_detail(why))?;
            this.shared.ledger.compiled();
            Ok::<_, Error>(Arc::new(Prepared { module, facts }))
        })
        .await
        .map_err(|e| Error::new(Stage::Compile, Fault::LoadFailed).with_detail(e))??;
        if self.shared.options.cache_capacity == 0 {
            return Ok(prepared);
        }
        let mut cache = self.shared.cache.lock().expect("cache lock");
        if cache.entries.insert(key, prepared.clone()).is_none() {
            cache.order.push_back(key);
        }
        while cache.order.len() > self.shared.options.cache_capacity {
            if let Some(old) = cache.order.pop_front() {
                cache.entries.remove(&old);
            }
        }
        Ok(prepared)
    }
}
