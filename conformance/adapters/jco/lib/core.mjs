// Core WebAssembly modules: a parser that records which post-MVP features a module uses
// (V8 cannot switch features off, so the profile is checked here, before V8 sees the
// bytes: SPEC.md §6), and a rewriter that prepares a module for V8:
//
// * every memory and table the module defines is turned into an import from the host
//   (`__lk`), so that the host creates it with its maximum capped at the component's
//   limits (V8 has no resource limiter: ADAPTER.md, "Engines without a limiter");
// * every `call_indirect` first checks its table entry and, when it is null, calls a host
//   function that throws a recognisable trap, because V8 reports a null entry and a
//   signature mismatch with one message ("null function or function signature mismatch").
//
// The rewritten module does not depend on the limits, so it is compiled once per module.

import { Reader, MalformedError, encodeU32, encodeName, concat, section } from './binary.mjs';

/** Features outside both profiles stop the scan: the start fails whatever else follows. */
class StopScan extends Error {}

/** Which features each profile admits beyond the strict base (SPEC.md §6). */
export const PROFILE_FEATURES = {
  strict: new Set(),
  standard: new Set(['bulk_memory', 'reference_types', 'simd']),
};

const FEATURE_TEXT = {
  bulk_memory: 'bulk memory',
  reference_types: 'reference types',
  simd: 'SIMD',
  relaxed_simd: 'relaxed SIMD',
  threads: 'threads',
  tail_call: 'tail calls',
  exceptions: 'exceptions',
  gc: 'GC',
  function_references: 'typed function references',
  extended_const: 'extended constant expressions',
  multi_memory: 'multiple memories',
  memory64: 'memory64',
  custom_page_sizes: 'custom page sizes',
  other: 'an unknown feature',
};

export function featureText(name) {
  return FEATURE_TEXT[name] ?? name;
}

// Section ids in the order the binary format requires them (custom sections aside).
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const rank = (id) => SECTION_ORDER.indexOf(id);

/**
 * Parse a core module. Returns what the host needs: the features it uses (a Map from
 * feature to a description of the first use), its imports, defined memories and tables,
 * and the layout needed to rewrite it. Throws MalformedError on bytes it cannot decode.
 */
export function parseCoreModule(bytes) {
  const r = new Reader(bytes);
  const m = {
    bytes,
    features: new Map(),
    sections: [],
    types: [],
    imports: [],
    imported: { func: 0, table: 0, memory: 0, global: 0, tag: 0 },
    funcTypes: [],
    tables: [],
    memories: [],
    globals: 0,
    exports: [],
    bodies: [],
    start: null,
  };
  const feature = (name, at = r.pos) => {
    if (!m.features.has(name)) m.features.set(name, `${featureText(name)} (at offset 0x${at.toString(16)})`);
  };
  const fatalFeature = (name, at = r.pos) => {
    feature(name, at);
    throw new StopScan();
  };

  const magic = r.take(8);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!header.every((b, i) => magic[i] === b)) throw new MalformedError('not a core module header');

  // Value types (of parameters, results, locals, globals, blocks): funcref and externref
  // there need reference types (a funcref table alone is MVP, see `reftype`).
  const valtype = (rr = r) => {
    const at = rr.pos;
    const b = rr.byte();
    switch (b) {
      case 0x7f: case 0x7e: case 0x7d: case 0x7c: return b;
      case 0x7b: feature('simd', at); return b;
      case 0x70: case 0x6f: feature('reference_types', at); return b;
      case 0x64: case 0x63: fatalFeature('function_references', at); break;
      case 0x6e: case 0x6d: case 0x6c: case 0x6b: case 0x6a: case 0x71: case 0x72: case 0x73:
        fatalFeature('gc', at); break;
      case 0x69: case 0x74: fatalFeature('exceptions', at); break;
      default: rr.fail(`invalid value type 0x${b.toString(16)}`);
    }
    return b;
  };
  const reftype = () => {
    const at = r.pos;
    const b = r.byte();
    if (b === 0x70) return b;
    if (b === 0x6f) { feature('reference_types', at); return b; }
    if (b === 0x64 || b === 0x63) fatalFeature('function_references', at);
    if ([0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73].includes(b)) fatalFeature('gc', at);
    if (b === 0x69 || b === 0x74) fatalFeature('exceptions', at);
    r.fail(`invalid reference type 0x${b.toString(16)}`);
    return b;
  };
  const limits = (isMemory) => {
    const at = r.pos;
    const flags = r.byte();
    if (flags & ~0x0f) r.fail('invalid limits flags');
    if (flags & 0x02) { if (isMemory) feature('threads', at); else r.fail('invalid table limits flags'); }
    if (flags & 0x04) fatalFeature('memory64', at);
    if (flags & 0x08) fatalFeature('custom_page_sizes', at);
    const min = r.u32();
    const max = flags & 0x01 ? r.u32() : null;
    return { flags, min, max };
  };
  const tabletype = () => {
    const at = r.pos;
    if (r.peek() === 0x40) fatalFeature('function_references', at);
    const elem = reftype();
    const lim = limits(false);
    return { elem, ...lim };
  };
  const globaltype = () => {
    valtype();
    const mut = r.byte();
    if (mut > 1) r.fail('invalid mutability');
  };
  const blocktype = () => {
    const b = r.peek();
    if (b === 0x40) { r.byte(); return; }
    if ([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x64, 0x63, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x69, 0x74].includes(b)) {
      valtype();
      return;
    }
    const idx = r.sleb(33);
    if (idx < 0) r.fail('invalid block type');
  };
  const memarg = () => {
    const at = r.pos;
    const align = r.u32();
    if (align & 0x40) { feature('multi_memory', at); r.u32(); }
    r.uleb(64);
  };

  // A constant expression (global initialisers, segment offsets and items).
  const constExpr = () => {
    for (;;) {
      const at = r.pos;
      const op = r.byte();
      switch (op) {
        case 0x0b: return;
        case 0x41: r.sleb(32); break;
        case 0x42: r.sleb(64); break;
        case 0x43: r.skip(4); break;
        case 0x44: r.skip(8); break;
        case 0x23: r.u32(); break;
        case 0xd0: feature('reference_types', at); heaptype(); break;
        case 0xd2: feature('reference_types', at); r.u32(); break;
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e:
          fatalFeature('extended_const', at); break;
        case 0xfd: {
          const sub = r.u32();
          if (sub !== 12) r.fail('constant expression required');
          feature('simd', at);
          r.skip(16);
          break;
        }
        case 0xfb: fatalFeature('gc', at); break;
        default: r.fail(`constant expression required: opcode 0x${op.toString(16)}`);
      }
    }
  };
  const heaptype = () => {
    const at = r.pos;
    const b = r.peek();
    if (b === 0x70 || b === 0x6f) { r.byte(); return; }
    if ([0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73].includes(b)) fatalFeature('gc', at);
    if (b === 0x69 || b === 0x74) fatalFeature('exceptions', at);
    const idx = r.sleb(33);
    if (idx >= 0) fatalFeature('function_references', at);
    r.fail('invalid heap type');
  };

  // One function body: its locals and instructions; records where each call_indirect is.
  const body = (end) => {
    const start = r.pos;
    let locals = 0;
    const groups = r.u32();
    for (let i = 0; i < groups; i++) {
      const n = r.u32();
      locals += n;
      if (locals > 50000) r.fail('too many locals');
      valtype();
    }
    const localsStart = start;
    const localsEnd = r.pos;
    const callIndirects = [];
    let depth = 1;
    while (depth > 0) {
      if (r.pos >= end) r.fail('function body must end with END opcode');
      const at = r.pos;
      const op = r.byte();
      switch (op) {
        case 0x00: case 0x01: case 0x0f: case 0x1a: case 0x1b: break;
        case 0x02: case 0x03: case 0x04: blocktype(); depth++; break;
        case 0x05: break;
        case 0x0b: depth--; break;
        case 0x0c: case 0x0d: r.u32(); break;
        case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); break; }
        case 0x10: r.u32(); break;
        case 0x11: {
          const type = r.u32();
          const tableAt = r.pos;
          const table = r.u32();
          if (table !== 0 || r.pos - tableAt !== 1) feature('reference_types', tableAt);
          callIndirects.push({ start: at, end: r.pos, type, table });
          break;
        }
        case 0x12: case 0x13: fatalFeature('tail_call', at); break;
        case 0x14: case 0x15: case 0xd4: case 0xd5: case 0xd6: fatalFeature('function_references', at); break;
        case 0x06: case 0x07: case 0x08: case 0x09: case 0x0a: case 0x18: case 0x19: case 0x1f:
          fatalFeature('exceptions', at); break;
        case 0x1c: {
          feature('reference_types', at);
          const n = r.u32();
          for (let i = 0; i < n; i++) valtype();
          break;
        }
        case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: r.u32(); break;
        case 0x25: case 0x26: feature('reference_types', at); r.u32(); break;
        case 0x3f: case 0x40: {
          const idx = r.u32();
          if (idx !== 0) feature('multi_memory', at);
          break;
        }
        case 0x41: r.sleb(32); break;
        case 0x42: r.sleb(64); break;
        case 0x43: r.skip(4); break;
        case 0x44: r.skip(8); break;
        case 0xd0: feature('reference_types', at); heaptype(); break;
        case 0xd1: feature('reference_types', at); break;
        case 0xd2: feature('reference_types', at); r.u32(); break;
        case 0xd3: fatalFeature('gc', at); break;
        case 0xfb: fatalFeature('gc', at); break;
        case 0xfe: fatalFeature('threads', at); break;
        case 0xfc: {
          const sub = r.u32();
          if (sub <= 7) break;
          switch (sub) {
            case 8: feature('bulk_memory', at); r.u32(); { const mi = r.u32(); if (mi) feature('multi_memory', at); } break;
            case 9: feature('bulk_memory', at); r.u32(); break;
            case 10: feature('bulk_memory', at); { const a = r.u32(); const b = r.u32(); if (a || b) feature('multi_memory', at); } break;
            case 11: feature('bulk_memory', at); { const mi = r.u32(); if (mi) feature('multi_memory', at); } break;
            case 12: feature('bulk_memory', at); r.u32(); r.u32(); break;
            case 13: feature('bulk_memory', at); r.u32(); break;
            case 14: feature('bulk_memory', at); r.u32(); r.u32(); break;
            case 15: case 16: case 17: feature('reference_types', at); r.u32(); break;
            default: fatalFeature('other', at);
          }
          break;
        }
        case 0xfd: {
          const sub = r.u32();
          if (sub >= 0x100 && sub <= 0x113) fatalFeature('relaxed_simd', at);
          if (sub > 0xff) fatalFeature('other', at);
          feature('simd', at);
          if (sub <= 11 || sub === 92 || sub === 93) memarg();
          else if (sub === 12 || sub === 13) r.skip(16);
          else if (sub >= 21 && sub <= 34) r.byte();
          else if (sub >= 84 && sub <= 91) { memarg(); r.byte(); }
          break;
        }
        default:
          if (op >= 0x28 && op <= 0x3e) { memarg(); break; }
          if (op >= 0x45 && op <= 0xc4) break;
          fatalFeature('other', at);
      }
    }
    if (r.pos !== end) r.fail('operators remaining after end of function');
    return { start, end, localsStart, localsEnd, locals, callIndirects };
  };

  let lastRank = -1;
  let funcCount = null;
  try {
    while (!r.atEnd()) {
      const secStart = r.pos;
      const id = r.byte();
      const size = r.u32();
      const contentStart = r.pos;
      const end = contentStart + size;
      if (end > bytes.length) r.fail('section size mismatch: unexpected end');
      m.sections.push({ id, start: secStart, contentStart, end });
      if (id !== 0) {
        const rk = rank(id);
        if (rk < 0) r.fail(`invalid section id ${id}`);
        if (rk <= lastRank) r.fail('section out of order');
        lastRank = rk;
      }
      // The section readers below use `r`, bounded by the section while they run.
      r.end = end;
      switch (id) {
        case 0: r.name(); r.pos = end; break;
        case 1: r.vec(() => {
          const at = r.pos;
          const form = r.byte();
          if (form === 0x60) {
            const params = r.vec(() => valtype());
            const results = r.vec(() => valtype());
            m.types.push({ params, results });
          } else if ([0x4e, 0x50, 0x4f, 0x5f, 0x5e].includes(form)) {
            fatalFeature('gc', at);
          } else r.fail('invalid function type form');
        }); break;
        case 2: r.vec(() => {
          const module = r.name();
          const name = r.name();
          const at = r.pos;
          const kind = r.byte();
          const imp = { module, name, kind };
          switch (kind) {
            case 0x00: imp.type = r.u32(); m.imported.func++; break;
            case 0x01: Object.assign(imp, tabletype()); m.imported.table++; break;
            case 0x02: Object.assign(imp, limits(true)); m.imported.memory++; break;
            case 0x03: globaltype(); m.imported.global++; break;
            case 0x04: fatalFeature('exceptions', at); break;
            default: r.fail('invalid import kind');
          }
          m.imports.push(imp);
        }); break;
        case 3: m.funcTypes = r.vec(() => r.u32()); break;
        case 4: m.tables = r.vec(() => tabletype()); break;
        case 5: m.memories = r.vec(() => limits(true)); break;
        case 13: fatalFeature('exceptions', contentStart); break;
        case 6: r.vec(() => { globaltype(); constExpr(); m.globals++; }); break;
        case 7: m.exports = r.vec(() => {
          const name = r.name();
          const at = r.pos;
          const kind = r.byte();
          if (kind === 0x04) fatalFeature('exceptions', at);
          if (kind > 3) r.fail('invalid export kind');
          return { name, kind, index: r.u32() };
        }); break;
        case 8: m.start = r.u32(); break;
        case 9: r.vec(() => {
          const at = r.pos;
          const flags = r.u32();
          if (flags > 7) r.fail('invalid element segment flags');
          if (flags !== 0) feature('bulk_memory', at);
          if (flags === 3 || flags >= 4) feature('reference_types', at);
          if (flags === 2 || flags === 6) { const t = r.u32(); if (t !== 0) feature('reference_types', at); }
          if ((flags & 1) === 0) constExpr();
          if (flags & 4) {
            if (flags & 3) reftype();
            r.vec(() => constExpr());
          } else {
            if (flags & 3) { if (r.byte() !== 0x00) r.fail('invalid element kind'); }
            r.vec(() => r.u32());
          }
        }); break;
        case 12: feature('bulk_memory', contentStart); r.u32(); break;
        case 10: {
          const n = r.u32();
          funcCount = n;
          for (let i = 0; i < n; i++) {
            const size = r.u32();
            const bEnd = r.pos + size;
            if (bEnd > end) r.fail('function body extends past the code section');
            m.bodies.push(body(bEnd));
            r.pos = bEnd;
          }
          break;
        }
        case 11: r.vec(() => {
          const at = r.pos;
          const flags = r.u32();
          if (flags === 1) feature('bulk_memory', at);
          else if (flags === 2) { const mi = r.u32(); feature(mi ? 'multi_memory' : 'bulk_memory', at); }
          else if (flags !== 0) r.fail('invalid data segment flags');
          if (flags !== 1) constExpr();
          const len = r.u32();
          r.skip(len);
        }); break;
        default: r.fail(`invalid section id ${id}`);
      }
      if (r.pos !== end) r.fail('section size mismatch');
      r.pos = end;
      r.end = bytes.length;
    }
    if (funcCount !== null && funcCount !== m.funcTypes.length) r.fail('function and code section have inconsistent lengths');
    if (funcCount === null && m.funcTypes.length > 0) r.fail('function and code section have inconsistent lengths');
    if (m.imported.memory + m.memories.length > 1) feature('multi_memory', 0);
    if (m.imported.table + m.tables.length > 1) feature('reference_types', 0);
  } catch (e) {
    if (!(e instanceof StopScan)) throw e;
    m.stopped = true;
  }
  return m;
}

/** The first feature the module uses outside `profile`, as text, or null. */
export function unsupportedFeature(m, profile) {
  const allowed = PROFILE_FEATURES[profile];
  for (const [name, text] of m.features) if (!allowed.has(name)) return text;
  return null;
}

/**
 * Rewrite a parsed module for V8 (see the top of this file). Returns
 * `{ bytes, memories: [{min, max, flags}], tables: [{elem, min, max}], nullCheck }`: the
 * host provides `__lk.memoryN` / `__lk.tableN` for the defined ones, and `__lk.null_entry`
 * (a funcref table of one function that throws) when `nullCheck`.
 */
export function rewriteForV8(m) {
  const b = m.bytes;
  const memories = m.memories;
  const tables = m.tables;
  const nullCheck = m.bodies.some((f) => f.callIndirects.length > 0);
  if (memories.length === 0 && tables.length === 0 && !nullCheck) {
    return { bytes: b, memories, tables, nullCheck };
  }

  const newImports = [];
  memories.forEach((mem, i) => {
    const lim = [mem.flags, ...encodeU32(mem.min)];
    if (mem.max !== null) lim.push(...encodeU32(mem.max));
    newImports.push([...encodeName('__lk'), ...encodeName(`memory${i}`), 0x02, ...lim]);
  });
  tables.forEach((t, i) => {
    const lim = [t.flags, ...encodeU32(t.min)];
    if (t.max !== null) lim.push(...encodeU32(t.max));
    newImports.push([...encodeName('__lk'), ...encodeName(`table${i}`), 0x01, t.elem, ...lim]);
  });
  // The null-entry table comes after every other table, so no table index moves.
  const nullTable = m.imported.table + tables.length;
  const voidType = m.types.length;
  if (nullCheck) newImports.push([...encodeName('__lk'), ...encodeName('null_entry'), 0x01, 0x70, 0x01, 0x01, 0x01]);

  const importSection = () => {
    const old = m.sections.find((s) => s.id === 2);
    let count = newImports.length;
    let entries = [];
    if (old) {
      const r = new Reader(b, old.contentStart, old.end);
      count += r.u32();
      entries.push(b.subarray(r.pos, old.end));
    }
    entries.push(...newImports.map((e) => Uint8Array.from(e)));
    return section(2, concat([encodeU32(count), ...entries]));
  };
  const typeSection = () => {
    const old = m.sections.find((s) => s.id === 1);
    let count = 1;
    const parts = [];
    if (old) {
      const r = new Reader(b, old.contentStart, old.end);
      count += r.u32();
      parts.push(b.subarray(r.pos, old.end));
    }
    parts.push(Uint8Array.from([0x60, 0x00, 0x00]));
    return section(1, concat([encodeU32(count), ...parts]));
  };
  const codeSection = (s) => {
    const r = new Reader(b, s.contentStart, s.end);
    const n = r.u32();
    const out = [encodeU32(n)];
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const start = r.pos;
      r.pos += size;
      const f = m.bodies[i];
      if (f.callIndirects.length === 0) {
        out.push(encodeU32(size), b.subarray(start, start + size));
        continue;
      }
      const fn = rewriteBody(b, f, m, i, nullTable, voidType);
      out.push(encodeU32(fn.length), fn);
    }
    return section(10, concat(out));
  };

  const parts = [b.subarray(0, 8)];
  let importDone = false;
  let typeDone = !nullCheck;
  const emitPending = (beforeId) => {
    if (!typeDone && (beforeId === null || rank(beforeId) > rank(1))) {
      parts.push(typeSection());
      typeDone = true;
    }
    if (!importDone && (beforeId === null || rank(beforeId) > rank(2))) {
      parts.push(importSection());
      importDone = true;
    }
  };
  for (const s of m.sections) {
    if (s.id !== 0) emitPending(s.id);
    if (s.id === 1 && !typeDone) continue; // emitted by emitPending with the extra type
    if (s.id === 2) continue; // emitted by emitPending with the host's imports
    if (s.id === 4 && tables.length) continue;
    if (s.id === 5 && memories.length) continue;
    if (s.id === 10 && nullCheck) { parts.push(codeSection(s)); continue; }
    parts.push(b.subarray(s.start, s.end));
  }
  emitPending(null);
  return { bytes: concat(parts), memories, tables, nullCheck };
}

// `call_indirect T t` becomes
//   local.tee $i  local.get $i  table.size t  i32.lt_u
//   if  local.get $i  table.get t  ref.is_null
//       if  i32.const 0  call_indirect (type void) $null_entry  end
//   end
//   call_indirect T t
// (an index out of bounds is left to call_indirect, which reports it as such).
function rewriteBody(b, f, m, funcIndex, nullTable, voidType) {
  const typeIdx = m.funcTypes[funcIndex];
  const params = m.types[typeIdx]?.params.length ?? 0;
  const scratch = params + f.locals;
  const r = new Reader(b, f.localsStart, f.localsEnd);
  const groups = r.u32();
  const out = [encodeU32(groups + 1), b.subarray(r.pos, f.localsEnd), [0x01, 0x7f]];
  let at = f.localsEnd;
  const L = encodeU32(scratch);
  const N = encodeU32(nullTable);
  for (const ci of f.callIndirects) {
    out.push(b.subarray(at, ci.start));
    const T = encodeU32(ci.table);
    out.push([
      0x22, ...L, 0x20, ...L, 0xfc, 16, ...T, 0x49,
      0x04, 0x40,
      0x20, ...L, 0x25, ...T, 0xd1,
      0x04, 0x40, 0x41, 0x00, 0x11, ...encodeU32(voidType), ...N, 0x0b,
      0x0b,
    ]);
    out.push(b.subarray(ci.start, ci.end));
    at = ci.end;
  }
  out.push(b.subarray(at, f.end));
  return concat(out);
}
