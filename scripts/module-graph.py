#!/usr/bin/env python3
"""The BFF's module graph, from the `crate::` paths in src/, and its cycles.

Why: the modules should read top-down (routes -> features -> cache/session/... -> client
crates), and nothing else keeps them that way. Run from the workspace root:

    scripts/module-graph.py            # top-level modules: edges, then cycles; exit 1 on a cycle
    scripts/module-graph.py --files    # the same per file (cycles inside one feature are normal)
    scripts/module-graph.py --tests    # count #[cfg(test)] code too (off by default)
    scripts/module-graph.py --dot      # Graphviz of the top-level graph

A node is a top-level module of src/ (`cart`, `cache`, `app`, ...). An edge A -> B means some
non-test code in A names `crate::B` (in a `use` or inline). `lib.rs` and `main.rs` only declare
and start things, so they are left out. Comments are ignored. Cycles are the strongly connected
components with more than one node (Tarjan).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

CRATE_PATH = re.compile(r"\bcrate::((?:[a-z_][a-z0-9_]*)(?:::[a-z_][a-z0-9_]*)*)")
# `use crate::{a, b::c}`: the names inside the first brace after `crate::`.
CRATE_GROUP = re.compile(r"\bcrate::\{")


def module_of(path: Path) -> list[str]:
    """`src/cart/handlers.rs` -> ["cart", "handlers"]; `src/cart/mod.rs` -> ["cart"]."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts


def strip_tests_and_comments(text: str, with_tests: bool) -> str:
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # `#[cfg(test)] mod x { ... }`: skip to the matching close brace.
        if not with_tests and stripped == "#[cfg(test)]" and i + 1 < len(lines) and re.match(r"\s*(pub(\([a-z]+\))? )?mod \w+ \{", lines[i + 1]):
            depth = 0
            i += 1
            while i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                i += 1
                if depth <= 0:
                    break
            continue
        if stripped.startswith("//"):
            i += 1
            continue
        # Trailing comments.
        out.append(re.sub(r"\s//.*$", "", line))
        i += 1
    return "\n".join(out)


def group_names(text: str, start: int) -> list[str]:
    """The top-level names of a `crate::{...}` group starting at `start` (just after `{`)."""
    depth, names, current = 1, [], ""
    for ch in text[start:]:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and ch == ",":
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    found = []
    for name in names:
        name = name.strip()
        m = re.match(r"([a-z_][a-z0-9_]*)", name)
        if m and m.group(1) != "self":
            found.append(m.group(1))
    return found


def references(text: str) -> set[tuple[str, ...]]:
    refs = set()
    for m in CRATE_PATH.finditer(text):
        refs.add(tuple(m.group(1).split("::")))
    for m in CRATE_GROUP.finditer(text):
        for name in group_names(text, m.end()):
            refs.add((name,))
    return refs


def build(per_file: bool, with_tests: bool):
    files = sorted(p for p in SRC.rglob("*.rs"))
    modules = {tuple(module_of(p)): p for p in files}
    nodes, edges = set(), set()
    for path in files:
        me = module_of(path)
        if me in (["lib"], ["main"]):
            continue
        text = strip_tests_and_comments(path.read_text(), with_tests)
        src = "::".join(me) if per_file else me[0]
        nodes.add(src)
        for ref in references(text):
            if per_file:
                # The longest prefix that is a module file.
                target = None
                for n in range(len(ref), 0, -1):
                    if ref[:n] in modules:
                        target = "::".join(ref[:n])
                        break
                if target is None:
                    continue
            else:
                if (ref[0],) not in modules:
                    continue  # a re-export or macro path, not a module
                target = ref[0]
            if target != src and target not in ("lib", "main"):
                edges.add((src, target))
                nodes.add(target)
    return nodes, edges


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    graph = {n: sorted(b for a, b in edges if a == n) for n in nodes}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def main():
    per_file = "--files" in sys.argv
    with_tests = "--tests" in sys.argv
    nodes, edges = build(per_file, with_tests)
    if "--dot" in sys.argv:
        print("digraph bff {")
        for a, b in sorted(edges):
            print(f'  "{a}" -> "{b}";')
        print("}")
        return 0
    for n in sorted(nodes):
        targets = sorted(b for a, b in edges if a == n)
        print(f"{n} -> {', '.join(targets) if targets else '(nothing)'}")
    found = cycles(nodes, edges)
    print()
    if not found:
        print(f"no cycle among {len(nodes)} {'files' if per_file else 'modules'}")
        return 0
    for comp in found:
        inner = sorted((a, b) for a, b in edges if a in comp and b in comp)
        print(f"cycle of {len(comp)}: {', '.join(comp)}")
        for a, b in inner:
            print(f"    {a} -> {b}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
