// bench/validate_node.mjs — the V8 peer of bench/validate_throughput.c:
// times WebAssembly.validate on the same bytes, in one node process, with
// the same method (calibrated repetitions per round, median and minimum).
//
//   node bench/validate_node.mjs [--rounds N] FILE...
// Prints one tab-separated line per file:
//   file  bytes  median_s  min_s  mb_per_s  reps_per_round  valid
import fs from 'node:fs';

const args = process.argv.slice(2);
let rounds = 20;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = parseInt(args[++i], 10);
  else files.push(args[i]);
}
const now = () => Number(process.hrtime.bigint()) / 1e9;
const minRound = 0.020;

console.log(['file', 'bytes', 'median_s', 'min_s', 'mb_per_s', 'reps_per_round', 'valid'].join('\t'));
for (const file of files) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const valid = WebAssembly.validate(bytes);
  let reps = 1;
  for (;;) {
    const t0 = now();
    for (let r = 0; r < reps; r++) WebAssembly.validate(bytes);
    const dt = now() - t0;
    if (dt >= minRound || reps >= 1 << 24) break;
    reps = dt > 0 ? Math.floor(reps * (minRound / dt) * 1.2) + 1 : reps * 10;
  }
  const t = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let k = 0; k < reps; k++) WebAssembly.validate(bytes);
    t.push((now() - t0) / reps);
  }
  t.sort((a, b) => a - b);
  const median = rounds % 2 ? t[(rounds - 1) / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
  console.log([file, bytes.length, median.toFixed(9), t[0].toFixed(9),
               (bytes.length / median / 1e6).toFixed(2), reps, valid].join('\t'));
}
