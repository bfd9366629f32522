//! What a generated module is made of: a behaviour for each lifecycle export, plus its
//! structure (memory, tables, imports, segments, the wasm `start` section, features).

use lifecycle_contract::TrapCode;
use wasmparser::WasmFeatures;

/// Where `alloc`'s bump allocator starts.
pub const BUMP_START: u32 = 1024;

/// The trap codes a guest can raise on purpose (SPEC LC-LIMIT-6; `other` has no recipe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trap {
    Unreachable,
    StackOverflow,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivideByZero,
    BadConversionToInteger,
}

impl Trap {
    pub const ALL: [Trap; 9] = [
        Trap::Unreachable,
        Trap::StackOverflow,
        Trap::MemoryOutOfBounds,
        Trap::TableOutOfBounds,
        Trap::IndirectCallToNull,
        Trap::BadSignature,
        Trap::IntegerOverflow,
        Trap::IntegerDivideByZero,
        Trap::BadConversionToInteger,
    ];

    pub fn code(self) -> TrapCode {
        match self {
            Trap::Unreachable => TrapCode::Unreachable,
            Trap::StackOverflow => TrapCode::StackOverflow,
            Trap::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
            Trap::TableOutOfBounds => TrapCode::TableOutOfBounds,
            Trap::IndirectCallToNull => TrapCode::IndirectCallToNull,
            Trap::BadSignature => TrapCode::BadSignature,
            Trap::IntegerOverflow => TrapCode::IntegerOverflow,
            Trap::IntegerDivideByZero => TrapCode::IntegerDivideByZero,
            Trap::BadConversionToInteger => TrapCode::BadConversionToInteger,
        }
    }

    /// The kebab-case name used in catalogue names.
    pub fn name(self) -> String {
        self.code().as_str().replace('_', "-")
    }

    pub(crate) fn needs_memory(self) -> bool {
        self == Trap::MemoryOutOfBounds
    }

    pub(crate) fn needs_table(self) -> bool {
        matches!(
            self,
            Trap::TableOutOfBounds | Trap::IndirectCallToNull | Trap::BadSignature
        )
    }
}

/// What a lifecycle function does when called. Each export interprets the result for its
/// own signature: `_health` returns a code, `handle-message` an i64 result, `alloc` a
/// pointer; `_start` and `_cleanup` return nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Return normally: health 0, no reply, or (for `alloc`) a bump-allocated pointer.
    Return,
    /// Return this value: a health code, a raw `handle-message` result, an `alloc` pointer.
    Value(i64),
    Trap(Trap),
    /// Loop forever without yielding.
    Spin,
    /// Run this many iterations of a counting loop, then return normally.
    Burn(u64),
    /// The same loop, but long enough (with unlimited fuel) that whether it ends before
    /// the call's deadline is the machine's to decide: the oracle allows both returning
    /// and timing out, never running out of fuel.
    Linger(u64),
    /// `memory.grow` by this many pages: `handle-message` replies with the 4-byte result,
    /// `_health` returns the result as its code (the old size in pages, or -1), the other
    /// entries drop it.
    GrowMemory(u32),
    /// `table.grow` by this many elements (needs reference types); the result as above.
    GrowTable(u32),
    /// `memory.grow` by this many pages, then trap (`unreachable`) if it returned -1, else
    /// return normally: growth observable from any entry point, without messages.
    GrowMemoryOrTrap(u32),
    /// `table.grow` by this many elements, trapping if refused, as above.
    GrowTableOrTrap(u32),
    /// Count iterations of a loop into a global until the call is stopped (by fuel, or by
    /// its deadline): how many iterations one fuel budget buys on this engine.
    Calibrate,
    /// Run this percentage of the iterations [`Behaviour::Calibrate`] counted, in a loop
    /// of the same instructions, then return normally. With 75, each call burns three
    /// quarters of a budget on any engine, whatever its fuel costs; 0 iterations if
    /// nothing was calibrated.
    BurnCalibrated(u32),
    /// `handle-message` only: reply with the message itself.
    Echo,
    /// The `nth` call (1-based) does `then`, every other call `otherwise`. Neither is
    /// itself an `OnCall`: a call site has one count, and a nested one would count its
    /// calls twice (found by fuzzing; the generators never nest one).
    OnCall {
        nth: u32,
        then: Box<Behaviour>,
        otherwise: Box<Behaviour>,
    },
}

impl Behaviour {
    /// `handle-message` result for a reply at `ptr` of `len` bytes.
    pub fn reply(ptr: u32, len: u32) -> Behaviour {
        Behaviour::Value(((ptr as i64) << 32) | len as i64)
    }

    /// `handle-message` result for the application error `code` (> 0).
    pub fn app_error(code: i64) -> Behaviour {
        Behaviour::Value(code.wrapping_neg())
    }

    /// Do `then` on the `nth` call and return normally on every other.
    pub fn on_call(nth: u32, then: Behaviour) -> Behaviour {
        Behaviour::OnCall {
            nth,
            then: Box::new(then),
            otherwise: Box::new(Behaviour::Return),
        }
    }

    /// Every behaviour inside this one, itself included.
    pub(crate) fn parts(&self) -> Vec<&Behaviour> {
        match self {
            Behaviour::OnCall {
                then, otherwise, ..
            } => vec![self, then, otherwise],
            _ => vec![self],
        }
    }
}

/// A lifecycle function export: as the contract wants it, or wrong on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Export {
    Func(Behaviour),
    /// Exported under the lifecycle name, but as a global.
    WrongKind,
    /// A function of type `[f32] -> []`, which no lifecycle export has.
    WrongSignature,
}

/// The lifecycle function exports are the contract's [`Entry`]; a module spec has one
/// [`Export`] place per entry, in the contract's order.
pub use lifecycle_contract::Entry;

pub(crate) fn index(entry: Entry) -> usize {
    entry as usize
}

/// Places a behaviour runs, each with its own call count: the five slots, then the
/// wasm `start` section (`None`).
pub(crate) const CALL_SITES: usize = 6;

pub(crate) fn call_site(slot: Option<Entry>) -> usize {
    slot.map_or(CALL_SITES - 1, index)
}

/// How the linear memory is exported as `memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryExport {
    Exported,
    Hidden,
    /// A function is exported under the name `memory`.
    WrongKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// In 64 KiB pages.
    pub initial: u32,
    pub maximum: Option<u32>,
    pub export: MemoryExport,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub initial: u32,
    pub maximum: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Func,
    Memory,
    Table,
    Global,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

lifecycle_contract::identifiers! {
    /// A WebAssembly feature a module can use on purpose, to be inside or outside a profile.
    Feature {
        MultiValue => "multi-value",
        SignExtension => "sign-extension",
        SaturatingFloatToInt => "saturating-float-to-int",
        BulkMemory => "bulk-memory",
        ReferenceTypes => "reference-types",
        Simd => "simd",
        RelaxedSimd => "relaxed-simd",
        Threads => "threads",
        MultiMemory => "multi-memory",
        Memory64 => "memory64",
        TailCall => "tail-call",
        Exceptions => "exceptions",
        Gc => "gc",
        ExtendedConst => "extended-const",
    }
}

impl Feature {
    pub fn flag(self) -> WasmFeatures {
        match self {
            Feature::MultiValue => WasmFeatures::MULTI_VALUE,
            Feature::SignExtension => WasmFeatures::SIGN_EXTENSION,
            Feature::SaturatingFloatToInt => WasmFeatures::SATURATING_FLOAT_TO_INT,
            Feature::BulkMemory => WasmFeatures::BULK_MEMORY,
            Feature::ReferenceTypes => WasmFeatures::REFERENCE_TYPES,
            Feature::Simd => WasmFeatures::SIMD,
            Feature::RelaxedSimd => WasmFeatures::RELAXED_SIMD,
            Feature::Threads => WasmFeatures::THREADS,
            Feature::MultiMemory => WasmFeatures::MULTI_MEMORY,
            Feature::Memory64 => WasmFeatures::MEMORY64,
            Feature::TailCall => WasmFeatures::TAIL_CALL,
            Feature::Exceptions => WasmFeatures::EXCEPTIONS,
            Feature::Gc => WasmFeatures::GC,
            Feature::ExtendedConst => WasmFeatures::EXTENDED_CONST,
        }
    }
}

/// A module to generate. Build one with the methods below; what it does at run time is
/// read off it by the oracle, and its bytes by the encoder, both from [`ModuleSpec::resolved`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleSpec {
    pub exports: [Option<Export>; 5],
    pub memory: Option<Memory>,
    pub table: Option<Table>,
    /// Tables beyond the first (each needs reference types).
    pub extra_tables: u32,
    pub imports: Vec<Import>,
    pub start_section: Option<Behaviour>,
    /// Active data segments: (offset, length) in memory 0.
    pub data: Vec<(u32, u32)>,
    /// Active element segments: (offset, count) in table 0.
    pub elems: Vec<(u32, u32)>,
    pub features: Vec<Feature>,
    /// Extra mutable i32 globals, initialised to 0, 1, 2, ... and exported as `g0`, `g1`, ...
    pub globals: u32,
    /// A function whose body fails validation (`[] -> [i32]` returning an i64).
    pub invalid_body: bool,
    /// Set by [`ModuleSpec::resolved`]: the indirect-call trap helpers are present.
    pub(crate) trap_table: bool,
}

impl ModuleSpec {
    /// An empty module: no exports, nothing else.
    pub fn new() -> Self {
        ModuleSpec::default()
    }

    /// A message-handling actor: exported 1-page memory, a bump `alloc`, and
    /// `handle-message` doing `handler`.
    pub fn actor(handler: Behaviour) -> Self {
        ModuleSpec::new()
            .memory(1, None)
            .alloc(Behaviour::Return)
            .handle_message(handler)
    }

    pub fn export(mut self, slot: Entry, export: Export) -> Self {
        self.exports[index(slot)] = Some(export);
        self
    }

    pub fn without(mut self, slot: Entry) -> Self {
        self.exports[index(slot)] = None;
        self
    }

    pub fn start(self, b: Behaviour) -> Self {
        self.export(Entry::Start, Export::Func(b))
    }

    pub fn cleanup(self, b: Behaviour) -> Self {
        self.export(Entry::Cleanup, Export::Func(b))
    }

    pub fn health(self, b: Behaviour) -> Self {
        self.export(Entry::Health, Export::Func(b))
    }

    pub fn handle_message(self, b: Behaviour) -> Self {
        self.export(Entry::HandleMessage, Export::Func(b))
    }

    pub fn alloc(self, b: Behaviour) -> Self {
        self.export(Entry::Alloc, Export::Func(b))
    }

    /// An exported memory of `initial` pages.
    pub fn memory(mut self, initial: u32, maximum: Option<u32>) -> Self {
        self.memory = Some(Memory {
            initial,
            maximum,
            export: MemoryExport::Exported,
        });
        self
    }

    pub fn memory_export(mut self, export: MemoryExport) -> Self {
        let memory = self.memory.get_or_insert(Memory {
            initial: 1,
            maximum: None,
            export,
        });
        memory.export = export;
        self
    }

    pub fn table(mut self, initial: u32, maximum: Option<u32>) -> Self {
        self.table = Some(Table { initial, maximum });
        self
    }

    pub fn extra_tables(mut self, n: u32) -> Self {
        self.extra_tables = n;
        self
    }

    pub fn import(mut self, module: &str, name: &str, kind: ImportKind) -> Self {
        self.imports.push(Import {
            module: module.into(),
            name: name.into(),
            kind,
        });
        self
    }

    pub fn start_section(mut self, b: Behaviour) -> Self {
        self.start_section = Some(b);
        self
    }

    pub fn data(mut self, offset: u32, len: u32) -> Self {
        self.data.push((offset, len));
        self
    }

    pub fn elem(mut self, offset: u32, count: u32) -> Self {
        self.elems.push((offset, count));
        self
    }

    /// `n` extra exported mutable globals (exports the host ignores).
    pub fn globals(mut self, n: u32) -> Self {
        self.globals = n;
        self
    }

    pub fn feature(mut self, feature: Feature) -> Self {
        self.features.push(feature);
        self
    }

    pub fn invalid_body(mut self) -> Self {
        self.invalid_body = true;
        self
    }

    pub fn slot(&self, slot: Entry) -> Option<&Export> {
        self.exports[index(slot)].as_ref()
    }

    /// Whether any behaviour calibrates or burns calibrated fuel (the module then has the
    /// two globals those loops count in).
    pub(crate) fn calibrates(&self) -> bool {
        self.behaviours()
            .any(|b| matches!(b, Behaviour::Calibrate | Behaviour::BurnCalibrated(_)))
    }

    /// Every behaviour the module runs, with where it runs.
    pub(crate) fn behaviours(&self) -> impl Iterator<Item = &Behaviour> {
        let exported = self.exports.iter().flatten().filter_map(|e| match e {
            Export::Func(b) => Some(b),
            _ => None,
        });
        exported
            .chain(self.start_section.iter())
            .flat_map(|b| b.parts())
    }

    /// Whether `handle-message` replies with a `table.grow` result, which it stores in
    /// linear memory (found by fuzzing: without a memory the module was invalid).
    fn replies_table_growth(&self) -> bool {
        matches!(self.slot(Entry::HandleMessage), Some(Export::Func(b))
            if b.parts().iter().any(|p| matches!(p, Behaviour::GrowTable(_))))
    }

    /// The module as generated: support items the behaviours need are added (a hidden
    /// 1-page memory for memory traps and growth, a table of at least 2 for the
    /// indirect-call traps), and every feature the module uses is listed, whether asked
    /// for or implied by its structure.
    pub fn resolved(&self) -> ModuleSpec {
        let mut r = self.clone();
        let behaviours: Vec<Behaviour> = self.behaviours().cloned().collect();
        let needs_memory = behaviours.iter().any(|b| match b {
            Behaviour::Trap(t) => t.needs_memory(),
            Behaviour::GrowMemory(_) | Behaviour::GrowMemoryOrTrap(_) => true,
            _ => false,
        }) || self.replies_table_growth()
            || self.features.contains(&Feature::BulkMemory)
            || self.features.contains(&Feature::MultiMemory)
            || !self.data.is_empty();
        if needs_memory && r.memory.is_none() {
            r.memory = Some(Memory {
                initial: 1,
                maximum: None,
                export: MemoryExport::Hidden,
            });
        }
        let needs_trap_table = behaviours
            .iter()
            .any(|b| matches!(b, Behaviour::Trap(t) if t.needs_table()));
        let grows_table =
            |b: &Behaviour| matches!(b, Behaviour::GrowTable(_) | Behaviour::GrowTableOrTrap(_));
        let needs_table =
            needs_trap_table || !self.elems.is_empty() || behaviours.iter().any(grows_table);
        if needs_table {
            let table = r.table.get_or_insert(Table {
                initial: 2,
                maximum: None,
            });
            if needs_trap_table {
                table.initial = table.initial.max(2);
                table.maximum = table.maximum.map(|m| m.max(table.initial));
            }
        }
        r.trap_table = needs_trap_table;
        let imported = |kind| self.imports.iter().filter(|i| i.kind == kind).count();
        let tables =
            imported(ImportKind::Table) + r.table.is_some() as usize + r.extra_tables as usize;
        let memories = imported(ImportKind::Memory) + r.memory.is_some() as usize;
        let mut implied = Vec::new();
        if tables > 1 || behaviours.iter().any(grows_table) {
            implied.push(Feature::ReferenceTypes);
        }
        if memories > 1 || self.features.contains(&Feature::Memory64) && r.memory.is_some() {
            implied.push(Feature::MultiMemory);
        }
        for f in implied {
            if !r.features.contains(&f) {
                r.features.push(f);
            }
        }
        r.features.sort();
        r.features.dedup();
        r
    }

    /// The features this module needs that `features` lacks, in order.
    pub fn features_outside(&self, features: WasmFeatures) -> Vec<Feature> {
        self.resolved()
            .features
            .into_iter()
            .filter(|f| !features.contains(f.flag()))
            .collect()
    }
}
