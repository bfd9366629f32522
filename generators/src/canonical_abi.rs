//! The canonical ABI's exports of a spec's core module (SPEC.md §8): where their results
//! go, the memory they need, and the functions themselves, each calling the function the
//! core ABI would call and translating its result by §8's table. The encoder emits them
//! (`crate::encode`); `crate::canonical` wraps the module into a component.

use crate::spec::{BUMP_START, Behaviour, Entry, Export, Memory, MemoryExport, ModuleSpec, index};
use lifecycle_contract::abi::{LIFECYCLE_INTERFACE, Refusal};
use wasm_encoder::{BlockType, Instruction as I, MemArg, TypeSection, ValType};

/// Where the canonical exports write their results (24 bytes, 8-aligned: the largest
/// is `result<option<list<u8>>, application-error>`), just below the bump allocator's
/// start.
pub const RESULT_AREA: i32 = BUMP_START as i32 - 24;
/// What `cabi_realloc` returns for anything but a message (an `initialize`'s empty
/// configuration list, aligned to 4): the spec's `alloc` is asked for messages only, as
/// the core ABI asks it.
const OTHER_AREA: i32 = RESULT_AREA - 8;
/// The bytes the canonical exports use: a spec that puts data there has no component
/// form (its data would be overwritten by results).
pub(crate) const RESERVED: std::ops::Range<u32> = OTHER_AREA as u32..BUMP_START;

/// The case of `component-error` a canonical export returns for the spec's behaviour
/// `b` of `_start` (`initialize`) or `_cleanup` (`shutdown`): `Value(n)` for `n` in 1..=4
/// refuses with the `n`th case ([`Refusal::ALL`]'s order, the WIT's); the core ABI has no
/// result there and ignores the value.
pub fn refusal(b: Option<&Export>) -> Option<Refusal> {
    match b {
        Some(Export::Func(Behaviour::Value(n))) if (1..=4).contains(n) => {
            Some(Refusal::ALL[*n as usize - 1])
        }
        _ => None,
    }
}

/// The memory a spec's component form has: the spec's, exported, of at least one page
/// (the canonical exports write their results in it), or one page if it has none. The
/// encoder and the oracle both take it from here.
pub(crate) fn memory(spec: &ModuleSpec) -> Memory {
    let memory = spec.memory.unwrap_or(Memory {
        initial: 1,
        maximum: None,
        export: MemoryExport::Exported,
    });
    Memory {
        initial: memory.initial.max(1),
        maximum: memory.maximum.map(|m| m.max(1)),
        export: MemoryExport::Exported,
    }
}

/// The two function types the canonical exports add, appended to `types`: `[i32 i32] ->
/// [i32]` (`initialize`, `handle-message`), then `cabi_realloc`'s.
pub(crate) fn types(types: &mut TypeSection) {
    types
        .ty()
        .function([ValType::I32, ValType::I32], [ValType::I32]);
    types.ty().function([ValType::I32; 4], [ValType::I32]);
}

/// One canonical export: its name, type index and body.
pub(crate) struct CanonicalExport {
    pub name: String,
    pub type_index: u32,
    pub body: Vec<I<'static>>,
}

/// The canonical exports, calling the spec's functions at `slots` (function indices, by
/// entry), with the memory at `memory`, the core `[] -> [i32]` type at `unit_type` and the
/// added types from `first_type`.
pub(crate) fn exports(
    spec: &ModuleSpec,
    slots: &[Option<u32>; 5],
    memory: u32,
    (unit_type, first_type): (u32, u32),
) -> Vec<CanonicalExport> {
    let (pair, realloc) = (first_type, first_type + 1);
    let slot = |entry: Entry| slots[index(entry)];
    let at = |offset: u64, align: u32| MemArg {
        offset,
        align,
        memory_index: memory,
    };
    let call = |entry: Entry| slot(entry).map(I::Call);
    // A `result<_, component-error>`: `ok`, or `err` of a case with an empty string.
    let result = |refused: Option<Refusal>| -> Vec<I<'static>> {
        let Some(refusal) = refused else {
            return vec![
                I::I32Const(RESULT_AREA),
                I::I32Const(0),
                I::I32Store8(at(0, 0)),
                I::I32Const(RESULT_AREA),
            ];
        };
        let case = Refusal::ALL.iter().position(|r| *r == refusal).unwrap_or(0) as i32;
        vec![
            I::I32Const(RESULT_AREA),
            I::I32Const(1),
            I::I32Store8(at(0, 0)),
            I::I32Const(RESULT_AREA),
            I::I32Const(case),
            I::I32Store8(at(4, 0)),
            I::I32Const(RESULT_AREA),
            I::I64Const(0),
            I::I64Store(at(8, 3)),
            I::I32Const(RESULT_AREA),
        ]
    };
    let name = |function: &str| format!("{LIFECYCLE_INTERFACE}#{function}");

    let start_result = result(refusal(spec.slot(Entry::Start)));
    let cleanup_result = result(refusal(spec.slot(Entry::Cleanup)));
    let initialize = call(Entry::Start).into_iter().chain(start_result).collect();
    let shutdown = call(Entry::Cleanup)
        .into_iter()
        .chain(cleanup_result)
        .collect();
    let health = vec![call(Entry::Health).unwrap_or(I::I32Const(0))];

    // The core result in local 2 (the i64 every generated function has), translated.
    let mut message = match call(Entry::HandleMessage) {
        Some(handle) => vec![I::LocalGet(0), I::LocalGet(1), handle],
        None => vec![I::I64Const(0)],
    };
    message.extend([
        I::LocalSet(2),
        I::LocalGet(2),
        I::I64Const(0),
        I::I64LtS,
        I::If(BlockType::Empty),
        // err(application-error { code: -result, message: "" })
        I::I32Const(RESULT_AREA),
        I::I32Const(1),
        I::I32Store8(at(0, 0)),
        I::I32Const(RESULT_AREA),
        I::I64Const(0),
        I::LocalGet(2),
        I::I64Sub,
        I::I64Store(at(8, 3)),
        I::I32Const(RESULT_AREA),
        I::I64Const(0),
        I::I64Store(at(16, 3)),
        I::Else,
        I::I32Const(RESULT_AREA),
        I::I32Const(0),
        I::I32Store8(at(0, 0)),
        I::LocalGet(2),
        I::I32WrapI64,
        I::I32Eqz,
        I::If(BlockType::Empty),
        // ok(none): a length of 0, whatever the pointer (LC-MSG-5's no reply)
        I::I32Const(RESULT_AREA),
        I::I32Const(0),
        I::I32Store8(at(8, 0)),
        I::Else,
        // ok(some(list { ptr: result >> 32, len: result & 0xffff_ffff }))
        I::I32Const(RESULT_AREA),
        I::I32Const(1),
        I::I32Store8(at(8, 0)),
        I::I32Const(RESULT_AREA),
        I::LocalGet(2),
        I::I64Const(32),
        I::I64ShrU,
        I::I32WrapI64,
        I::I32Store(at(12, 2)),
        I::I32Const(RESULT_AREA),
        I::LocalGet(2),
        I::I32WrapI64,
        I::I32Store(at(16, 2)),
        I::End,
        I::End,
        I::I32Const(RESULT_AREA),
    ]);

    // `cabi_realloc(old, old_size, align, new_size)`: a message (align 1) from `alloc`.
    let mut allocate = vec![
        I::LocalGet(2),
        I::I32Const(1),
        I::I32Ne,
        I::If(BlockType::Result(ValType::I32)),
        I::I32Const(OTHER_AREA),
        I::Else,
    ];
    match call(Entry::Alloc) {
        Some(alloc) => allocate.extend([I::LocalGet(3), alloc]),
        None => allocate.push(I::I32Const(BUMP_START as i32)),
    }
    allocate.push(I::End);

    vec![
        CanonicalExport {
            name: name("initialize"),
            type_index: pair,
            body: initialize,
        },
        CanonicalExport {
            name: name("handle-message"),
            type_index: pair,
            body: message,
        },
        CanonicalExport {
            name: name("health"),
            type_index: unit_type,
            body: health,
        },
        CanonicalExport {
            name: name("shutdown"),
            type_index: unit_type,
            body: shutdown,
        },
        CanonicalExport {
            name: "cabi_realloc".into(),
            type_index: realloc,
            body: allocate,
        },
    ]
}
