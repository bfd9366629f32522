import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { readFileSync } from 'node:fs';
const c = readFileSync('probe.component.wasm');
for (const opts of [{ name: 'probe' }, { name: 'probe', map: { 'test:probe/host': './host.js' } }, { name: 'probe', map: { 'test:probe/host@0.1.0': './host.js' } }, {name:'probe', instantiation: 'sync'}]) {
  const { files, imports, exports } = await transpileBytes(c, opts);
  const js = new TextDecoder().decode(files['probe.js']);
  console.log(JSON.stringify(opts), 'imports=', JSON.stringify(imports), 'exports=', JSON.stringify(exports));
  console.log(js.split('\n').filter(l => /^import |^export |imports\[/.test(l.trim())).map(l=>l.trim()).slice(0,8).join('\n'));
}
