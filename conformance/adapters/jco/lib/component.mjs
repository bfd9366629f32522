// Component binaries: a reader of just what the host checks before instantiation
// (SPEC.md §8): the core modules a component carries (to check them against the
// profile), its imports (LC-CM-3) and the types of what it exports (LC-CM-2). jco's
// transpile result lists the names of imports and exports but not their types, nor an
// import's version, so the checks read the binary themselves.
//
// Types are resolved structurally: a defined type becomes a plain object ({k: 'record',
// fields: [...]}, ...) whose references are already resolved, so two types are equal
// when their objects are deeply equal, names of types aside (the component model's
// types are structural; labels, field, case and parameter names are part of them).

import { Reader, MalformedError } from './binary.mjs';

/** A component construct the checks do not understand (async, threads, values...). */
export class UnsupportedComponentError extends Error {}

const PRIM = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string',
  0x64: 'error-context',
};

const SORTS = { 0x01: 'func', 0x02: 'value', 0x03: 'type', 0x04: 'component', 0x05: 'instance' };

/**
 * Parse a component. Returns { coreModules: [Uint8Array...] (every core module, nested
 * components included), imports: [{name, sort}], exports: Map(name -> {sort, t}) }.
 */
export function parseComponent(bytes) {
  const coreModules = [];
  const top = parseComponentAt(new Reader(bytes), [], coreModules);
  return { coreModules, imports: top.imports, exports: top.exports };
}

function parseComponentAt(r, outer, coreModules) {
  const magic = r.take(8);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
  if (!header.every((b, i) => magic[i] === b)) r.fail('not a component header');
  const scope = { types: [], funcs: [], instances: [], components: [], values: 0 };
  const scopes = [scope, ...outer];
  const imports = [];
  const exports = new Map();

  const push = (sort, item) => {
    switch (sort) {
      case 'func': scope.funcs.push(item); break;
      case 'type': scope.types.push(item); break;
      case 'instance': scope.instances.push(item); break;
      case 'component': scope.components.push(item); break;
      case 'value': scope.values++; break;
      default: break; // core sorts: not tracked
    }
  };
  const get = (sort, idx) => {
    const space = { func: scope.funcs, type: scope.types, instance: scope.instances, component: scope.components }[sort];
    if (!space) return { k: sort };
    if (idx >= space.length) r.fail(`unknown ${sort} ${idx}`);
    return space[idx];
  };

  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > r.end) r.fail('section extends past the end');
    const s = new Reader(r.bytes, r.pos, end);
    switch (id) {
      case 0: break;
      case 1: coreModules.push(r.bytes.subarray(r.pos, end)); break;
      case 2: case 3: break; // core instances and core types: index spaces the checks never read
      case 4: {
        const inner = parseComponentAt(s, scopes, coreModules);
        scope.components.push({ k: 'component', imports: inner.imports, exports: inner.exports });
        s.pos = end;
        break;
      }
      case 5: s.vec(() => {
        const form = s.byte();
        if (form === 0x00) {
          const c = get('component', s.u32());
          s.vec(() => { s.name(); sortIdx(s); });
          scope.instances.push({ k: 'instance', exports: c.exports });
        } else if (form === 0x01) {
          const ex = new Map();
          s.vec(() => {
            const name = externName(s);
            const { sort, idx } = sortIdx(s);
            ex.set(name, { sort, t: get(sort, idx) });
          });
          scope.instances.push({ k: 'instance', exports: ex });
        } else s.fail('invalid instance form');
      }); break;
      case 6: s.vec(() => {
        const { sort } = readSort(s);
        push(sort, alias(s, sort, scopes, get));
      }); break;
      case 7: s.vec(() => scope.types.push(defType(s, scopes))); break;
      case 8: s.vec(() => canon(s, scope, get)); break;
      case 9: {
        s.u32(); s.vec(() => s.u32());
        const n = s.u32();
        scope.values += n;
        break;
      }
      case 10: s.vec(() => {
        const name = externName(s);
        const { sort, t } = externDesc(s, scopes, get);
        imports.push({ name, sort });
        push(sort, t);
      }); break;
      case 11: s.vec(() => {
        const name = externName(s);
        const { sort, idx } = sortIdx(s);
        let t = get(sort, idx);
        if (s.byte() === 0x01) t = externDesc(s, scopes, get).t;
        exports.set(name, { sort, t });
        push(sort, t); // an export is a new index of its sort
      }); break;
      case 12: throw new UnsupportedComponentError('component values are outside v1');
      default: r.fail(`invalid component section id ${id}`);
    }
    r.pos = end;
  }
  return { imports, exports };
}

function externName(r) {
  const b = r.byte();
  if (b !== 0x00 && b !== 0x01) r.fail('invalid extern name');
  return r.name();
}

function readSort(r) {
  const b = r.byte();
  if (b === 0x00) { r.byte(); return { sort: 'core' }; }
  const sort = SORTS[b];
  if (!sort) r.fail('invalid sort');
  return { sort };
}

function sortIdx(r) {
  const { sort } = readSort(r);
  return { sort, idx: r.u32() };
}

function alias(r, sort, scopes, get) {
  const target = r.byte();
  if (target === 0x00) {
    const inst = get('instance', r.u32());
    const name = r.name();
    const e = inst.exports?.get(name);
    if (!e) r.fail(`instance has no export ${name}`);
    return e.t;
  }
  if (target === 0x01) { r.u32(); r.name(); return null; }
  if (target === 0x02) {
    const ct = r.u32();
    const idx = r.u32();
    const sc = scopes[ct];
    if (!sc) r.fail('invalid outer alias count');
    const space = sort === 'type' ? sc.types : sort === 'component' ? sc.components : null;
    if (!space) return null;
    if (idx >= space.length) r.fail('invalid outer alias index');
    return space[idx];
  }
  r.fail('invalid alias target');
  return null;
}

function externDesc(r, scopes, get) {
  const b = r.byte();
  const types = scopes[0].types;
  const typeAt = (i) => {
    if (i >= types.length) r.fail(`unknown type ${i}`);
    return types[i];
  };
  switch (b) {
    case 0x00: r.byte(); r.u32(); return { sort: 'core', t: null };
    case 0x01: return { sort: 'func', t: typeAt(r.u32()) };
    case 0x02: {
      const vb = r.byte();
      if (vb === 0x00) r.u32(); else valType(r, scopes);
      return { sort: 'value', t: null };
    }
    case 0x03: {
      const tb = r.byte();
      if (tb === 0x00) return { sort: 'type', t: typeAt(r.u32()) };
      if (tb === 0x01) return { sort: 'type', t: { k: 'resource', id: Symbol('resource') } };
      r.fail('invalid type bound');
      break;
    }
    case 0x04: return { sort: 'component', t: typeAt(r.u32()) };
    case 0x05: return { sort: 'instance', t: typeAt(r.u32()) };
    default: r.fail('invalid extern descriptor');
  }
  void get;
  return null;
}

function valType(r, scopes) {
  const b = r.peek();
  if (PRIM[b] !== undefined) { r.byte(); return { k: 'prim', n: PRIM[b] }; }
  const i = r.sleb(33);
  const types = scopes[0].types;
  if (i < 0 || i >= types.length) r.fail(`unknown type ${i}`);
  return types[i];
}

function optional(r, f) {
  const b = r.byte();
  if (b === 0x00) return null;
  if (b === 0x01) return f();
  r.fail('invalid optional');
  return null;
}

function defType(r, scopes) {
  const b = r.byte();
  if (PRIM[b] !== undefined) return { k: 'prim', n: PRIM[b] };
  switch (b) {
    case 0x72: return { k: 'record', fields: r.vec(() => [r.name(), valType(r, scopes)]) };
    case 0x71: return {
      k: 'variant',
      cases: r.vec(() => {
        const name = r.name();
        const t = optional(r, () => valType(r, scopes));
        if (r.byte() !== 0x00) throw new UnsupportedComponentError('variant case refinements');
        return [name, t];
      }),
    };
    case 0x70: return { k: 'list', t: valType(r, scopes) };
    case 0x67: { const t = valType(r, scopes); return { k: 'fixed-list', t, n: r.u32() }; }
    case 0x6f: return { k: 'tuple', ts: r.vec(() => valType(r, scopes)) };
    case 0x6e: return { k: 'flags', names: r.vec(() => r.name()) };
    case 0x6d: return { k: 'enum', names: r.vec(() => r.name()) };
    case 0x6b: return { k: 'option', t: valType(r, scopes) };
    case 0x6a: {
      const ok = optional(r, () => valType(r, scopes));
      const err = optional(r, () => valType(r, scopes));
      return { k: 'result', ok, err };
    }
    case 0x69: return { k: 'own', t: scopes[0].types[r.u32()] };
    case 0x68: return { k: 'borrow', t: scopes[0].types[r.u32()] };
    case 0x66: case 0x65: throw new UnsupportedComponentError('streams and futures are outside v1');
    case 0x40: {
      const params = r.vec(() => [r.name(), valType(r, scopes)]);
      const rb = r.byte();
      let result = null;
      if (rb === 0x00) result = valType(r, scopes);
      else if (rb === 0x01) {
        const n = r.u32();
        if (n !== 0) result = { k: 'named-results', fields: Array.from({ length: n }, () => [r.name(), valType(r, scopes)]) };
      } else r.fail('invalid result list');
      return { k: 'func', params, result };
    }
    case 0x43: throw new UnsupportedComponentError('async functions are outside v1');
    case 0x41: case 0x42: return declType(r, scopes, b === 0x41);
    case 0x3f: {
      if (r.byte() !== 0x7f) r.fail('invalid resource representation');
      optional(r, () => r.u32());
      return { k: 'resource', id: Symbol('resource') };
    }
    case 0x3e: throw new UnsupportedComponentError('async resources are outside v1');
    default: r.fail(`invalid type form 0x${b.toString(16)}`);
  }
  return null;
}

// An instance type (0x42) or component type (0x41): declarations with their own type
// index space, under the enclosing scopes.
function declType(r, outer, isComponent) {
  const scope = { types: [], funcs: [], instances: [], components: [], values: 0 };
  const scopes = [scope, ...outer];
  const imports = [];
  const exports = new Map();
  r.vec(() => {
    const d = r.byte();
    switch (d) {
      case 0x00: skipCoreType(r); break;
      case 0x01: scope.types.push(defType(r, scopes)); break;
      case 0x02: {
        const { sort } = readSort(r);
        const target = r.byte();
        if (target !== 0x02) throw new UnsupportedComponentError('aliases of instance exports inside a type');
        const ct = r.u32();
        const idx = r.u32();
        const sc = scopes[ct];
        if (!sc) r.fail('invalid outer alias count');
        if (sort === 'type') {
          if (idx >= sc.types.length) r.fail('invalid outer alias index');
          scope.types.push(sc.types[idx]);
        }
        break;
      }
      case 0x03: {
        if (!isComponent) r.fail('an import in an instance type');
        const name = externName(r);
        const { sort, t } = externDesc(r, scopes);
        imports.push({ name, sort });
        if (sort === 'type') scope.types.push(t);
        break;
      }
      case 0x04: {
        const name = externName(r);
        const { sort, t } = externDesc(r, scopes);
        exports.set(name, { sort, t });
        if (sort === 'type') scope.types.push(t);
        break;
      }
      default: r.fail('invalid declaration');
    }
  });
  return isComponent ? { k: 'component', imports, exports } : { k: 'instance', exports };
}

// Core types inside instance and component types: module types (0x50) and function
// types (0x60); read to be skipped.
function skipCoreType(r) {
  const b = r.byte();
  if (b === 0x60) {
    r.vec(() => r.byte());
    r.vec(() => r.byte());
    return;
  }
  if (b !== 0x50) throw new UnsupportedComponentError('core types beyond functions and modules');
  r.vec(() => {
    const d = r.byte();
    switch (d) {
      case 0x00: r.name(); r.name(); skipCoreImportDesc(r); break;
      case 0x01: skipCoreType(r); break;
      case 0x02: r.byte(); r.byte(); r.u32(); r.u32(); break;
      case 0x03: r.name(); skipCoreImportDesc(r); break;
      default: r.fail('invalid module type declaration');
    }
  });
}

function skipCoreImportDesc(r) {
  const k = r.byte();
  const limits = () => { const f = r.byte(); r.uleb(64); if (f & 1) r.uleb(64); };
  switch (k) {
    case 0x00: r.u32(); break;
    case 0x01: r.byte(); limits(); break;
    case 0x02: limits(); break;
    case 0x03: r.byte(); r.byte(); break;
    case 0x04: r.byte(); r.u32(); break;
    default: r.fail('invalid core import');
  }
}

function canon(r, scope, get) {
  const op = r.byte();
  const opts = () => r.vec(() => {
    const o = r.byte();
    if (o === 0x03 || o === 0x04 || o === 0x05 || o === 0x07) r.u32();
    else if (o === 0x06) throw new UnsupportedComponentError('async lifting is outside v1');
    else if (o > 0x02) r.fail('invalid canonical option');
  });
  switch (op) {
    case 0x00: {
      if (r.byte() !== 0x00) r.fail('invalid canon lift');
      r.u32();
      opts();
      const t = get('type', r.u32());
      scope.funcs.push(t);
      return;
    }
    case 0x01: if (r.byte() !== 0x00) r.fail('invalid canon lower'); r.u32(); opts(); return;
    case 0x02: case 0x03: case 0x04: r.u32(); return;
    default: throw new UnsupportedComponentError(`canonical built-in 0x${op.toString(16)} is outside v1`);
  }
}

// ---------------------------------------------------------------------------------
// The world `actor` of conformance/wit/lifecycle.wit, as resolved types.

const P = (n) => ({ k: 'prim', n });
const COMPONENT_ERROR = {
  k: 'variant',
  cases: [
    ['initialization-failed', P('string')],
    ['configuration-invalid', P('string')],
    ['resource-exhausted', P('string')],
    ['internal-error', P('string')],
  ],
};
const APPLICATION_ERROR = { k: 'record', fields: [['code', P('u64')], ['message', P('string')]] };
const HEALTH_STATUS = { k: 'enum', names: ['healthy', 'degraded', 'unhealthy', 'unknown'] };
const BYTES = { k: 'list', t: P('u8') };

export const LIFECYCLE_INTERFACE = 'lifecycle-kit:actor/lifecycle@0.1.0';
export const LIFECYCLE_FUNCTIONS = [
  ['initialize', {
    k: 'func',
    params: [['config', { k: 'list', t: { k: 'tuple', ts: [P('string'), P('string')] } }]],
    result: { k: 'result', ok: null, err: COMPONENT_ERROR },
  }],
  ['handle-message', {
    k: 'func',
    params: [['message', BYTES]],
    result: { k: 'result', ok: { k: 'option', t: BYTES }, err: APPLICATION_ERROR },
  }],
  ['health', { k: 'func', params: [], result: HEALTH_STATUS }],
  ['shutdown', { k: 'func', params: [], result: { k: 'result', ok: null, err: COMPONENT_ERROR } }],
];

export function sameType(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'prim': return a.n === b.n;
    case 'record': case 'named-results':
      return a.fields.length === b.fields.length
        && a.fields.every(([n, t], i) => n === b.fields[i][0] && sameType(t, b.fields[i][1]));
    case 'variant':
      return a.cases.length === b.cases.length
        && a.cases.every(([n, t], i) => n === b.cases[i][0] && (t === null ? b.cases[i][1] === null : sameType(t, b.cases[i][1])));
    case 'list': case 'option': return sameType(a.t, b.t);
    case 'fixed-list': return a.n === b.n && sameType(a.t, b.t);
    case 'tuple': return a.ts.length === b.ts.length && a.ts.every((t, i) => sameType(t, b.ts[i]));
    case 'flags': case 'enum': return a.names.length === b.names.length && a.names.every((n, i) => n === b.names[i]);
    case 'result':
      return (a.ok === null ? b.ok === null : sameType(a.ok, b.ok))
        && (a.err === null ? b.err === null : sameType(a.err, b.err));
    case 'own': case 'borrow': return sameType(a.t, b.t);
    case 'resource': return a.id === b.id;
    case 'func':
      return a.params.length === b.params.length
        && a.params.every(([n, t], i) => n === b.params[i][0] && sameType(t, b.params[i][1]))
        && (a.result === null ? b.result === null : sameType(a.result, b.result));
    default: return false;
  }
}

export function showType(t) {
  if (t === null || t === undefined) return '_';
  switch (t.k) {
    case 'prim': return t.n;
    case 'record': return `record {${t.fields.map(([n, f]) => `${n}: ${showType(f)}`).join(', ')}}`;
    case 'named-results': return `(${t.fields.map(([n, f]) => `${n}: ${showType(f)}`).join(', ')})`;
    case 'variant': return `variant {${t.cases.map(([n, c]) => (c ? `${n}(${showType(c)})` : n)).join(', ')}}`;
    case 'list': return `list<${showType(t.t)}>`;
    case 'fixed-list': return `list<${showType(t.t)}, ${t.n}>`;
    case 'tuple': return `tuple<${t.ts.map(showType).join(', ')}>`;
    case 'flags': return `flags {${t.names.join(', ')}}`;
    case 'enum': return `enum {${t.names.join(', ')}}`;
    case 'option': return `option<${showType(t.t)}>`;
    case 'result': return `result<${showType(t.ok)}, ${showType(t.err)}>`;
    case 'own': return 'own<resource>';
    case 'borrow': return 'borrow<resource>';
    case 'resource': return 'resource';
    case 'func': return `func(${t.params.map(([n, p]) => `${n}: ${showType(p)}`).join(', ')})${t.result ? ` -> ${showType(t.result)}` : ''}`;
    case 'instance': return 'instance';
    case 'component': return 'component';
    default: return t.k ?? 'unknown';
  }
}

/**
 * LC-CM-2: the world's exports. Returns null, or the `bad_export` error's fields
 * ({export, reason, detail}).
 */
export function checkWorldExports(parsed) {
  const e = parsed.exports.get(LIFECYCLE_INTERFACE);
  if (!e || e.sort !== 'instance' || !e.t?.exports) {
    const found = [...parsed.exports.keys()];
    return {
      export: LIFECYCLE_INTERFACE,
      reason: 'missing',
      detail: e ? `${LIFECYCLE_INTERFACE} is exported as a ${e.sort}, not an instance`
        : `the component exports ${found.length ? found.join(', ') : 'nothing'}`,
    };
  }
  for (const [name, want] of LIFECYCLE_FUNCTIONS) {
    const f = e.t.exports.get(name);
    if (!f) return { export: name, reason: 'missing', detail: `${LIFECYCLE_INTERFACE} has no function ${name}` };
    if (f.sort !== 'func' || !sameType(want, f.t)) {
      return {
        export: name,
        reason: 'wrong_signature',
        detail: `expected ${showType(want)}, found ${f.sort === 'func' ? showType(f.t) : `a ${f.sort}`}`,
      };
    }
  }
  return null;
}

export { MalformedError };
