import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { readFileSync } from 'node:fs';
const { files } = await transpileBytes(readFileSync('probe.component.wasm'), { name: 'probe', instantiation: 'async', validLiftingOptimization: true });
const js = new TextDecoder().decode(files['probe.js']);
for (const l of js.split('\n')) if (/throwInvalidBool\(\)|validateGuestChar\(ret|invalid discriminant|invalid variant discriminant|not aligned/.test(l)) console.log(l.trim());
console.log('---');
