import { instantiate } from './out3/probe.js';
import { readFileSync } from 'node:fs';
const h = { callback: () => 0, echo: s => s };
const root = await instantiate(p => WebAssembly.compile(readFileSync('./out3/' + p)), { 'test:probe/host': h });
const a = root.api;
for (const f of [() => a.recurse(), () => a.setMode(0)]) {
  try { f(); console.log('ok'); } catch (e) { console.log(e.constructor.name, e.message, e instanceof WebAssembly.RuntimeError); }
}
