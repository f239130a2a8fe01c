// bench/instantiate_node.mjs — the instantiation benchmark of
// bench/instantiate.c under V8 (Node), same method: each module compiled
// once (new WebAssembly.Module), one warm-up, then ROUNDS rounds of
// `new WebAssembly.Instance(module, {})` in a loop, each round lasting at
// least MIN_ROUND ms; median time per instance.  "+call" also calls the
// empty export `nop` (when the module has one).  One thread.
//
// V8 frees instances later, in its GC (whose cost falls into whichever
// round it runs in), so the figures are context for Kiln's, not
// like-for-like.
//
// Usage: node instantiate_node.mjs [--rounds N] [--min-round-ms MS] ID=FILE...
// Prints `version\t...`, then one line per module: ID, us per instance,
// us per instance + call (-1 without `nop`), tab-separated.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
let rounds = 20, minRound = 20;
const mods = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = parseInt(args[++i], 10);
  else if (args[i] === '--min-round-ms') minRound = parseFloat(args[++i]);
  else {
    const eq = args[i].indexOf('=');
    if (eq < 0) {
      console.error('usage: node instantiate_node.mjs [--rounds N] [--min-round-ms MS] ID=FILE...');
      process.exit(2);
    }
    mods.push([args[i].slice(0, eq), args[i].slice(eq + 1)]);
  }
}
const median = (v) => { v.sort((a, b) => a - b); const m = v.length >> 1;
                        return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
console.log(`version\tV8 ${process.versions.v8}, node ${process.version}`);

let sink = 0;
function time(mod, call) {
  const unit = call
    ? () => { const inst = new WebAssembly.Instance(mod, {}); inst.exports.nop(); sink++; }
    : () => { new WebAssembly.Instance(mod, {}); sink++; };
  unit();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) unit();
    const dt = performance.now() - t0;
    if (dt >= minRound || reps >= 1 << 26) break;
    reps = dt > 0 ? Math.floor(reps * (minRound / dt) * 1.2) + 1 : reps * 10;
  }
  const t = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) unit();
    t.push((performance.now() - t0) * 1e3 / reps);
  }
  return median(t);
}

for (const [id, path] of mods) {
  let line;
  try {
    const mod = new WebAssembly.Module(readFileSync(path));
    const hasNop = WebAssembly.Module.exports(mod).some((e) => e.name === 'nop' && e.kind === 'function');
    const inst = time(mod, false);
    const call = hasNop ? time(mod, true) : -1;
    line = `${id}\t${inst.toFixed(4)}\t${call.toFixed(4)}`;
  } catch (e) {
    console.error(`instantiate_node: ${path}: ${e.message}`);
    continue;
  }
  console.log(line);
}
if (sink < 0) console.log(sink);
