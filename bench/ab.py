"""A/B of two builds of this workspace in one session: CPU per create + wait cycle of the
Python client (bench/e2e_worker.py --client ours) and of the Rust client (the `cycle` example,
--serve), for a base build and a head build, measured in alternated rounds against one
`ims emulator --job-seconds 0` subprocess, as bench/harness.py measures them.

    python bench/ab.py --base-bin DIR --base-python PY --head-bin DIR --head-python PY
                       [--rounds N] [--cycles N] [--out FILE]

Each DIR holds `ims` and `cycle` of that build; each PY is an interpreter whose `ims` module is
that build's wheel. Prints, per client, the median CPU µs per cycle of each build with its
spread, and the median of the per-round head/base ratios. Called by bench/ab.sh.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH, Emulator, Worker, log, med, rotate, spread  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-bin", required=True)
    p.add_argument("--base-python", required=True)
    p.add_argument("--head-bin", required=True)
    p.add_argument("--head-python", required=True)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--cycles", type=int, default=2000)
    p.add_argument("--out", default="target/ab/results.json")
    a = p.parse_args()
    worker = str(BENCH / "e2e_worker.py")
    emu = Emulator(Path(a.head_bin) / "ims")
    log(f"emulator at {emu.url}")
    workers: dict[str, Worker] = {}
    try:
        workers = {
            "python base": Worker([a.base_python, worker, "--client", "ours"], emu.url),
            "python head": Worker([a.head_python, worker, "--client", "ours"], emu.url),
            "rust base": Worker([str(Path(a.base_bin) / "cycle"), "--serve"], emu.url),
            "rust head": Worker([str(Path(a.head_bin) / "cycle"), "--serve"], emu.url),
        }
        samples: dict[str, list[float]] = {k: [] for k in workers}
        for r in range(a.rounds):
            for name in rotate(list(workers), r):
                s = workers[name].run(a.cycles)
                samples[name].append(s["cpu_s"] / s["cycles"])
            log(f"round {r + 1}/{a.rounds}: " + ", ".join(
                f"{k} {v[-1] * 1e6:.1f} us" for k, v in samples.items()))
    finally:
        for w in workers.values():
            w.stop()
        emu.stop()
    result: dict[str, Any] = {"rounds": a.rounds, "cycles_per_round": a.cycles}
    for client in ("python", "rust"):
        base, head = samples[f"{client} base"], samples[f"{client} head"]
        ratios = [h / b for b, h in zip(base, head)]
        result[client] = {
            "base_us": spread([x * 1e6 for x in base]),
            "head_us": spread([x * 1e6 for x in head]),
            "head_over_base": spread(ratios),
        }
        print(f"{client}: base {med(base) * 1e6:.1f} us/cycle "
              f"[{min(base) * 1e6:.1f}-{max(base) * 1e6:.1f}], head {med(head) * 1e6:.1f} "
              f"us/cycle [{min(head) * 1e6:.1f}-{max(head) * 1e6:.1f}], head/base "
              f"{med(ratios):.3f} [{min(ratios):.3f}-{max(ratios):.3f}]")
    result["raw"] = samples
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
