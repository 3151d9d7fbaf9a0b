#!/usr/bin/env python3
"""Lists import cycles between the modules of each crate of the workspace.

A module is a source file (src/a/b.rs or src/a/b/mod.rs is module a::b). It imports another when
its text names it in a path: `crate::a::b`, `super::x`, `self::x`, or a `use` of one (child
declarations, `mod x;`, are not imports). Cycles of length 2 or more are printed, one per line,
and the exit status is 1 when there is any. Usage: scripts/module-cycles.py [CRATE_DIR...]
(default: every crate of the workspace).
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = ["core", "emulator", "cli", "ffi", "python"]


def module_of(src: Path, path: Path) -> tuple:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return tuple(parts)


def resolve(modules: set, start: tuple) -> tuple:
    """The longest prefix of `start` that is a known module."""
    for n in range(len(start), -1, -1):
        if tuple(start[:n]) in modules:
            return tuple(start[:n])
    return ()


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def imports(modules: set, me: tuple, text: str) -> set:
    found = set()
    text = strip_comments(text)
    # Strip test modules: a cfg(test) module may use its parent freely.
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", text)[0]
    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)+)", text):
        head, rest = m.group(1), [p for p in m.group(2).split("::") if p]
        if head == "crate":
            base = []
        elif head == "self":
            base = list(me)
        else:
            base = list(me[:-1])
            while rest and rest[0] == "super":
                base = base[:-1]
                rest = rest[1:]
        target = resolve(modules, tuple(base + rest))
        found.add(target)
    # Grouped uses: `use crate::{a::b, c}` and `use super::{x, y}`.
    for m in re.finditer(r"\buse\s+(crate|super|self)::\{([^;]*)\}", text, flags=re.S):
        head, body = m.group(1), m.group(2)
        base = [] if head == "crate" else (list(me) if head == "self" else list(me[:-1]))
        for item in re.findall(r"(\w+(?:::\w+)*)", body):
            found.add(resolve(modules, tuple(base + item.split("::"))))
    # Importing an ancestor (the crate root, a parent mod.rs) is how a child reaches its
    # siblings' re-exports; only sibling and cousin edges make cycles that matter here, but
    # parent edges are kept: a parent that imports its child back is a cycle too.
    found.discard(me)
    return found


def cycles(graph: dict) -> list:
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
    for v in graph:
        if v not in index:
            visit(v)
    return out


def crate_cycles(crate: Path) -> list:
    src = crate / "src"
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    graph = {}
    for f in files:
        me = module_of(src, f)
        # A module's own ancestors are not dependencies (it is declared inside them), and the
        # crate root only declares modules: drop edges to ancestors.
        deps = {d for d in imports(modules, me, f.read_text()) if me[: len(d)] != d}
        graph[me] = deps
    return cycles(graph)


def main() -> int:
    crates = [Path(a) for a in sys.argv[1:]] or [ROOT / c for c in CRATES]
    bad = 0
    for crate in crates:
        for comp in crate_cycles(crate):
            bad += 1
            names = ["::".join(m) or "(root)" for m in comp]
            print(f"{crate.name}: cycle between {', '.join(names)}")
    if bad == 0:
        print("no module cycles in " + ", ".join(c.name for c in crates))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
