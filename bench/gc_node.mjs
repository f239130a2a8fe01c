// bench/gc_node.mjs — bench/gc_bench.c's loops under V8: the same module,
// the same calls, median of rounds; the pause is gc() (--expose-gc) with
// the list of 10^6 structs alive.
//
// Usage: node --expose-gc gc_node.mjs [--rounds N] FILE.wasm
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
let rounds = 9, file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = parseInt(args[++i], 10);
  else file = args[i];
}
if (!file || typeof gc !== 'function') {
  console.error('usage: node --expose-gc gc_node.mjs [--rounds N] FILE.wasm');
  process.exit(2);
}
const median = (v) => { v.sort((a, b) => a - b); const m = v.length >> 1;
                        return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)),
                                      { h: { probe: () => {} } });
const { alloc, tset, build, clear } = inst.exports;
function time(f, n) {
  f(n);
  const t = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    f(n);
    t.push(performance.now() - t0);
  }
  return median(t); // ms
}
const nAlloc = 1000000, nTset = 10000000, nList = 1000000;
const tAlloc = time(alloc, nAlloc), tTset = time(tset, nTset);
const pause = [], freeing = [];
for (let r = 0; r < rounds; r++) {
  build(nList);
  let t0 = performance.now();
  gc();
  pause.push(performance.now() - t0);
  t0 = performance.now();
  clear();
  gc();
  freeing.push(performance.now() - t0);
}
console.log(`V8 ${process.versions.v8}, node ${process.version}`);
console.log(`alloc  ${(nAlloc / tAlloc / 1e3).toFixed(1)} M struct.new/s (${(tAlloc * 1e6 / nAlloc).toFixed(2)} ns each)`);
console.log(`tset   ${(tTset * 1e6 / nTset).toFixed(2)} ns per table.set`);
console.log(`pause  ${median(pause).toFixed(2)} ms gc() with the list alive`);
console.log(`free   ${median(freeing).toFixed(2)} ms clear() + gc()`);
