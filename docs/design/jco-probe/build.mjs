const OUT = process.env.OUT || 'out';
import { parse, componentEmbed, componentNew, print } from '@bytecodealliance/jco-transpile/wasm-tools';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
const wat = readFileSync('probe.wat', 'utf8');
const core = await parse(wat);
const embedded = await componentEmbed({ binary: core, witSource: readFileSync('probe.wit','utf8'), world: 'probe', stringEncoding: 'utf8' });
const component = await componentNew(embedded);
writeFileSync('probe.component.wasm', component);
writeFileSync('probe.component.wat', await print(component));
const { files } = await transpileBytes(component, { name: 'probe', instantiation: 'async', noTypescript: false, noComponentErrorWrapping: false });
mkdirSync(OUT, { recursive: true });
for (const [name, bytes] of Object.entries(files)) { const p=OUT+'/'+name; mkdirSync(p.split('/').slice(0,-1).join('/'),{recursive:true}); writeFileSync(p, bytes); }
console.log(Object.keys(files));
