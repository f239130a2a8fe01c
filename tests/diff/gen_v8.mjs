// tests/diff/gen_v8.mjs — differential testing against V8, step 1 of 2.
//
// For each binary module given, instantiate it under V8 (Node) with a
// `spectest` import object like the runner's, call every export whose
// signature is numeric (i32/i64/f32/f64 params and results) with a fixed
// set of edge-case and pseudo-random arguments, in a fixed order, and write
// what V8 answered as a wast2json command script: assert_return with V8's
// exact results or assert_trap (a call whose result includes a NaN becomes
// a plain action: NaN bits do not survive the trip into JavaScript).  Step 2 is
// `kiln wast` on that script: every failure is a disagreement.
//
//   node gen_v8.mjs OUT_DIR MODULE.wasm...
//
// Modules V8 cannot instantiate (imports other than spectest, features it
// lacks) are skipped and reported.  Calls that V8 answers with a stack
// overflow are left out: engines' stack sizes differ.
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node gen_v8.mjs OUT_DIR MODULE.wasm...');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const spectest = {
  print: () => {}, print_i32: () => {}, print_i64: () => {}, print_f32: () => {},
  print_f64: () => {}, print_i32_f32: () => {}, print_f64_f64: () => {},
  global_i32: new WebAssembly.Global({ value: 'i32' }, 666),
  global_i64: new WebAssembly.Global({ value: 'i64' }, 666n),
  global_f32: new WebAssembly.Global({ value: 'f32' }, 666.6),
  global_f64: new WebAssembly.Global({ value: 'f64' }, 666.6),
  table: new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' }),
  memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
};

// A deterministic generator, so that runs are reproducible.
let seed = 0x12345678;
const rnd32 = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };

const I32 = [0, 1, 2, 7, 31, 32, 33, 63, 64, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];
const I64 = [0n, 1n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn];
const F64 = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e10, -1e10, 2147483647.5, 2147483648, 4294967296,
             9.2233720368547758e18, 1.8446744073709552e19, Infinity, -Infinity, NaN, 5e-324, 1.7976931348623157e308, Math.PI];

function arg(type, k) {
  switch (type) {
    case 'i32': return k < I32.length ? I32[k] : rnd32();
    case 'i64': return k < I64.length ? I64[k] : (BigInt(rnd32()) << 32n) | BigInt(rnd32());
    default: return k < F64.length ? F64[k] : (rnd32() / 65536) * (rnd32() & 1 ? 1 : -1);
  }
}

// Value <-> wast2json encoding (unsigned decimal of the bit pattern).
const buf = new DataView(new ArrayBuffer(8));
function encode(type, v) {
  switch (type) {
    case 'i32': return { type, value: String(v >>> 0) };
    case 'i64': return { type, value: BigInt.asUintN(64, BigInt(v)).toString() };
    case 'f32':
      if (Number.isNaN(v)) return { type, value: 'nan:arithmetic' };
      buf.setFloat32(0, v, true); return { type, value: String(buf.getUint32(0, true)) };
    default:
      if (Number.isNaN(v)) return { type, value: 'nan:arithmetic' };
      buf.setFloat64(0, v, true); return { type, value: buf.getBigUint64(0, true).toString() };
  }
}
// Arguments are passed exactly: a JS number given to an f32 parameter is
// rounded by V8; encode what the function really receives.
function encodeArg(type, v) {
  if (type === 'f32') { buf.setFloat32(0, v, true); return { type, value: String(buf.getUint32(0, true)) }; }
  if (type === 'f64') { buf.setFloat64(0, v, true); return { type, value: buf.getBigUint64(0, true).toString() }; }
  return encode(type, v);
}

// Export signatures from the binary (V8's JS API does not expose them):
// a minimal reader of the type, import, function and export sections.
function signatures(bytes) {
  let p = 8;
  const u8 = () => bytes[p++];
  const leb = () => { let r = 0, s = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  const names = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
  const types = [], funcs = [], exports = [];
  let nimported = 0;
  while (p < bytes.length) {
    const id = u8(), size = leb(), end = p + size;
    try {
      if (id === 1) {
        for (let n = leb(); n > 0; n--) {
          if (u8() !== 0x60) return null; // rec/sub types: not numeric-only modules
          const ps = [], rs = [];
          for (let k = leb(); k > 0; k--) ps.push(names[u8()] || null);
          for (let k = leb(); k > 0; k--) rs.push(names[u8()] || null);
          types.push({ ps, rs });
        }
      } else if (id === 2) {
        for (let n = leb(); n > 0; n--) {
          p += leb(); p += leb(); // module, name
          const kind = u8();
          if (kind === 0) { funcs.push(leb()); nimported++; }
          else return null; // only function imports keep this reader simple
        }
      } else if (id === 3) {
        for (let n = leb(); n > 0; n--) funcs.push(leb());
      } else if (id === 7) {
        for (let n = leb(); n > 0; n--) {
          const len = leb();
          const name = new TextDecoder().decode(bytes.subarray(p, p + len)); p += len;
          const kind = u8(), idx = leb();
          if (kind === 0) exports.push({ name, type: types[funcs[idx]] });
        }
      }
    } catch { return null; }
    p = end;
  }
  return exports.filter(e => e.type && e.type.ps.every(Boolean) && e.type.rs.every(Boolean));
}

let made = 0, skipped = 0, calls = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  const sigs = signatures(bytes);
  if (!sigs || sigs.length === 0) { skipped++; continue; }
  let instance;
  try { instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { spectest }); }
  catch { skipped++; continue; }
  const name = basename(file);
  copyFileSync(file, join(outDir, name));
  const commands = [{ type: 'module', line: 1, filename: name, module_type: 'binary' }];
  let line = 2;
  for (const { name: ex, type } of sigs) {
    const ncalls = type.ps.length === 0 ? 1 : 24;
    for (let k = 0; k < ncalls; k++) {
      const args = type.ps.map((t, j) => arg(t, (k + j * 5) % 40));
      const action = { type: 'invoke', field: ex, args: type.ps.map((t, j) => encodeArg(t, args[j])) };
      let cmd;
      try {
        let r = instance.exports[ex](...args.map((a, j) => type.ps[j] === 'i64' ? BigInt.asIntN(64, BigInt(a)) : a));
        const rs = type.rs.length === 1 ? [r] : (r === undefined ? [] : Array.from(r));
        if (rs.some((v, j) => type.rs[j][0] === 'f' && Number.isNaN(v)))
          // a NaN crossing into JavaScript loses its bits (loads, neg, copysign
          // keep them in Wasm): only check that the call completes
          cmd = { type: 'action', line: line++, action };
        else
          cmd = { type: 'assert_return', line: line++, action, expected: type.rs.map((t, j) => encode(t, rs[j])) };
      } catch (e) {
        if (e instanceof RangeError) continue; // stack overflow: engine-specific
        if (!(e instanceof WebAssembly.RuntimeError)) continue;
        cmd = { type: 'assert_trap', line: line++, action, text: e.message };
      }
      commands.push(cmd);
      calls++;
    }
  }
  writeFileSync(join(outDir, name.replace(/\.wasm$/, '.json')),
                JSON.stringify({ source_filename: file, commands }));
  made++;
}
console.log(`gen_v8: ${made} scripts, ${calls} calls, ${skipped} modules skipped (imports, types or features outside this tool)`);
