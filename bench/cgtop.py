#!/usr/bin/env python3
"""Reads a callgrind dump and prints instructions per request by function.

usage: cgtop.py FILE [REQUESTS] [TOP] [FILTER_REGEX] [CALLEE_REGEX] [CALLER_REGEX]
  no filter:     the TOP functions by self cost (instructions in the function itself)
  FILTER_REGEX:  functions matching it by inclusive cost (self + everything they call)
  CALLEE_REGEX:  also who calls functions matching it, and how much through each caller
  CALLER_REGEX:  also what functions matching it call, and how much through each callee
(callgrind_annotate misreads these dumps of inlined Rust code; this reads the
format directly: a cost line right after `calls=` is the callee's inclusive cost.)
"""
import sys, re, collections
path = sys.argv[1]; nreq = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
top = int(sys.argv[3]) if len(sys.argv) > 3 else 60
flt = sys.argv[4] if len(sys.argv) > 4 else None
names = {}
def name(v):
    m = re.match(r'\((\d+)\)(?:\s+(.*))?', v)
    if not m: return v
    if m.group(2) is not None: names[m.group(1)] = m.group(2)
    return names.get(m.group(1), v)
fnnames = {}
def fname(v):
    m = re.match(r'\((\d+)\)(?:\s+(.*))?', v)
    if not m: return v
    if m.group(2) is not None: fnnames[m.group(1)] = m.group(2)
    return fnnames.get(m.group(1), v)
selfc = collections.Counter(); incl_calls = collections.Counter(); edges = collections.Counter()
cur = None; cfn = None; in_call = False; total = 0
for line in open(path, errors='replace'):
    line = line.rstrip('\n')
    if not line: continue
    if line.startswith('fn='):
        cur = fname(line[3:]); continue
    if line.startswith('cfn='):
        cfn = fname(line[4:]); continue
    if line.startswith('calls='):
        in_call = True; continue
    if line.startswith('summary:'):
        total = int(line.split()[1]); continue
    c = line[0]
    if c.isdigit() or c in '+-*':
        parts = line.split()
        if len(parts) < 2: 
            if in_call: in_call = False
            continue
        v = int(parts[1])
        if in_call:
            incl_calls[cur] += v; edges[(cur, cfn)] += v; in_call = False
        else:
            selfc[cur] += v
        continue
    # other spec lines (fl=, fi=, fe=, ob=, cob=, cfi=...)
    if line.startswith(('cob=', 'cfi=', 'cfl=', 'ob=', 'fl=', 'fi=', 'fe=')):
        continue
mode = 'self'
print(f"total {total:,} Ir; per request {total/nreq:,.0f}")
def short(s): 
    s = re.sub(r'<[^<>]*>', '<>', s); s = re.sub(r'<[^<>]*>', '<>', s); return s[:150]
if flt:
    print("== inclusive (self + callees), filter", flt)
    inc = {f: selfc[f] + incl_calls[f] for f in set(selfc) | set(incl_calls)}
    for f, v in sorted(inc.items(), key=lambda x: -x[1]):
        if re.search(flt, f): 
            print(f"{v/nreq:10,.0f} {short(f)}")
            top -= 1
            if top <= 0: break
else:
    print("== self")
    for f, v in selfc.most_common(top):
        print(f"{v/nreq:10,.0f} {100*v/total:5.1f}% {short(f)}")
if len(sys.argv) > 5:
    tgt = sys.argv[5]
    print("== callers of", tgt)
    for (a, b), v in sorted(edges.items(), key=lambda x: -x[1]):
        if re.search(tgt, b): print(f"{v/nreq:10,.0f} {short(a)} -> {short(b)}")
if len(sys.argv) > 6:
    src = sys.argv[6]
    print("== callees of", src, "(inclusive cost through each call, self shown as [self])")
    for f in sorted(set(selfc) | set(incl_calls)):
        if re.search(src, short(f)):
            print(f"  {short(f)}  [self {selfc[f]/nreq:,.0f}]")
            for (a, b), v in sorted(edges.items(), key=lambda x: -x[1]):
                if a == f and v / nreq >= 15: print(f"{v/nreq:10,.0f}   -> {short(b)}")
