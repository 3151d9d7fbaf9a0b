"""Summarise a `perf report --no-children -g none --stdio --sort dso,sym -F overhead,dso,sym`
listing (read from stdin) into the shares of CPU samples that bench/README.md reports: by
library (kernel, Python interpreter, the native module `_ims`, libc, others), and, for the
native module and libc's allocator, by part of the stack. Used by bench/profile_cycle.sh;
`--native NAME` counts the binary NAME (a Rust example) as the native code instead of the
Python module.

The parts are read off the symbol names (rustc's demangled paths), first match wins; what no
rule names is counted as "other". Prints plain text, one share per line, in percent of all
samples.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict

# (part, pattern over the demangled symbol) for samples in the native module, first match wins.
PARTS: list[tuple[str, str]] = [
    ("signing (hashes, canonical request, Authorization)",
     r"ims_core::sign|sha2::|hmac::|sm3::|digest::|block_buffer"),
    ("URL parsing (url, idna, percent-encoding)", r"\burl::|idna::|percent_encoding|form_urlencoded"),
    ("logging bridge (log, pyo3-log)", r"\blog::|pyo3_log"),
    ("JSON and model (serde_json, ims_core::model, job reading)",
     r"serde|ims_core::model|read_job_body|ims_core::client::response"),
    ("HTTP client (reqwest, hyper, http, httparse, tower, bytes)",
     r"reqwest|hyper|\bhttp::|httparse|tower|\bbytes::|want::|futures_|h2::"),
    ("async runtime (tokio, mio)", r"tokio|mio::|parking_lot"),
    ("Python glue (pyo3, _ims)", r"pyo3|_ims::|ims_python"),
    ("client logic (ims_core::client, retry, waiter)", r"ims_core::"),
    ("Rust std, allocation and formatting", r"\bcore::|\balloc::|\bstd::|__rust|memcpy|memmove"),
]

# The Python module's file names (the wheel's `_ims.abi3.so`, cargo's `lib_ims.so`).
PYTHON_MODULE: tuple[str, ...] = ("_ims", "lib_ims")

LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s+\[.\]\s+(.*)$")


def library(dso: str, native: tuple[str, ...]) -> str:
    """The library a sample's file `dso` belongs to; `native` names the native code's files."""
    if dso.startswith("[kernel"):
        return "kernel (syscalls, loopback TCP, scheduling)"
    if dso.startswith(native):
        return f"native code ({dso})"
    if re.match(r"(lib)?python3", dso):
        return "Python interpreter"
    if dso.startswith("libc.so") or dso.startswith("ld-linux"):
        return "libc (malloc, memcpy, syscalls' wrappers)"
    return "other (" + dso + ")"


def main() -> None:
    native = PYTHON_MODULE
    if len(sys.argv) == 3 and sys.argv[1] == "--native":
        native = (sys.argv[2],)
    by_lib: dict[str, float] = defaultdict(float)
    by_part: dict[str, float] = defaultdict(float)
    libc_alloc = 0.0
    total = 0.0
    for raw in sys.stdin:
        m = LINE.match(raw)
        if not m:
            continue
        share, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        total += share
        lib = library(dso, native)
        by_lib[lib] += share
        if lib.startswith("native"):
            part = next((name for name, pat in PARTS if re.search(pat, sym)), "other")
            by_part[part] += share
        elif lib.startswith("libc") and re.search(r"malloc|free|realloc|calloc|cfree", sym):
            libc_alloc += share
    if total == 0:
        raise SystemExit("no samples in the perf report")
    print(f"by library ({total:.1f} % of samples listed):")
    for name, share in sorted(by_lib.items(), key=lambda kv: -kv[1]):
        print(f"  {share:5.1f} %  {name}")
    print(f"  (of libc: {libc_alloc:.1f} % in malloc/free)")
    print(f"inside the native code ({sum(by_part.values()):.1f} % of all samples):")
    for name, share in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"  {share:5.1f} %  {name}")


if __name__ == "__main__":
    main()
