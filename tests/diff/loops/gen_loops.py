#!/usr/bin/env python3
"""tests/diff/loops/gen_loops.py SEED [NFUNCS] — a module of NFUNCS (40)
random loop functions (i32 i32) -> i32 over one page of linear memory, for
diff_loops.c: i32 and i64 induction variables, every latch shape (ne, eq,
with other users of the next value, in a separate block, at the top),
wrapping and negative steps, start above the limit, strides that do not
divide the distance, constant and parameter bases, offsets near the end of
memory, extra exits.  Deterministic in SEED."""
import random, sys
R = random.Random(int(sys.argv[1]))
NF = int(sys.argv[2]) if len(sys.argv) > 2 else 40
M32 = 1 << 32

def cst(T, v):
    bits = 32 if T == 'i32' else 64
    v %= (1 << bits)
    if v >= 1 << (bits - 1): v -= 1 << bits
    return f"({T}.const {v})"

def pick_const(near=None):
    c = R.choice(['small', 'mid', 'neg', 'big', 'zero', 'near'])
    if c == 'small': return R.randint(0, 64)
    if c == 'mid': return R.randint(0, 70000)
    if c == 'neg': return -R.randint(1, 5000)
    if c == 'big': return R.choice([0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 1 << 32, (1 << 63) - 1, 1 << 63, (1<<64)-8])
    if c == 'zero': return 0
    return (near or 0) + R.randint(-8, 8)

def func(k):
    T = R.choice(['i32', 'i32', 'i64'])
    step = R.choice([1, 1, 2, 3, 4, 8, 16, 24, -1, -4, -8, R.randint(-100, 100) or 1, 0x40000000, 0x80000000, 0x7fffffff])
    start = R.choice([0, 0, 0, R.randint(0, 100), -R.randint(1, 100), pick_const()])
    mode = R.random()
    if mode < 0.6:
        trips = R.randint(0, 3000)
        C = start + step * trips
    elif mode < 0.8:
        C = pick_const(start)
    else:
        C = start + step * R.randint(0, 50) + R.choice([1, -1, 2])
    scale = R.choice([1, 1, 2, 4, 8])
    bits = 32 if T == 'i32' else 64
    # termination: address stride mod 2^32 small?
    stride = (step * scale) % M32
    safe = not (0 < stride < 65536 or M32 - 65536 < stride < M32)
    safety = safe or R.random() < 0.4
    SLIM = R.choice([5000, 20000])
    def iv32():
        return "(local.get $i)" if T == 'i32' else "(i32.wrap_i64 (local.get $i))"
    ivs = f"(i32.mul {iv32()} (i32.const {scale}))" if scale != 1 else iv32()
    if scale != 1 and R.random() < 0.5:
        ivs = f"(i32.shl {iv32()} (i32.const {scale.bit_length()-1}))"
    am = R.random()
    if am < 0.25:
        addr = f"(i32.add (local.get $a) {ivs})"
    elif am < 0.6:
        addr = ivs
    else:
        addr = f"(i32.add (i32.const {R.choice([0, 100, 4096, 60000, 65000, 65436, 65535, R.randint(0, 70000), 0xfffff000])}) {ivs})"
    body = []
    nacc = R.randint(1, 3)
    for _ in range(nacc):
        op = R.choice(['st8', 'st32', 'st64', 'ld8', 'ld32', 'ld64', 'ld16s', 'st16'])
        off = R.choice([0, 0, 0, 4, 8, 16, R.randint(0, 200), R.randint(0, 65536), 60000, 65000, 65530, 65536, 70000])
        if op.startswith('st'):
            sz = {'st8': 'i32.store8', 'st16': 'i32.store16', 'st32': 'i32.store', 'st64': 'i64.store'}[op]
            val = f"(i32.add {iv32()} (i32.const {R.randint(1,255)}))"
            if op == 'st64': val = f"(i64.extend_i32_u {val})"
            body.append(f"({sz} offset={off} {addr} {val})")
        else:
            ld = {'ld8': 'i32.load8_u', 'ld16s': 'i32.load16_s', 'ld32': 'i32.load', 'ld64': 'i64.load'}[op]
            e = f"({ld} offset={off} {addr})"
            if op == 'ld64': e = f"(i32.wrap_i64 {e})"
            body.append(f"(local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) {e}))")
    R.shuffle(body)
    if R.random() < 0.3:  # extra exit on b
        body.insert(R.randint(0, len(body)), "(br_if $done (i32.eq (local.get $n) (local.get $b)))")
    if safety:
        body.insert(R.randint(0, len(body)), f"(br_if $done (i32.ge_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const {SLIM})))")
    else:
        body.insert(0, "(local.set $n (i32.add (local.get $n) (i32.const 1)))")
    if R.random() < 0.2:  # multi backedge: reset/skip path
        body.insert(R.randint(0, len(body)), f"(if (i32.eq (local.get $n) (i32.const {R.randint(1,50)})) (then (local.set $n (i32.add (local.get $n) (i32.const 1))) (local.set $i {cst(T, start)}) (br $l)))")
    nxt = f"({T}.add (local.get $i) {cst(T, step)})"
    latch = R.choice(['ne', 'eq', 'ne_use', 'eq_use', 'ne_sep', 'ne_if', 'top'])
    s = []
    s.append(f"(func (export \"f{k}\") (param $a i32) (param $b i32) (result i32)")
    s.append(f"  (local $i {T}) (local $s i32) (local $n i32) (local $c i32)")
    s.append(f"  (local.set $i {cst(T, start)})")
    s.append("  (block $done (loop $l")
    if latch == 'top':
        s.append(f"    (br_if $done ({T}.eq (local.get $i) {cst(T, C)}))")
    s += ["    " + x for x in body]
    if latch == 'ne':
        s.append(f"    (br_if $l ({T}.ne (local.tee $i {nxt}) {cst(T, C)}))")
    elif latch == 'eq':
        s.append(f"    (br_if $done ({T}.eq (local.tee $i {nxt}) {cst(T, C)}))")
        s.append("    (br $l)")
    elif latch == 'ne_use':
        s.append(f"    (local.set $i {nxt})")
        s.append(f"    (i32.store offset=0 (i32.and (local.get $n) (i32.const 1020)) {iv32()})")
        s.append(f"    (br_if $l ({T}.ne (local.get $i) {cst(T, C)}))")
    elif latch == 'eq_use':
        s.append(f"    (local.set $i {nxt})")
        s.append(f"    (local.set $s (i32.xor (local.get $s) {iv32()}))")
        s.append(f"    (br_if $done ({T}.eq (local.get $i) {cst(T, C)}))")
        s.append("    (br $l)")
    elif latch == 'ne_sep':
        s.append(f"    (local.set $c ({T}.ne (local.tee $i {nxt}) {cst(T, C)}))")
        s.append(f"    (if (i32.and (local.get $n) (i32.const 1)) (then (local.set $s (i32.add (local.get $s) (i32.const 7)))))")
        s.append("    (br_if $l (local.get $c))")
    elif latch == 'ne_if':
        s.append(f"    (if (i32.and (local.get $n) (i32.const 3)) (then (br_if $l ({T}.ne (local.tee $i {nxt}) {cst(T, C)}))) (else (local.set $i {nxt}) (br $l)))")
    elif latch == 'top':
        s.append(f"    (local.set $i {nxt})")
        s.append("    (br $l)")
    s.append("  ))")
    s.append(f"  (i32.add (i32.mul (local.get $s) (i32.const 17)) (local.get $n)))")
    return "\n".join(s)

print("(module (memory 1)")
for k in range(NF):
    print(func(k))
print(")")
