//! Guests of the component ABI (SPEC.md §8) from the same [`ModuleSpec`]s as the core
//! ABI's: the core module keeps every function the spec describes, and instead of the
//! core ABI's exports it has the canonical ABI's, each calling the function the core
//! ABI would call and translating its result by SPEC.md §8's table (a negative
//! `handle-message` result is `err(application-error)` with that code, 0 is `ok(none)`,
//! a reply's pointer and length are `ok(some(list))`; `_health`'s code is the
//! `health-status` discriminant, so 3 is `unknown` and 7 a discriminant out of range).
//! `wit-component` then wraps it into a component of the world `actor`.
//!
//! One behaviour, two ABIs: a trap, a spin, a fuel burn or a memory growth runs the same
//! instructions either way, and the oracle models the spec on either
//! ([`crate::oracle::Modelled::Component`]). The exports themselves are
//! `crate::canonical_abi`'s; this file says which specs have a component form and makes
//! the component.

use crate::canonical_abi::RESERVED;
pub use crate::canonical_abi::{RESULT_AREA, refusal};
use crate::encode::encode_canonical;
use crate::spec::{Entry, Export, ImportKind, MemoryExport, ModuleSpec};
use lifecycle_contract::abi::{WIT, WORLD};
use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::Resolve;

/// Why a spec has no component form: the core ABI's own structure, which the world's
/// type check replaces (SPEC.md §8).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoComponent {
    #[error("`{0}` is exported with the wrong kind or type (a core ABI export check)")]
    WrongExport(Entry),
    #[error("its memory is not exported as `memory` (a core ABI export check)")]
    MemoryNotExported,
    #[error("it imports from the host (a core import; the world imports nothing)")]
    Imports,
    #[error("it exports globals of its own (a component exports only its world)")]
    Globals,
    #[error("`handle-message` without `alloc` (the core ABI's export check)")]
    HandleMessageWithoutAlloc,
    #[error("it uses multiple memories (the canonical ABI lowers into one)")]
    MultipleMemories,
    #[error("a data segment covers the bytes the canonical exports write their results to")]
    DataInResultArea,
    #[error("wit-component refused it: {0}")]
    Encoder(String),
}

/// Whether `spec` has a component form, and why not.
pub fn applies(spec: &ModuleSpec) -> Result<(), NoComponent> {
    for slot in Entry::ALL {
        if matches!(
            spec.slot(slot),
            Some(Export::WrongKind | Export::WrongSignature)
        ) {
            return Err(NoComponent::WrongExport(slot));
        }
    }
    if spec
        .memory
        .is_some_and(|m| m.export != MemoryExport::Exported)
    {
        return Err(NoComponent::MemoryNotExported);
    }
    if !spec.imports.is_empty() {
        return Err(NoComponent::Imports);
    }
    if spec.globals > 0 {
        return Err(NoComponent::Globals);
    }
    if spec.slot(Entry::HandleMessage).is_some() && spec.slot(Entry::Alloc).is_none() {
        return Err(NoComponent::HandleMessageWithoutAlloc);
    }
    let overlaps =
        |&(at, len): &(u32, u32)| at < RESERVED.end && at.saturating_add(len) > RESERVED.start;
    if spec.data.iter().any(overlaps) {
        return Err(NoComponent::DataInResultArea);
    }
    let resolved = spec.resolved();
    let multi = [
        crate::spec::Feature::MultiMemory,
        crate::spec::Feature::Memory64,
    ];
    if resolved.features.iter().any(|f| multi.contains(f))
        || spec.imports.iter().any(|i| i.kind == ImportKind::Memory)
    {
        return Err(NoComponent::MultipleMemories);
    }
    Ok(())
}

/// The component of `spec`: its canonical core module wrapped by `wit-component` into
/// the world `actor` of the kit's WIT.
pub fn component(spec: &ModuleSpec) -> Result<Vec<u8>, NoComponent> {
    applies(spec)?;
    // A module that fails validation on purpose makes a component that does too.
    wrap(encode_canonical(spec), !spec.invalid_body)
}

/// A component of a core module that carries its world's type already (the custom
/// section `wit-bindgen` and other guest toolchains embed), validated: what `wasm-tools
/// component new` does.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>, NoComponent> {
    let refused = |e: anyhow::Error| NoComponent::Encoder(format!("{e:#}"));
    ComponentEncoder::default()
        .validate(true)
        .module(module)
        .map_err(refused)?
        .encode()
        .map_err(refused)
}

/// Wraps a core module with the canonical ABI's exports into a component of the world,
/// validating the result if `validate`.
pub fn wrap(module: Vec<u8>, validate: bool) -> Result<Vec<u8>, NoComponent> {
    wrap_in(module, WIT, validate)
}

/// Wraps a core module into a component of the world `actor` of `wit` (the kit's WIT,
/// or another: a world of another version, or missing a function, for the world's
/// checks), validated.
pub fn wrap_with(module: Vec<u8>, wit: &str) -> Result<Vec<u8>, NoComponent> {
    wrap_in(module, wit, true)
}

fn wrap_in(mut module: Vec<u8>, wit: &str, validate: bool) -> Result<Vec<u8>, NoComponent> {
    let refused = |e: anyhow::Error| NoComponent::Encoder(format!("{e:#}"));
    let mut resolve = Resolve::default();
    let package = resolve.push_str("lifecycle.wit", wit).map_err(refused)?;
    let world = resolve
        .select_world(&[package], Some(WORLD))
        .map_err(refused)?;
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .map_err(refused)?;
    ComponentEncoder::default()
        .validate(validate)
        .module(&module)
        .map_err(refused)?
        .encode()
        .map_err(refused)
}
