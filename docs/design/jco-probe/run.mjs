import { instantiate } from './out/probe.js';
import { readFileSync } from 'node:fs';
const getCoreModule = (p) => WebAssembly.compile(readFileSync('./out/' + p));
let api;
const hostImpl = {
  callback() { return reenterTarget(); },
  echo(s) { return echoImpl(s); },
};
let reenterTarget = () => 0;
let echoImpl = (s) => s;
async function fresh() {
  const root = await instantiate(getCoreModule, { 'test:probe/host@0.1.0': hostImpl, 'test:probe/host': hostImpl });
  return root['test:probe/api@0.1.0'];
}
function show(label, f) {
  try { const v = f(); console.log(label, '=> ok', typeof v === 'object' ? JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x.toString() : x) : v); }
  catch (e) { console.log(label, '=> THROW', e?.constructor?.name, JSON.stringify(e?.message ?? e), e?.payload !== undefined ? 'payload=' + JSON.stringify(e.payload) : ''); }
}
const cases = [
  ['str ok', 0, a => a.getStr()],
  ['str invalid utf8', 1, a => a.getStr()],
  ['str oob ptr', 2, a => a.getStr()],
  ['str retptr misaligned', 3, a => a.getStr()],
  ['str retptr oob', 4, a => a.getStr()],
  ['str post-return traps', 20, a => a.getStr()],
  ['list ok', 0, a => a.getList()],
  ['list oob', 2, a => a.getList()],
  ['list misaligned', 3, a => a.getList()],
  ['bool 1', 1, a => a.getBool()],
  ['bool 2', 2, a => a.getBool()],
  ['enum 1', 1, a => a.getEnum()],
  ['enum 5', 5, a => a.getEnum()],
  ['variant 0', 0, a => a.getVariant()],
  ['variant 9', 9, a => a.getVariant()],
  ['char ok', 0, a => a.getChar()],
  ['char surrogate', 1, a => a.getChar()],
  ['res ok', 0, a => a.getRes()],
  ['res err', 1, a => a.getRes()],
  ['res disc 2', 2, a => a.getRes()],
  ['take-str ok', 0, a => a.takeStr('hello')],
  ['take-str realloc oob', 10, a => a.takeStr('hello')],
  ['take-str realloc traps', 11, a => a.takeStr('hello')],
  ['take-str realloc unaligned(ok for align 1)', 12, a => a.takeStr('hello')],
  ['trap', 0, a => a.doTrap()],
];
for (const [label, mode, f] of cases) {
  const a = await fresh();
  a.setMode(mode);
  show(label, () => f(a));
  show('  then set-mode', () => a.setMode(0));
}
{
  const a = await fresh();
  reenterTarget = () => a.getBool();
  show('reenter (host import calls back into same instance)', () => a.reenter());
  show('  then set-mode', () => a.setMode(0));
}
{
  const a = await fresh();
  reenterTarget = () => { throw new Error('host says no'); };
  show('host import throws', () => a.reenter());
  show('  then set-mode', () => a.setMode(0));
}
{
  const a = await fresh();
  echoImpl = () => 42;
  show('host import returns non-string', () => a.callEcho());
  show('  then set-mode', () => a.setMode(0));
}
{
  const a = await fresh();
  reenterTarget = () => 2 ** 33;
  show('host import returns out of range u32', () => a.reenter());
}
