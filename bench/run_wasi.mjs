// bench/run_wasi.mjs — runs a wasm32-wasi program of bench/programs under
// Node's WASI (V8), for the execution reference figures of ./dev bench.
//   node --no-warnings bench/run_wasi.mjs FILE.wasm [ARGS...]
// The program's output goes to stdout; the time of its run (instantiation
// excluded, compilation included in V8's lazy tiers) to stderr as
// "time_s <seconds>".
import { WASI } from 'node:wasi';
import fs from 'node:fs';

const file = process.argv[2];
const wasi = new WASI({ version: 'preview1', args: [file, ...process.argv.slice(3)], env: {} });
const mod = await WebAssembly.compile(fs.readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
const t0 = process.hrtime.bigint();
const code = wasi.start(inst);
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
process.stderr.write(`time_s ${dt.toFixed(6)}\n`);
process.exitCode = code;
