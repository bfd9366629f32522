//! Module bytes from a resolved [`ModuleSpec`], with wasm-encoder.

use crate::spec::{
    Behaviour, CALL_SITES, Entry, Export, Feature, ImportKind, MemoryExport, ModuleSpec, Trap,
    call_site,
};
use std::borrow::Cow;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ElementSection, Elements, EntityType, ExportKind,
    ExportSection, FieldType, Function, FunctionSection, GlobalSection, GlobalType, HeapType,
    ImportSection, Instruction as I, MemArg, MemorySection, MemoryType, Module, RefType,
    StartSection, StorageType, TableSection, TableType, TagKind, TagSection, TagType, TypeSection,
    ValType,
};

// Type indices.
const T_VOID: u32 = 0; // [] -> []
const T_HEALTH: u32 = 1; // [] -> [i32]
const T_MESSAGE: u32 = 2; // [i32 i32] -> [i64]
const T_ALLOC: u32 = 3; // [i32] -> [i32]
const T_WRONG: u32 = 4; // [f32] -> [], no lifecycle export's type
const T_PAIR: u32 = 5; // [] -> [i32 i32], for multi-value
const T_STRUCT: u32 = 6; // (struct (field i32)), only with the gc feature

/// Globals, after any imported ones: the bump pointer, one call counter per call site
/// (the five slots, then the wasm start section), and an immutable decoy exported under
/// lifecycle names of the wrong kind.
const G_NEXT: u32 = 0;
const G_COUNTERS: u32 = 1;
const G_DECOY: u32 = G_COUNTERS + CALL_SITES as u32;
const G_EXTENDED: u32 = G_DECOY + 1;

pub use crate::spec::BUMP_START;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sig {
    Void,
    Health,
    Message,
    Alloc,
}

impl Sig {
    fn of(slot: Entry) -> Sig {
        match slot {
            Entry::Start | Entry::Cleanup => Sig::Void,
            Entry::Health => Sig::Health,
            Entry::HandleMessage => Sig::Message,
            Entry::Alloc => Sig::Alloc,
        }
    }

    fn type_index(self) -> u32 {
        match self {
            Sig::Void => T_VOID,
            Sig::Health => T_HEALTH,
            Sig::Message => T_MESSAGE,
            Sig::Alloc => T_ALLOC,
        }
    }

    fn block(self) -> BlockType {
        match self {
            Sig::Void => BlockType::Empty,
            Sig::Health | Sig::Alloc => BlockType::Result(ValType::I32),
            Sig::Message => BlockType::Result(ValType::I64),
        }
    }

    /// Index of the i64 scratch local (after the params).
    fn scratch(self) -> u32 {
        match self {
            Sig::Void | Sig::Health => 0,
            Sig::Alloc => 1,
            Sig::Message => 2,
        }
    }
}

/// Index spaces that imports shift, and where the calibration loops count.
struct Layout {
    funcs: u32,
    globals: u32,
    memory: u32,
    table: u32,
    /// The i64 globals [`Behaviour::Calibrate`] and [`Behaviour::BurnCalibrated`] count
    /// in (budget, iterations), when the module has them.
    calibration: Option<(u32, u32)>,
}

impl Layout {
    fn func(&self, defined: u32) -> u32 {
        self.funcs + defined
    }
    fn global(&self, defined: u32) -> u32 {
        self.globals + defined
    }
}

// Defined functions that always exist.
const F_RECURSE: u32 = 0;
const F_SEVEN: u32 = 1;

fn mem(layout: &Layout, align: u32) -> MemArg {
    MemArg {
        offset: 0,
        align,
        memory_index: layout.memory,
    }
}

fn trap(t: Trap, layout: &Layout, out: &mut Vec<I<'static>>) {
    let indirect = |index: i32, out: &mut Vec<I<'static>>| {
        out.push(I::I32Const(index));
        out.push(I::CallIndirect {
            type_index: T_VOID,
            table_index: layout.table,
        });
    };
    match t {
        Trap::Unreachable => out.push(I::Unreachable),
        Trap::StackOverflow => out.push(I::Call(layout.func(F_RECURSE))),
        Trap::MemoryOutOfBounds => {
            out.extend([I::I32Const(-4), I::I32Load(mem(layout, 2)), I::Drop]);
        }
        Trap::TableOutOfBounds => indirect(-1, out),
        Trap::IndirectCallToNull => indirect(0, out),
        Trap::BadSignature => indirect(1, out),
        Trap::IntegerOverflow => {
            out.extend([I::I32Const(i32::MIN), I::I32Const(-1), I::I32DivS, I::Drop]);
        }
        Trap::IntegerDivideByZero => {
            out.extend([I::I32Const(1), I::I32Const(0), I::I32DivU, I::Drop])
        }
        Trap::BadConversionToInteger => {
            out.extend([I::F32Const(f32::NAN.into()), I::I32TruncF32S, I::Drop]);
        }
    }
}

/// The value a signature returns when the behaviour returns normally.
fn default_result(sig: Sig, layout: &Layout, out: &mut Vec<I<'static>>) {
    match sig {
        Sig::Void => {}
        Sig::Health => out.push(I::I32Const(0)),
        Sig::Message => out.push(I::I64Const(0)),
        Sig::Alloc => {
            let next = layout.global(G_NEXT);
            out.extend([
                I::GlobalGet(next),
                I::GlobalGet(next),
                I::LocalGet(0),
                I::I32Add,
                I::GlobalSet(next),
            ]);
        }
    }
}

/// `memory.grow` or `table.grow` by `n`, leaving the i32 result.
fn grow(table: bool, n: u32, layout: &Layout, out: &mut Vec<I<'static>>) {
    if table {
        out.extend([
            I::RefNull(HeapType::FUNC),
            I::I32Const(n as i32),
            I::TableGrow(layout.table),
        ]);
    } else {
        out.extend([I::I32Const(n as i32), I::MemoryGrow(layout.memory)]);
    }
}

/// Instructions for `b` in a function of signature `sig`, leaving its result.
fn body(b: &Behaviour, sig: Sig, slot: Option<Entry>, layout: &Layout, out: &mut Vec<I<'static>>) {
    match b {
        Behaviour::Return => default_result(sig, layout, out),
        Behaviour::Value(v) => match sig {
            Sig::Void => {}
            Sig::Health | Sig::Alloc => out.push(I::I32Const(*v as i32)),
            Sig::Message => out.push(I::I64Const(*v)),
        },
        Behaviour::Trap(t) => {
            trap(*t, layout, out);
            default_result(sig, layout, out);
        }
        Behaviour::Spin => {
            out.extend([I::Loop(BlockType::Empty), I::Br(0), I::End]);
            default_result(sig, layout, out);
        }
        Behaviour::Burn(n) | Behaviour::Linger(n) => {
            let i = sig.scratch();
            out.extend([
                I::Loop(BlockType::Empty),
                I::LocalGet(i),
                I::I64Const(1),
                I::I64Add,
                I::LocalSet(i),
                I::LocalGet(i),
                I::I64Const(*n as i64),
                I::I64LtU,
                I::BrIf(0),
                I::End,
            ]);
            default_result(sig, layout, out);
        }
        Behaviour::GrowMemory(n) | Behaviour::GrowTable(n) => {
            let table = matches!(b, Behaviour::GrowTable(_));
            if sig == Sig::Message {
                out.push(I::I32Const(0));
            }
            grow(table, *n, layout, out);
            match sig {
                // Reply with the 4-byte result, stored at address 0.
                Sig::Message => out.extend([I::I32Store(mem(layout, 2)), I::I64Const(4)]),
                // The result is the health code.
                Sig::Health => {}
                Sig::Void | Sig::Alloc => {
                    out.push(I::Drop);
                    default_result(sig, layout, out);
                }
            }
        }
        Behaviour::GrowMemoryOrTrap(n) | Behaviour::GrowTableOrTrap(n) => {
            grow(matches!(b, Behaviour::GrowTableOrTrap(_)), *n, layout, out);
            out.extend([
                I::I32Const(-1),
                I::I32Eq,
                I::If(BlockType::Empty),
                I::Unreachable,
                I::End,
            ]);
            default_result(sig, layout, out);
        }
        Behaviour::Calibrate | Behaviour::BurnCalibrated(_) => {
            let (budget, iterations) = layout
                .calibration
                .expect("a module that calibrates has the calibration globals");
            // Both loops are the same eight instructions, so that an iteration costs the
            // same fuel in each on any engine; only the bound differs.
            let (counter, bound) = match b {
                Behaviour::Calibrate => (budget, I::I64Const(-1)),
                Behaviour::BurnCalibrated(percent) => {
                    let scratch = sig.scratch();
                    out.extend([
                        I::GlobalGet(budget),
                        I::I64Const(i64::from(*percent)),
                        I::I64Mul,
                        I::I64Const(100),
                        I::I64DivU,
                        I::LocalSet(scratch),
                        I::I64Const(0),
                        I::GlobalSet(iterations),
                    ]);
                    (iterations, I::LocalGet(scratch))
                }
                _ => unreachable!(),
            };
            out.extend([
                I::Loop(BlockType::Empty),
                I::GlobalGet(counter),
                I::I64Const(1),
                I::I64Add,
                I::GlobalSet(counter),
                I::GlobalGet(counter),
                bound,
                I::I64LtU,
                I::BrIf(0),
                I::End,
            ]);
            default_result(sig, layout, out);
        }
        Behaviour::Echo => match sig {
            Sig::Message => out.extend([
                I::LocalGet(0),
                I::I64ExtendI32U,
                I::I64Const(32),
                I::I64Shl,
                I::LocalGet(1),
                I::I64ExtendI32U,
                I::I64Or,
            ]),
            _ => default_result(sig, layout, out),
        },
        Behaviour::OnCall {
            nth,
            then,
            otherwise,
        } => {
            let counter = layout.global(G_COUNTERS + call_site(slot) as u32);
            out.extend([
                I::GlobalGet(counter),
                I::I32Const(1),
                I::I32Add,
                I::GlobalSet(counter),
                I::GlobalGet(counter),
                I::I32Const(*nth as i32),
                I::I32Eq,
                I::If(sig.block()),
            ]);
            body(then, sig, slot, layout, out);
            out.push(I::Else);
            body(otherwise, sig, slot, layout, out);
            out.push(I::End);
        }
    }
}

fn function(instructions: &[I<'static>]) -> Function {
    let mut f = Function::new([(1, ValType::I64)]);
    for i in instructions {
        f.instruction(i);
    }
    f.instruction(&I::End);
    f
}

/// A function that uses `feature` (never exported, never called), or `None` where the
/// feature is a module-level item instead.
fn feature_function(feature: Feature, layout: &Layout) -> Option<(u32, Vec<I<'static>>)> {
    let v128 = || I::V128Const(0);
    let body = match feature {
        Feature::MultiValue => return Some((T_PAIR, vec![I::I32Const(1), I::I32Const(2)])),
        Feature::SignExtension => vec![I::I32Const(1), I::I32Extend8S, I::Drop],
        Feature::SaturatingFloatToInt => {
            vec![I::F32Const(1.0f32.into()), I::I32TruncSatF32S, I::Drop]
        }
        Feature::BulkMemory => vec![
            I::I32Const(0),
            I::I32Const(0),
            I::I32Const(0),
            I::MemoryFill(layout.memory),
        ],
        Feature::ReferenceTypes => vec![I::RefNull(HeapType::EXTERN), I::Drop],
        Feature::Simd => vec![v128(), I::Drop],
        Feature::RelaxedSimd => vec![v128(), v128(), v128(), I::F32x4RelaxedMadd, I::Drop],
        Feature::Threads => vec![I::AtomicFence],
        Feature::TailCall => vec![I::ReturnCall(layout.func(F_RECURSE))],
        Feature::Exceptions => vec![I::Throw(0)],
        Feature::MultiMemory | Feature::Memory64 | Feature::Gc | Feature::ExtendedConst => {
            return None;
        }
    };
    Some((T_VOID, body))
}

/// The bytes of `spec` (resolved first).
pub fn encode(spec: &ModuleSpec) -> Vec<u8> {
    encode_module(spec, false)
}

/// The core module of `spec` for the component ABI (see [`crate::canonical`]): the same
/// functions, called through the canonical ABI's exports instead of the core ABI's.
pub(crate) fn encode_canonical(spec: &ModuleSpec) -> Vec<u8> {
    encode_module(spec, true)
}

fn encode_module(spec: &ModuleSpec, canonical: bool) -> Vec<u8> {
    let mut spec = spec.resolved();
    if canonical {
        // The host lowers messages into, and lifts replies from, the exported `memory`.
        spec.memory = Some(crate::canonical_abi::memory(&spec));
    }
    let count = |kind| spec.imports.iter().filter(|i| i.kind == kind).count() as u32;
    let has = |f| spec.features.contains(&f);
    // The calibration globals come after every other defined global.
    let defined_globals = G_DECOY + 1 + u32::from(has(Feature::ExtendedConst)) + spec.globals;
    let imported_globals = count(ImportKind::Global);
    let layout = Layout {
        funcs: count(ImportKind::Func),
        globals: imported_globals,
        memory: count(ImportKind::Memory),
        table: count(ImportKind::Table),
        calibration: spec.calibrates().then_some((
            imported_globals + defined_globals,
            imported_globals + defined_globals + 1,
        )),
    };

    let mut types = TypeSection::new();
    types.ty().function([], []);
    types.ty().function([], [ValType::I32]);
    types
        .ty()
        .function([ValType::I32, ValType::I32], [ValType::I64]);
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([ValType::F32], []);
    types.ty().function([], [ValType::I32, ValType::I32]);
    if has(Feature::Gc) {
        types.ty().struct_([FieldType {
            element_type: StorageType::Val(ValType::I32),
            mutable: false,
        }]);
    }
    debug_assert!(!has(Feature::Gc) || types.len() == T_STRUCT + 1);
    let canonical_types = types.len();
    if canonical {
        crate::canonical_abi::types(&mut types);
    }

    let mut imports = ImportSection::new();
    for import in &spec.imports {
        let ty: EntityType = match import.kind {
            ImportKind::Func => EntityType::Function(T_VOID),
            ImportKind::Memory => EntityType::Memory(memory_type(1, None, false)),
            ImportKind::Table => EntityType::Table(table_type(1, None)),
            ImportKind::Global => EntityType::Global(GlobalType {
                val_type: ValType::I32,
                mutable: false,
                shared: false,
            }),
        };
        imports.import(&import.module, &import.name, ty);
    }

    // Functions: helpers, lifecycle exports, decoys, start section, features, invalid body.
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut exports = ExportSection::new();
    let mut defined = 0u32;
    let mut add = |ty: u32, instructions: &[I<'static>]| {
        functions.function(ty);
        code.function(&function(instructions));
        defined += 1;
        defined - 1
    };
    add(T_VOID, &[I::Call(layout.func(F_RECURSE))]);
    add(T_HEALTH, &[I::I32Const(7)]);
    let mut slots = [None; 5];
    for slot in Entry::ALL {
        let name = slot.as_str();
        match spec.slot(slot) {
            None => {}
            Some(Export::Func(b)) => {
                let mut out = Vec::new();
                body(b, Sig::of(slot), Some(slot), &layout, &mut out);
                let f = add(Sig::of(slot).type_index(), &out);
                slots[crate::spec::index(slot)] = Some(layout.func(f));
                if !canonical {
                    exports.export(name, ExportKind::Func, layout.func(f));
                }
            }
            // The component ABI has no export of the wrong kind or type to make here.
            Some(_) if canonical => {}
            Some(Export::WrongSignature) => {
                let f = add(T_WRONG, &[]);
                exports.export(name, ExportKind::Func, layout.func(f));
            }
            Some(Export::WrongKind) => {
                exports.export(name, ExportKind::Global, layout.global(G_DECOY));
            }
        }
    }
    if let Some(memory) = spec.memory {
        match memory.export {
            MemoryExport::Exported => {
                exports.export("memory", ExportKind::Memory, layout.memory);
            }
            MemoryExport::WrongKind => {
                let f = add(T_VOID, &[]);
                exports.export("memory", ExportKind::Func, layout.func(f));
            }
            MemoryExport::Hidden => {}
        }
    }
    let start = spec.start_section.as_ref().map(|b| {
        let mut out = Vec::new();
        body(b, Sig::Void, None, &layout, &mut out);
        layout.func(add(T_VOID, &out))
    });
    for &feature in &spec.features {
        if let Some((ty, out)) = feature_function(feature, &layout) {
            add(ty, &out);
        }
    }
    if spec.invalid_body {
        add(T_HEALTH, &[I::I64Const(0)]);
    }
    if canonical {
        for export in
            crate::canonical_abi::exports(&spec, &slots, layout.memory, (T_HEALTH, canonical_types))
        {
            let f = add(export.type_index, &export.body);
            exports.export(&export.name, ExportKind::Func, layout.func(f));
        }
    }

    let mut tables = TableSection::new();
    if let Some(t) = spec.table {
        tables.table(table_type(t.initial, t.maximum));
    }
    for _ in 0..spec.extra_tables {
        tables.table(table_type(1, None));
    }

    let mut memories = MemorySection::new();
    if let Some(m) = spec.memory {
        memories.memory(memory_type(m.initial, m.maximum, false));
    }
    if has(Feature::MultiMemory) && spec.memory.is_some() {
        memories.memory(memory_type(1, None, false));
    }
    if has(Feature::Memory64) {
        memories.memory(memory_type(1, None, true));
    }

    let mut tags = TagSection::new();
    if has(Feature::Exceptions) {
        tags.tag(TagType {
            kind: TagKind::Exception,
            func_type_idx: T_VOID,
        });
    }

    let mut globals = GlobalSection::new();
    let mutable = |mutable| GlobalType {
        val_type: ValType::I32,
        mutable,
        shared: false,
    };
    globals.global(mutable(true), &ConstExpr::i32_const(BUMP_START as i32));
    for _ in 0..CALL_SITES {
        globals.global(mutable(true), &ConstExpr::i32_const(0));
    }
    globals.global(mutable(false), &ConstExpr::i32_const(0));
    if has(Feature::ExtendedConst) {
        let init = ConstExpr::extended([I::I32Const(1), I::I32Const(2), I::I32Add]);
        globals.global(mutable(false), &init);
        debug_assert_eq!(globals.len(), G_EXTENDED + 1);
    }
    for i in 0..spec.globals {
        exports.export(
            &format!("g{i}"),
            ExportKind::Global,
            layout.global(globals.len()),
        );
        globals.global(mutable(true), &ConstExpr::i32_const(i as i32));
    }
    if let Some((budget, _)) = layout.calibration {
        debug_assert_eq!(layout.global(globals.len()), budget);
        let counter = GlobalType {
            val_type: ValType::I64,
            mutable: true,
            shared: false,
        };
        globals.global(counter, &ConstExpr::i64_const(0));
        globals.global(counter, &ConstExpr::i64_const(0));
    }

    let mut elements = ElementSection::new();
    if spec.trap_table {
        let seven = [layout.func(F_SEVEN)];
        elements.active(
            None,
            &ConstExpr::i32_const(1),
            Elements::Functions(Cow::Borrowed(&seven)),
        );
    }
    for &(offset, count) in &spec.elems {
        let funcs = vec![layout.func(F_SEVEN); count as usize];
        elements.active(
            None,
            &ConstExpr::i32_const(offset as i32),
            Elements::Functions(Cow::Owned(funcs)),
        );
    }

    let mut data = wasm_encoder::DataSection::new();
    for &(offset, len) in &spec.data {
        let bytes = vec![0xa5u8; len as usize];
        data.active(layout.memory, &ConstExpr::i32_const(offset as i32), bytes);
    }

    let mut module = Module::new();
    module.section(&types);
    if !imports.is_empty() {
        module.section(&imports);
    }
    module.section(&functions);
    if !tables.is_empty() {
        module.section(&tables);
    }
    if !memories.is_empty() {
        module.section(&memories);
    }
    if !tags.is_empty() {
        module.section(&tags);
    }
    module.section(&globals);
    module.section(&exports);
    if let Some(function_index) = start {
        module.section(&StartSection { function_index });
    }
    if !elements.is_empty() {
        module.section(&elements);
    }
    module.section(&code);
    if !data.is_empty() {
        module.section(&data);
    }
    module.finish()
}

fn table_type(initial: u32, maximum: Option<u32>) -> TableType {
    TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: initial.into(),
        maximum: maximum.map(u64::from),
        shared: false,
    }
}

fn memory_type(initial: u32, maximum: Option<u32>, memory64: bool) -> MemoryType {
    MemoryType {
        minimum: initial.into(),
        maximum: maximum.map(u64::from),
        memory64,
        shared: false,
        page_size_log2: None,
    }
}
