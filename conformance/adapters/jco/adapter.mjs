#!/usr/bin/env node
// lifecycle-kit adapter (protocol `lifecycle-adapter/2`, conformance/ADAPTER.md) that runs
// Component Model components of the WIT world `actor` with jco: each component is
// transpiled by jco (`@bytecodealliance/jco-transpile`) into JavaScript bindings plus its
// core modules, which Node's V8 compiles and runs. See README.md in this directory.
//
//   node conformance/adapters/jco/adapter.mjs
//
// Everything runs in this one thread. A guest call (instantiation and `initialize`, a
// message, a health check, `shutdown`) runs inside `vm.Script#runInThisContext` with a
// `timeout`: Node's watchdog terminates the running code at the deadline, even a wasm
// loop that never yields, and the isolate (and every other instance) lives on.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import readline from 'node:readline';
import vm from 'node:vm';
import { Buffer } from 'node:buffer';

import { MalformedError } from './lib/binary.mjs';
import { parseCoreModule, unsupportedFeature, rewriteForV8 } from './lib/core.mjs';
import { parseComponent, checkWorldExports, UnsupportedComponentError } from './lib/component.mjs';

// Standard output carries the protocol and nothing else: anything a library logs goes
// to standard error.
for (const k of ['log', 'info', 'debug', 'warn']) console[k] = (...a) => console.error(...a);

const JCO_VERSION = (() => {
  try {
    return JSON.parse(readFileSync(new URL('./node_modules/@bytecodealliance/jco-transpile/package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
})();

const HANDSHAKE = {
  protocol: 'lifecycle-adapter/2',
  name: 'jco',
  version: `jco-transpile ${JCO_VERSION} on Node ${process.versions.node} (V8 ${process.versions.v8})`,
  capabilities: {
    standard_profile: true,
    fuel: false,
    timeouts: true,
    compilations: true,
    components: true,
    // It runs components only: the suite never sends it a core case.
    core_modules: false,
  },
};

const WASM_PAGE = 65536;
const V8_MAX_PAGES = 65536;
const V8_MAX_TABLE = 10_000_000;
const COMPONENT_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CORE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const LIMIT_KEYS = ['max_memory_bytes', 'max_table_elements', 'fuel_per_call', 'start_timeout_ms',
  'call_timeout_ms', 'health_timeout_ms', 'max_message_bytes'];
const COMPONENT_ERROR_CASES = new Set(['initialization-failed', 'configuration-invalid', 'resource-exhausted', 'internal-error']);
const NULL_ENTRY_MESSAGE = 'lifecycle-kit: indirect call to a null table entry';

// ---------------------------------------------------------------------------------
// Output

function write(obj) {
  // `message_error`'s code is a u64 (a BigInt from jco) and goes out as a bare integer.
  const text = JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? `\u0000big:${v.toString()}` : v))
    .replace(/"\\u0000big:(\d+)"/g, '$1');
  process.stdout.write(`${text}\n`);
}

// ---------------------------------------------------------------------------------
// jco, loaded once per process (in the background after the handshake).

let jcoPromise = null;
function jco() {
  jcoPromise ??= import('@bytecodealliance/jco-transpile');
  return jcoPromise;
}

// A host function in a funcref table, for the `call_indirect` null check (lib/core.mjs):
// funcref tables hold only wasm functions, so a one-import module wraps the JS one.
let nullEntryFunction = null;
function nullEntry() {
  if (!nullEntryFunction) {
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
      0x02, 0x07, 0x01, 0x01, 0x68, 0x01, 0x66, 0x00, 0x00,
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    ]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      h: { f: () => { throw new WebAssembly.RuntimeError(NULL_ENTRY_MESSAGE); } },
    });
    nullEntryFunction = inst.exports.f;
  }
  return nullEntryFunction;
}

// ---------------------------------------------------------------------------------
// Running guest code under a deadline

const guestScript = new vm.Script('globalThis.__lifecycleKitGuestCall()', { filename: 'lifecycle-kit-guest-call' });

class Timeout extends Error {}

/**
 * Run `fn` with a wall-clock limit; a guest still running at `ms` throws Timeout. Node's
 * watchdog counts whole milliseconds of libuv's loop clock, so a timer of `n` ms can fire
 * up to 1 ms early: one more millisecond keeps the timeout from ever firing before its
 * limit (LC-LIMIT-7).
 */
function withDeadline(ms, fn) {
  globalThis.__lifecycleKitGuestCall = fn;
  try {
    return guestScript.runInThisContext({ timeout: Math.max(0, Math.ceil(ms)) + 1, breakOnSigint: false });
  } catch (e) {
    if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new Timeout(e.message);
    throw e;
  } finally {
    globalThis.__lifecycleKitGuestCall = undefined;
  }
}

/**
 * The contract's trap code (LC-LIMIT-6) for what V8 or jco threw. V8 traps are
 * WebAssembly.RuntimeErrors (a stack overflow a RangeError); jco's bindings throw a
 * TypeError or RangeError when they cannot lift a result or lower an argument (a
 * discriminant out of range, a `cabi_realloc` result out of bounds, a misaligned list):
 * a value the host cannot lift or lower, LC-CM-9's `invalid_canonical_value`.
 */
function trapCode(e) {
  if (e instanceof RangeError && /Maximum call stack size exceeded/.test(e.message)) return 'stack_overflow';
  if (e instanceof TypeError || e instanceof RangeError) return 'invalid_canonical_value';
  if (!(e instanceof WebAssembly.RuntimeError)) return 'other';
  const m = e.message;
  if (m.includes(NULL_ENTRY_MESSAGE)) return 'indirect_call_to_null';
  if (/unreachable/.test(m)) return 'unreachable';
  if (/memory access out of bounds|out of bounds memory access|data segment (is )?out of bounds|data segment \d+ is out of bounds/.test(m)) return 'memory_out_of_bounds';
  if (/divide by zero|remainder by zero/.test(m)) return 'integer_divide_by_zero';
  if (/divide result unrepresentable|integer overflow/.test(m)) return 'integer_overflow';
  if (/float unrepresentable in integer range|invalid conversion to integer/.test(m)) return 'bad_conversion_to_integer';
  if (/table index is out of bounds|out of bounds table access|element segment|table access/.test(m)) return 'table_out_of_bounds';
  // A null entry was caught before the call (lib/core.mjs), so V8's merged message
  // "null function or function signature mismatch" is a signature mismatch.
  if (/signature mismatch|indirect call type mismatch/.test(m)) return 'bad_signature';
  if (/call stack exhausted/.test(m)) return 'stack_overflow';
  return 'other';
}

function describe(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(e);
  }
}

/** A component-level `err(...)` payload that jco threw, or undefined for anything else. */
function errPayload(e) {
  if (e instanceof Error) {
    if (e.constructor?.name === 'ComponentError' && 'payload' in e) return e.payload;
    return undefined;
  }
  if (e !== null && typeof e === 'object') return e;
  return undefined;
}

// ---------------------------------------------------------------------------------
// Preparing a component: validate, transpile, compile; once per (bytes, profile).

const prepared = new Map();
let compilations = 0;

const FEATURE_ERROR = /not enabled|proposal not enabled|support is not enabled|without the .* feature|requires the .* feature|feature .* not enabled/i;

async function prepare(bytes, profile) {
  const key = `${profile}:${createHash('sha256').update(bytes).digest('hex')}`;
  let p = prepared.get(key);
  if (!p) {
    p = await prepareUncached(bytes, profile);
    prepared.set(key, p);
  }
  return p;
}

async function prepareUncached(bytes, profile) {
  const invalid = (reason, detail) => ({ error: { kind: 'validation_failed', stage: 'validate', reason, detail } });

  // What the component carries, read from its binary (lib/component.mjs).
  let parsed = null;
  let parseError = null;
  try {
    parsed = parseComponent(bytes);
  } catch (e) {
    parseError = e;
  }
  const features = () => {
    if (!parsed) return null;
    for (const cm of parsed.coreModules) {
      let m;
      try {
        m = parseCoreModule(cm);
      } catch (e) {
        if (e instanceof MalformedError) return { malformed: e.message };
        throw e;
      }
      const f = unsupportedFeature(m, profile);
      if (f) return { unsupported: f };
    }
    return null;
  };

  // Validation (LC-START-4 before LC-START-3: a module invalid whatever the features is
  // `malformed`): jco's transpile validates the component and its core modules with
  // wasmparser, with every feature it knows on.
  const { transpileBytes } = await jco();
  let out;
  try {
    out = await transpileBytes(bytes, {
      name: 'component',
      instantiation: 'sync',
      emitTypescriptDeclarations: false,
      minify: false,
      optimize: false,
      base64Cutoff: 0,
    });
  } catch (e) {
    const text = describe(e).replace(/\s+/g, ' ');
    if (FEATURE_ERROR.test(text)) {
      const f = features();
      return invalid('unsupported_feature', f?.unsupported ? `${f.unsupported}; jco: ${text}` : `jco: ${text}`);
    }
    return invalid('malformed', `jco: ${text}`);
  }
  if (parseError) {
    if (parseError instanceof UnsupportedComponentError) return invalid('unsupported_feature', parseError.message);
    return invalid('malformed', parseError.message);
  }
  // The profile (LC-START-3, LC-CM-1): V8 cannot switch features off, so the host checks.
  const f = features();
  if (f?.malformed) return invalid('malformed', f.malformed);
  if (f?.unsupported) return invalid('unsupported_feature', `${f.unsupported} is outside the ${profile} profile`);

  // Compile (LC-START-5): every core module, rewritten for V8, and the bindings.
  const modules = new Map();
  const plan = { memories: 0, tables: 0, minPages: 0, minTable: 0 };
  let instantiate;
  try {
    for (const [name, data] of Object.entries(out.files)) {
      if (!name.endsWith('.wasm')) continue;
      const m = parseCoreModule(data);
      const rw = rewriteForV8(m);
      const module = new WebAssembly.Module(rw.bytes);
      modules.set(name, { module, memories: rw.memories, tables: rw.tables, nullCheck: rw.nullCheck, hasStart: m.start !== null });
      for (const mem of rw.memories) {
        plan.memories++;
        plan.minPages = Math.max(plan.minPages, mem.min);
      }
      for (const t of rw.tables) {
        plan.tables++;
        plan.minTable = Math.max(plan.minTable, t.min);
      }
    }
    const js = out.files['component.js'];
    if (!js) throw new Error('jco produced no component.js');
    const source = Buffer.from(js).toString('base64');
    ({ instantiate } = await import(`data:text/javascript;base64,${source}`));
  } catch (e) {
    return { error: { kind: 'load_failed', stage: 'compile', detail: describe(e) } };
  }
  compilations++;
  return { parsed, modules, plan, instantiate };
}

// ---------------------------------------------------------------------------------
// Components

const components = new Map();

function isReady(c) {
  return c.state === 'ready' && c.live !== null;
}

function release(c) {
  c.live = null;
}

class Report {
  constructor(c) {
    this.c = c;
    this.events = [];
  }

  to(state) {
    this.events.push({ event: 'transition', from: this.c.state, to: state });
    this.c.state = state;
  }

  call(exp, outcome, trap) {
    const e = { event: 'guest_call', export: exp, outcome };
    if (outcome === 'trapped') e.trap = trap;
    this.events.push(e);
  }

  note(text) {
    this.events.push({ event: 'note', text });
  }

  answer(id, outcome) {
    return { id, ok: true, outcome, events: this.events, state: this.c.state };
  }
}

function hasHeader(bytes, header) {
  return bytes.length >= 8 && header.every((b, i) => bytes[i] === b);
}

async function opStart(id, c) {
  const rep = new Report(c);
  const result = (error) => rep.answer(id, error ? { op: 'start', ok: false, error } : { op: 'start', ok: true });
  if (c.state !== 'creating') {
    return result({ kind: 'invalid_state', stage: 'load', state: c.state });
  }
  // [load] LC-START-1: read the bytes first, to know what they are.
  let bytes = c.bytes;
  let unreadable = null;
  if (!bytes) {
    try {
      bytes = new Uint8Array(readFileSync(c.path));
    } catch (e) {
      unreadable = e;
    }
  }
  // A core module under the core ABI is the one thing this adapter cannot run: it says
  // so with a refusal, before anything changes. Everything else about a core-ABI start
  // (a file that cannot be read, bytes that are not a core module) it answers as the
  // contract does.
  if (c.abi === 'core' && bytes && hasHeader(bytes, CORE_HEADER)) {
    throw new Refusal('this adapter runs Component Model components only (`"abi": "component"`): it cannot run a core module; run the suite with `--abi component`');
  }
  rep.to('starting');
  const fail = (error) => {
    release(c);
    rep.to('failed');
    return result(error);
  };
  if (unreadable) return fail({ kind: 'component_not_found', stage: 'load', detail: describe(unreadable) });
  // [validate] LC-CM-1: the header of the component's ABI; anything else is bad_magic
  // (a core module run as a component, a component run as a core module, text, junk).
  const header = c.abi === 'core' ? CORE_HEADER : COMPONENT_HEADER;
  if (!hasHeader(bytes, header)) {
    const found = Buffer.from(bytes.subarray(0, 8)).toString('hex');
    const what = hasHeader(bytes, CORE_HEADER) ? ' (a core module)' : hasHeader(bytes, COMPONENT_HEADER) ? ' (a component)' : '';
    return fail({
      kind: 'validation_failed', stage: 'validate', reason: 'bad_magic',
      detail: `expected ${Buffer.from(header).toString('hex')} (${c.abi} ABI), found "${found}"${what}`,
    });
  }
  // [validate], [compile]
  const p = await prepare(bytes, c.profile);
  if (p.error) return fail(p.error);
  // [exports] LC-CM-2
  const bad = checkWorldExports(p.parsed);
  if (bad) return fail({ kind: 'bad_export', stage: 'exports', ...bad });
  // [link] LC-CM-3
  if (p.parsed.imports.length > 0) {
    return fail({ kind: 'link_failed', stage: 'link', import: p.parsed.imports[0].name, detail: 'the host offers no imports' });
  }
  // [instantiate] LC-INST-1: sizes against the limits, memory before tables
  const lim = c.limits;
  const maxPages = Math.min(V8_MAX_PAGES, Math.floor(lim.max_memory_bytes / WASM_PAGE));
  const maxTable = Math.min(V8_MAX_TABLE, lim.max_table_elements);
  if (p.plan.memories > 1) return fail({ kind: 'resource_limit_exceeded', stage: 'instantiate', resource: 'memory', detail: 'more than one memory' });
  if (p.plan.minPages > maxPages || p.plan.minPages * WASM_PAGE > lim.max_memory_bytes) {
    return fail({ kind: 'resource_limit_exceeded', stage: 'instantiate', resource: 'memory', detail: `initial memory of ${p.plan.minPages} pages over max_memory_bytes ${lim.max_memory_bytes}` });
  }
  if (p.plan.tables > 1) return fail({ kind: 'resource_limit_exceeded', stage: 'instantiate', resource: 'table', detail: 'more than one table' });
  if (p.plan.minTable > maxTable) {
    return fail({ kind: 'resource_limit_exceeded', stage: 'instantiate', resource: 'table', detail: `initial table of ${p.plan.minTable} elements over max_table_elements ${lim.max_table_elements}` });
  }

  // Instantiation, then `initialize` (the `_start` of LC-CM-4), under one start deadline
  // (LC-LIMIT-4): the guest runs inside a core instantiation with a `start` section and
  // inside `initialize`; jco's own glue and the rest of instantiation are host code, not
  // charged to it.
  const live = { api: null, memories: [], tables: [] };
  let phase = 'instantiate';
  let spent = 0;
  const charged = (fn) => {
    const t0 = performance.now();
    try {
      return withDeadline(lim.start_timeout_ms - spent, fn);
    } finally {
      spent += performance.now() - t0;
    }
  };
  const getCoreModule = (name) => {
    const m = p.modules.get(name);
    if (!m) throw new Error(`jco asked for an unknown core module ${name}`);
    return m.module;
  };
  const instantiateCore = (module, imports = {}) => {
    const info = [...p.modules.values()].find((m) => m.module === module);
    const host = {};
    if (info) {
      info.memories.forEach((mem, i) => {
        const maximum = Math.min(mem.max ?? V8_MAX_PAGES, maxPages);
        const memory = new WebAssembly.Memory({ initial: mem.min, maximum });
        live.memories.push(memory);
        host[`memory${i}`] = memory;
      });
      info.tables.forEach((t, i) => {
        const maximum = Math.min(t.max ?? V8_MAX_TABLE, maxTable);
        const table = new WebAssembly.Table({ element: t.elem === 0x70 ? 'anyfunc' : 'externref', initial: t.min, maximum }, null);
        live.tables.push(table);
        host[`table${i}`] = table;
      });
      if (info.nullCheck) {
        const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1, maximum: 1 });
        table.set(0, nullEntry());
        host.null_entry = table;
      }
    }
    // Only a `start` section runs guest code during instantiation: an instantiation
    // without one is the host's own work, and a busy machine must not time it out.
    const instantiate = () => new WebAssembly.Instance(module, { ...imports, __lk: host });
    return info && !info.hasStart ? instantiate() : charged(instantiate);
  };
  try {
    const root = p.instantiate(getCoreModule, {}, instantiateCore);
    live.api = root['lifecycle-kit:actor/lifecycle@0.1.0'] ?? root.lifecycle;
    if (!live.api) throw new Error('jco bindings export no lifecycle interface');
    phase = '_start';
    charged(() => live.api.initialize([]));
  } catch (e) {
    if (phase === 'instantiate') {
      if (e instanceof Timeout) return fail({ kind: 'execution_timeout', stage: 'instantiate', detail: e.message });
      if (e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /call stack/.test(e.message))) {
        return fail({ kind: 'trapped', stage: 'instantiate', trap: trapCode(e), detail: describe(e) });
      }
      if (e instanceof RangeError && /allocat/i.test(e.message)) {
        return fail({ kind: 'resource_limit_exceeded', stage: 'instantiate', resource: 'instances', detail: describe(e) });
      }
      return fail({ kind: 'load_failed', stage: 'instantiate', detail: describe(e) });
    }
    if (e instanceof Timeout) {
      rep.call('_start', 'execution_timeout');
      return fail({ kind: 'execution_timeout', stage: '_start', detail: e.message });
    }
    const payload = errPayload(e);
    if (payload !== undefined && COMPONENT_ERROR_CASES.has(payload.tag)) {
      rep.call('_start', 'returned');
      return fail({ kind: 'start_refused', stage: '_start', reason: payload.tag, detail: String(payload.val ?? '') });
    }
    const trap = trapCode(e);
    rep.call('_start', 'trapped', trap);
    return fail({ kind: 'trapped', stage: '_start', trap, detail: describe(e) });
  }
  rep.call('_start', 'returned');
  c.live = live;
  rep.to('ready');
  return result(null);
}

function opSend(id, c, message) {
  const rep = new Report(c);
  const messageHex = Buffer.from(message).toString('hex');
  const result = (r) => rep.answer(id, { op: 'message', message_hex: messageHex, ...r });
  // LC-MSG-2's order: the state, the export (always there), the size, then delivery.
  if (!isReady(c)) return result({ ok: false, error: { kind: 'invalid_state', stage: 'handle-message', state: c.state } });
  if (message.length > c.limits.max_message_bytes) {
    return result({ ok: false, error: { kind: 'message_rejected', stage: 'handle-message', reason: 'too_large' } });
  }
  let reply;
  try {
    reply = withDeadline(c.limits.call_timeout_ms, () => c.live.api.handleMessage(message));
  } catch (e) {
    if (e instanceof Timeout) {
      rep.call('handle-message', 'execution_timeout');
      release(c);
      rep.to('failed');
      return result({ ok: false, error: { kind: 'execution_timeout', stage: 'handle-message', detail: e.message } });
    }
    const payload = errPayload(e);
    if (payload !== undefined && typeof payload.code === 'bigint') {
      rep.call('handle-message', 'returned');
      return result({ ok: false, error: { kind: 'message_error', stage: 'handle-message', code: payload.code, detail: String(payload.message ?? '') } });
    }
    const trap = trapCode(e);
    rep.call('handle-message', 'trapped', trap);
    release(c);
    rep.to('failed');
    return result({ ok: false, error: { kind: 'trapped', stage: 'handle-message', trap, detail: describe(e) } });
  }
  rep.call('handle-message', 'returned');
  if (reply === undefined || reply === null) return result({ ok: true, reply_hex: '' });
  const bytes = reply instanceof Uint8Array ? reply : Uint8Array.from(reply);
  if (bytes.length > c.limits.max_message_bytes) {
    return result({ ok: false, error: { kind: 'message_rejected', stage: 'handle-message', reason: 'reply_too_large', detail: `a reply of ${bytes.length} bytes` } });
  }
  return result({ ok: true, reply_hex: Buffer.from(bytes).toString('hex') });
}

function opHealth(id, c) {
  const rep = new Report(c);
  const result = (h) => rep.answer(id, { op: 'health', ok: true, ...h });
  if (!isReady(c)) {
    const degraded = ['creating', 'starting', 'stopping'].includes(c.state);
    return result({ health: degraded ? 'degraded' : 'unhealthy', reason: 'not_ready', state: c.state });
  }
  let status;
  try {
    status = withDeadline(c.limits.health_timeout_ms, () => c.live.api.health());
  } catch (e) {
    if (e instanceof Timeout) {
      rep.call('_health', 'execution_timeout');
      return result({ health: 'unhealthy', reason: 'execution_timeout' });
    }
    const trap = trapCode(e);
    rep.call('_health', 'trapped', trap);
    return result({ health: 'unhealthy', reason: 'trapped', trap });
  }
  rep.call('_health', 'returned');
  switch (status) {
    case 'healthy': return result({ health: 'healthy' });
    case 'degraded': return result({ health: 'degraded', reason: 'guest_reported' });
    case 'unhealthy': return result({ health: 'unhealthy', reason: 'guest_reported' });
    case 'unknown': return result({ health: 'unhealthy', reason: 'unknown_health_code', code: 3 });
    default:
      rep.note(`health returned ${describe(status)}`);
      return result({ health: 'unhealthy', reason: 'unknown_health_code', code: -1 });
  }
}

function opStop(id, c, timeoutMs) {
  const rep = new Report(c);
  const result = (r) => rep.answer(id, { op: 'stop', ...r });
  if (c.state === 'terminated') return result({ ok: true, warnings: [] });
  if (c.state === 'starting' || c.state === 'stopping') {
    return result({ ok: false, error: { kind: 'invalid_state', stage: '_cleanup', state: c.state } });
  }
  const warnings = [];
  const wasReady = isReady(c);
  rep.to('stopping');
  if (wasReady) {
    try {
      withDeadline(timeoutMs, () => c.live.api.shutdown());
      rep.call('_cleanup', 'returned');
    } catch (e) {
      if (e instanceof Timeout) {
        rep.call('_cleanup', 'execution_timeout');
        warnings.push({ kind: 'cleanup_timeout' });
      } else {
        const payload = errPayload(e);
        if (payload !== undefined && COMPONENT_ERROR_CASES.has(payload.tag)) {
          rep.call('_cleanup', 'returned');
          warnings.push({ kind: 'cleanup_refused', reason: payload.tag });
        } else {
          const trap = trapCode(e);
          rep.call('_cleanup', 'trapped', trap);
          warnings.push({ kind: 'cleanup_trapped', trap });
        }
      }
    }
  }
  release(c);
  rep.to('terminated');
  return result({ ok: true, warnings });
}

function counters(id) {
  let live = 0;
  let memory = 0;
  for (const c of components.values()) {
    if (!isReady(c)) continue;
    live++;
    for (const m of c.live.memories) memory += m.buffer.byteLength;
  }
  return { id, ok: true, live_instances: live, accounted_memory_bytes: memory, compilations };
}

// ---------------------------------------------------------------------------------
// Requests

class Refusal extends Error {}

function need(req, field, check, what) {
  if (!(field in req)) throw new Refusal(`\`${req.op}\` needs \`${field}\``);
  if (!check(req[field])) throw new Refusal(`\`${req.op}\`'s \`${field}\` must be ${what}`);
  return req[field];
}

const isName = (v) => typeof v === 'string' && v.length > 0;
const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
const isHex = (v) => typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v);

function known(req) {
  const name = need(req, 'component', isName, 'a component name');
  const c = components.get(name);
  if (!c) throw new Refusal(`unknown component ${JSON.stringify(name)}`);
  return c;
}

function opCreate(req) {
  const name = need(req, 'component', isName, 'a component name');
  if (components.has(name)) throw new Refusal(`component ${JSON.stringify(name)} already exists`);
  // Without `abi`, a core module: accepted, so that a start can answer what the contract
  // says of bytes that are not one (LC-CM-1); a start of a real core module is refused.
  const abi = 'abi' in req ? req.abi : 'core';
  if (abi !== 'component' && abi !== 'core') throw new Refusal(`unknown abi ${JSON.stringify(abi)}`);
  const profile = need(req, 'profile', (v) => v === 'strict' || v === 'standard', '`strict` or `standard`');
  const limits = need(req, 'limits', (v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'an object');
  const lim = {};
  for (const k of LIMIT_KEYS) {
    if (!(k in limits)) throw new Refusal(`\`limits\` needs \`${k}\``);
    const v = limits[k];
    if (k === 'fuel_per_call') {
      if (v !== 'unlimited' && !isCount(v)) throw new Refusal('`limits.fuel_per_call` must be a count or "unlimited"');
    } else if (!isCount(v)) throw new Refusal(`\`limits.${k}\` must be a non-negative integer`);
    lim[k] = v;
  }
  let bytes = null;
  let path = null;
  if ('module_hex' in req) {
    if ('module_path' in req) throw new Refusal('`create` takes `module_hex` or `module_path`, not both');
    bytes = new Uint8Array(Buffer.from(need(req, 'module_hex', isHex, 'hex'), 'hex'));
  } else if ('module_path' in req) {
    path = need(req, 'module_path', isName, 'a path');
  } else if ('module_wat' in req || 'module_text' in req) {
    throw new Refusal('this adapter takes binaries only (`module_hex` or `module_path`)');
  } else {
    throw new Refusal('`create` needs `module_hex` or `module_path`');
  }
  components.set(name, { name, abi, profile, limits: lim, bytes, path, state: 'creating', live: null });
  return { id: req.id, ok: true };
}

async function handle(req) {
  switch (req.op) {
    case 'create': return opCreate(req);
    case 'start': return opStart(req.id, known(req));
    case 'send': {
      const c = known(req);
      const hex = need(req, 'message_hex', isHex, 'hex');
      return opSend(req.id, c, new Uint8Array(Buffer.from(hex, 'hex')));
    }
    case 'health': return opHealth(req.id, known(req));
    case 'stop': {
      const c = known(req);
      const t = need(req, 'timeout_ms', isCount, 'a non-negative integer');
      return opStop(req.id, c, t);
    }
    case 'drop': {
      const c = known(req);
      release(c);
      components.delete(c.name);
      return { id: req.id, ok: true };
    }
    case 'counters': return counters(req.id);
    default: throw new Refusal(`unknown op ${JSON.stringify(req.op)}`);
  }
}

let lastId = 0;

async function onLine(line) {
  if (line.trim() === '') return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    write({ id: lastId + 1, ok: false, error: `not JSON: ${e.message}` });
    lastId++;
    return;
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    write({ id: lastId + 1, ok: false, error: 'a request is a JSON object' });
    lastId++;
    return;
  }
  const id = Number.isSafeInteger(req.id) && req.id >= 1 ? req.id : lastId + 1;
  lastId = id;
  if (!(Number.isSafeInteger(req.id) && req.id >= 1)) {
    write({ id, ok: false, error: 'a request needs an integer `id` of at least 1' });
    return;
  }
  if (typeof req.op !== 'string') {
    write({ id, ok: false, error: 'a request needs an `op`' });
    return;
  }
  try {
    write(await handle(req));
  } catch (e) {
    if (!(e instanceof Refusal)) console.error('lifecycle-kit jco adapter: internal error:', e);
    write({ id, ok: false, error: e instanceof Refusal ? e.message : `internal error: ${describe(e)}` });
  }
}

// ---------------------------------------------------------------------------------

process.on('uncaughtException', (e) => console.error('lifecycle-kit jco adapter: uncaught:', e));
process.on('unhandledRejection', (e) => console.error('lifecycle-kit jco adapter: unhandled rejection:', e));

write(HANDSHAKE);
jco().catch(() => {}); // load jco while the suite sends its first requests

const queue = [];
let busy = false;
let closed = false;
async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) await onLine(queue.shift());
  busy = false;
  if (closed) process.exit(0);
}
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (l) => { queue.push(l); drain(); });
rl.on('close', () => { closed = true; if (!busy) process.exit(0); });
