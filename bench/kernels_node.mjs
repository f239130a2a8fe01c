// bench/kernels_node.mjs — the compute kernels under V8 (Node), for the same
// table as bench/compute.c: one warm-up call, then ROUNDS timed calls of
// run(n), median.  Usage: node kernels_node.mjs DIR [--rounds N] [--quick]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
let rounds = 5, quick = false, dir = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = parseInt(args[++i], 10);
  else if (args[i] === '--quick') quick = true;
  else dir = args[i];
}
if (!dir) {
  console.error('usage: node kernels_node.mjs DIR [--rounds N] [--quick]');
  process.exit(2);
}
// The same problem sizes as bench/compute.c.
const kernels = [['fib', 34, 25], ['sieve', 12, 2], ['matmul', 30, 3],
                 ['nbody', 3000000, 100000], ['sort', 6, 1], ['hash', 600, 50]];
const median = (v) => { v.sort((a, b) => a - b); const m = v.length >> 1;
                        return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
console.log(`V8 ${process.versions.v8} (node ${process.version}): median of ${rounds} after one warm-up`);
console.log('kernel           n     V8 ms   checksum');
for (const [name, n0, nq] of kernels) {
  const n = quick ? nq : n0;
  const bytes = readFileSync(`${dir}/${name}.kernel.wasm`);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const run = instance.exports.run;
  const sum = run(n);
  const t = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    run(n);
    t.push(performance.now() - t0);
  }
  console.log(`${name.padEnd(8)} ${String(n).padStart(9)} ${median(t).toFixed(2).padStart(9)}   ${BigInt.asUintN(64, sum).toString(16)}`);
}
