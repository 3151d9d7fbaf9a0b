"""Side-by-side benchmark: the official Huawei Cloud Python SDK (huaweicloudsdkims /
huaweicloudsdkcore 3.1.219) against this workspace's Python package (`ims`) and Rust client.

Run through bench/run.sh, which builds everything and calls, from the repository root:

    target/bench/venv/bin/python bench/harness.py --bin-dir target/bench/bin [--quick]

Every pair is measured alternately, in rounds whose order rotates (A B C, B C A, C A B, ...),
so that drift of a shared machine (other builds, frequency changes) falls on every client
alike; each figure is the median over rounds. Prints a markdown table to stdout and writes
every sample to target/bench/results.json. Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# The in-repo copy of ../shared/spec/signing-vectors.json (byte-identical), so that the harness runs
# from any clone, with or without shared/ beside it.
VECTORS = ROOT / "core" / "tests" / "data" / "signing-vectors.json"
AK = "IMSDEMOAK00000000000"
SK = "ims-demo-secret-key-0000000000000000000000"
PROJECT = "0123456789abcdef0123456789abcdef"
SIGN_BENCH = "sign create-whole-image SDK-HMAC-SHA256"
FLOOR_BENCH = "floor: sha256(body) + sha256(canonical) + hmac(sts)"
INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"

# Full and --quick settings.
PROFILES = {
    "full": {
        "sign_rounds": 5, "sign_n": 10000, "sign_repeats": 3,
        "criterion_warm_up": "1", "criterion_measure": "3",
        "e2e_rounds": 7, "e2e_cycles": 500,
        "startup_runs": 30,
        "conn_polls": 100, "conn_cycles": 50,
    },
    "quick": {
        "sign_rounds": 2, "sign_n": 2000, "sign_repeats": 1,
        "criterion_warm_up": "0.5", "criterion_measure": "1",
        "e2e_rounds": 2, "e2e_cycles": 100,
        "startup_runs": 5,
        "conn_polls": 100, "conn_cycles": 10,
    },
}


def log(msg: str) -> None:
    print("bench: " + msg, file=sys.stderr, flush=True)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every child: no credentials, endpoints or proxies from outside (the
    SDK's `requests` would honour a proxy, and loopback must stay loopback)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUAWEICLOUD_SDK_", "IMS_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               IMS_NO_METADATA="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # imports are timed with their .pyc files
    env.update(extra)
    return env


def med(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def spread(xs: Sequence[float]) -> dict[str, Any]:
    return {"median": med(xs), "min": min(xs), "max": max(xs), "samples": list(xs)}


def rotate(items: list[Any], r: int) -> list[Any]:
    k = r % len(items)
    return items[k:] + items[:k]


def sh(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": sh(["date", "-u"]),
        "nproc": sh(["nproc"]),
        "cpu": model or platform.processor(),
        "kernel": sh(["uname", "-r"]),
        "python": platform.python_version(),
        "rustc": sh(["rustc", "--version"]),
        "load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


# -- 1. signing ----------------------------------------------------------------------------


def criterion_median_ns(home: Path, name: str) -> float:
    folder = re.sub(r'[\\/:*?"<>|]', "_", name)
    doc = json.loads((home / folder / "new" / "estimates.json").read_text())
    return float(doc["median"]["point_estimate"])


def bench_signing(py: str, bins: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    sign_bin = bins / "sign-bench"
    home = ROOT / "target" / "bench" / "criterion"
    official: list[dict[str, Any]] = []
    rust_ns: list[float] = []
    floor_ns: list[float] = []

    def run_official() -> None:
        out = subprocess.run(
            [py, str(BENCH / "sign_official.py"), str(VECTORS), "--n", str(cfg["sign_n"]),
             "--repeats", str(cfg["sign_repeats"])],
            check=True, capture_output=True, text=True, env=child_env(),
        ).stdout
        official.append(json.loads(out.strip().splitlines()[-1]))

    def run_rust() -> None:
        subprocess.run(
            # Only the two rows this table reads (the bench has a hot, staged and floor row
            # per algorithm; bench/sign_ratio.sh prints them all).
            [str(sign_bin), "--bench", "--noplot", "--warm-up-time", cfg["criterion_warm_up"],
             "--measurement-time", cfg["criterion_measure"],
             "^sign create-whole-image SDK-HMAC-SHA256$|^floor: sha256"],
            check=True, capture_output=True, text=True, cwd=ROOT / "core",
            env=child_env(CRITERION_HOME=str(home)),
        )
        rust_ns.append(criterion_median_ns(home, SIGN_BENCH))
        floor_ns.append(criterion_median_ns(home, FLOOR_BENCH))

    for r in range(cfg["sign_rounds"]):
        for fn in rotate([run_official, run_rust], r):
            fn()
        log(f"signing round {r + 1}/{cfg['sign_rounds']}: official "
            f"{official[-1]['sign_s'] * 1e6:.1f} us, rust {rust_ns[-1]:.0f} ns, "
            f"floor {floor_ns[-1]:.0f} ns")

    exposed = subprocess.run(
        [py, "-c", "import ims, ims._ims as n; print([a for m in (ims, n) for a in dir(m) "
         "if 'sign' in a.lower() and not a.endswith('Error')])"],
        check=True, capture_output=True, text=True, env=child_env(),
    ).stdout.strip()
    official_s = [o["sign_s"] for o in official]
    ratio_rust = [o * 1e9 / r for o, r in zip(official_s, rust_ns)]
    ratio_floor = [r / f for r, f in zip(rust_ns, floor_ns)]
    return {
        "official_sign_s": spread(official_s),
        "official_sign_vector_date_s": spread([o["sign_vector_date_s"] for o in official]),
        "official_build_request_s": spread([o["build_request_s"] for o in official]),
        "rust_sign_ns": spread(rust_ns),
        "floor_ns": spread(floor_ns),
        "rust_vs_official": spread(ratio_rust),
        "rust_vs_floor": spread(ratio_floor),
        "python_sign_exposed": exposed not in ("[]", ""),
        "python_sign_names": exposed,
    }


# -- 2. end to end -------------------------------------------------------------------------


class Emulator:
    """`ims emulator` as a subprocess on an ephemeral loopback port."""

    def __init__(self, ims_bin: Path) -> None:
        self.proc = subprocess.Popen(
            [str(ims_bin), "emulator", "--listen", "127.0.0.1:0", "--job-seconds", "0",
             "--ak", AK, "--sk", SK, "--project-id", PROJECT,
             # thousands of cycles: more images than one tenant's quota allows
             "--image-quota", "1000000000", "--max-concurrent-jobs", "1000000000"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=child_env(),
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"ims emulator did not start on loopback: {self.url!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Worker:
    """A long-lived measuring process, kept alive across rounds (warm client, one connection):
    bench/e2e_worker.py for the Python clients, or a Rust example run with --serve (`cycle`,
    `loopback_floor`). It prints `ready` after warming up (20 cycles; the floor, 20 exchanges),
    then answers each number N on stdin with the JSON line of N cycles: cycles, cpu_s (the CPU
    of those cycles alone), wall_s."""

    def __init__(self, cmd: list[str], url: str) -> None:
        self.proc = subprocess.Popen(
            [*cmd, "--url", url, "--ak", AK, "--sk", SK, "--project-id", PROJECT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env(),
        )
        if self._line() != "ready":
            raise SystemExit(f"e2e worker {cmd} did not start")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def run(self, cycles: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{cycles}\n")
        self.proc.stdin.flush()
        line = self._line()
        if not line:
            raise SystemExit("e2e worker died")
        return json.loads(line)

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def bench_e2e(py: str, bins: Path, url: str, cfg: dict[str, Any]) -> dict[str, Any]:
    n = cfg["e2e_cycles"]
    worker = str(BENCH / "e2e_worker.py")
    workers = {
        "official": Worker([py, worker, "--client", "official"], url),
        "ours": Worker([py, worker, "--client", "ours"], url),
        "rust": Worker([str(bins / "cycle"), "--serve"], url),
        # Two exchanges per cycle too (two job queries prepared once), with bare TcpStream
        # writes and reads: what the kernel charges any client of the emulator.
        "floor": Worker([str(bins / "loopback_floor"), "--serve"], url),
    }
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in workers}

    def runner(name: str) -> Callable[[], None]:
        return lambda: samples[name].append(workers[name].run(n))

    runs = {name: runner(name) for name in workers}
    try:
        for r in range(cfg["e2e_rounds"]):
            for name in rotate(list(runs), r):
                runs[name]()
            log(f"e2e round {r + 1}/{cfg['e2e_rounds']}: CPU ms/cycle official "
                f"{samples['official'][-1]['cpu_s'] / n * 1e3:.3f}, ours "
                f"{samples['ours'][-1]['cpu_s'] / n * 1e3:.3f}, rust "
                f"{samples['rust'][-1]['cpu_s'] / n * 1e3:.3f}, floor "
                f"{samples['floor'][-1]['cpu_s'] / n * 1e3:.3f}")
    finally:
        for w in workers.values():
            w.stop()

    cpu = {k: [s["cpu_s"] / s["cycles"] for s in v] for k, v in samples.items()}
    rate = {k: [s["cycles"] / s["wall_s"] for s in v] for k, v in samples.items()}
    # Ratios per round (same round = same machine conditions), then the median.
    return {
        "cycles_per_round": n,
        "rounds": cfg["e2e_rounds"],
        "cpu_s_per_cycle": {k: spread(v) for k, v in cpu.items()},
        "cycles_per_s": {k: spread(v) for k, v in rate.items()},
        "ours_thread_s_per_cycle": spread([s["thread_s"] / s["cycles"] for s in samples["ours"]]),
        "official_polls_per_cycle": med(
            [s["polls"] / s["cycles"] for s in samples["official"]]),
        "cpu_ratio_official_over": {
            k: spread([o / x for o, x in zip(cpu["official"], cpu[k])])
            for k in ("ours", "rust", "floor")
        },
        "cpu_ratio_over_floor": {
            k: spread([x / f for f, x in zip(cpu["floor"], cpu[k])]) for k in ("ours", "rust")
        },
        "rate_ratio_over_official": {
            k: spread([x / o for o, x in zip(rate["official"], rate[k])]) for k in ("ours", "rust")
        },
        "raw": samples,
    }


# -- 3. start-up ---------------------------------------------------------------------------


def create_job(ims_bin: Path, url: str) -> str:
    out = subprocess.run(
        [str(ims_bin), "--endpoint", url, "--project-id", PROJECT, "--output", "json",
         "create-whole-image", "--name", "bench-startup", "--instance-id", INSTANCE_ID,
         "--vault-id", VAULT_ID],
        check=True, capture_output=True, text=True,
        env=child_env(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK),
    ).stdout
    return str(json.loads(out)["job_id"])


def importtime_us(py: str, module: str) -> int:
    """Sum of the top-level `cumulative` entries of `-X importtime` for `import module`."""
    err = subprocess.run(
        [py, "-X", "importtime", "-c", f"import {module}"],
        check=True, capture_output=True, text=True, env=child_env(),
    ).stderr
    top: list[tuple[str, int]] = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and m.group(3) == " ":  # one space: a top-level import
            top.append((m.group(4), int(m.group(2))))
    # The interpreter's own start-up ends with `site`; what follows is the statement's.
    names = [name for name, _ in top]
    if "site" not in names or not {module, module.split(".")[0]} & set(names):
        raise SystemExit(f"unexpected -X importtime output for {module}")
    last_site = len(names) - 1 - names[::-1].index("site")
    return sum(us for _, us in top[last_site + 1:])


def bench_startup(py: str, bins: Path, url: str, cfg: dict[str, Any]) -> dict[str, Any]:
    job = create_job(bins / "ims", url)
    cli_env = child_env(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python_pass": ([py, "-c", "pass"], child_env()),
        "import_official": ([py, "-c", "import huaweicloudsdkims.v2"], child_env()),
        "import_ims": ([py, "-c", "import ims"], child_env()),
        "first_request_official": (
            [py, str(BENCH / "first_request.py"), "official", url, job], child_env()),
        "first_request_ours_python": (
            [py, str(BENCH / "first_request.py"), "ours", url, job], child_env()),
        "first_request_cli": (
            [str(bins / "ims"), "--endpoint", url, "--project-id", PROJECT, "job", job], cli_env),
        "cli_version": ([str(bins / "ims"), "--version"], cli_env),
    }
    times: dict[str, list[float]] = {k: [] for k in commands}

    def once(name: str) -> float:
        cmd, env = commands[name]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
        return elapsed

    for name in commands:  # warm-up: page cache, .pyc files
        once(name)
    names = list(commands)
    for r in range(cfg["startup_runs"]):
        for name in rotate(names, r):
            times[name].append(once(name))
    base = times["python_pass"]
    # Per round minus that round's bare interpreter, then the median.
    minus = {
        k: spread([t - b for t, b in zip(times[k], base)])
        for k in ("import_official", "import_ims", "first_request_official",
                  "first_request_ours_python")
    }
    it_runs = max(3, min(7, cfg["startup_runs"]))
    it_official, it_ims = [], []
    for _ in range(it_runs):
        it_official.append(importtime_us(py, "huaweicloudsdkims.v2"))
        it_ims.append(importtime_us(py, "ims"))
    return {
        "job_id": job,
        "runs": cfg["startup_runs"],
        "wall_s": {k: spread(v) for k, v in times.items()},
        "minus_python_pass_s": minus,
        # A ratio of medians: a single run of `import ims` is within the noise of the bare
        # interpreter's start, so per-run ratios are meaningless.
        "import_ratio": minus["import_official"]["median"]
        / max(minus["import_ims"]["median"], 1e-4),
        "importtime_cumulative_us": {"official": spread(it_official), "ims": spread(it_ims)},
    }


# -- 4. connections ------------------------------------------------------------------------


def bench_connections(py: str, bins: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [py, str(BENCH / "connections.py"), "--cycle-bin", str(bins / "cycle"), "--polls",
         str(cfg["conn_polls"]), "--cycles", str(cfg["conn_cycles"])],
        check=True, capture_output=True, text=True, env=child_env(), timeout=600,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- the table -----------------------------------------------------------------------------


def fmt_rate(per_s: float) -> str:
    return f"{per_s / 1000:,.1f} k/s" if per_s >= 1000 else f"{per_s:,.0f}/s"


def fmt_s(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.1f} µs"
    return f"{s * 1e9:.0f} ns"


def fmt_us(s: float) -> str:
    return f"{s * 1e6:.0f} µs"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def table(res: dict[str, Any]) -> str:
    m, sg, e2e, st, cn = (res["machine"], res["signing"], res["e2e"], res["startup"],
                          res["connections"])
    lines: list[str] = []
    add = lines.append
    add(f"### ims vs the official SDK (huaweicloudsdkims/huaweicloudsdkcore 3.1.219) — {res['mode']} run")
    add("")
    add(f"- command: `bench/run.sh{' --quick' if res['mode'] == 'quick' else ''}` "
        f"(every sample: target/bench/results.json)")
    add(f"- date: `{m['date']}`")
    add(f"- machine: {m['nproc']} CPUs, {m['cpu']}, Linux {m['kernel']}; CPython {m['python']}; "
        f"{m['rustc']}; load average at start {m['load_before']}")
    add(f"- medians over alternated rounds (signing {res['config']['sign_rounds']} rounds, "
        f"end to end {e2e['rounds']} rounds × {e2e['cycles_per_round']} cycles per client, "
        f"start-up {st['runs']} runs per command); [min–max] over rounds")
    add("")
    add("| metric | official SDK | ims (Python) | ims (Rust) | ours vs official | target |")
    add("|---|---|---|---|---|---|")

    # 1. signing
    off_rate = 1 / sg["official_sign_s"]["median"]
    rust_rate = 1e9 / sg["rust_sign_ns"]["median"]
    r_rust = sg["rust_vs_official"]
    r_floor = sg["rust_vs_floor"]
    py_sign = "exposed" if sg["python_sign_exposed"] else "not exposed"
    add(f"| signatures/s, create-whole-image, SDK-HMAC-SHA256 | {fmt_rate(off_rate)} "
        f"({fmt_s(sg['official_sign_s']['median'])}/sig) | {py_sign} | {fmt_rate(rust_rate)} "
        f"({fmt_s(sg['rust_sign_ns']['median'] * 1e-9)}/sig) | Rust **{r_rust['median']:.1f}×** "
        f"[{r_rust['min']:.1f}–{r_rust['max']:.1f}] | Rust ≥ 15×: {verdict(r_rust['median'] >= 15)} |")
    add(f"| Rust signer vs the floor (bare SHA-256 ×2 + HMAC, same bytes: "
        f"{fmt_s(sg['floor_ns']['median'] * 1e-9)}) | | | {fmt_s(sg['rust_sign_ns']['median'] * 1e-9)} "
        f"| **{r_floor['median']:.2f}×** the floor [{r_floor['min']:.2f}–{r_floor['max']:.2f}] "
        f"| ≤ 1.5×: {verdict(r_floor['median'] <= 1.5)} |")

    # 2. end to end
    c = e2e["cpu_s_per_cycle"]
    q = e2e["cycles_per_s"]
    rc = e2e["cpu_ratio_official_over"]
    rr = e2e["rate_ratio_over_official"]
    rf = e2e["cpu_ratio_over_floor"]
    add(f"| client CPU per create + wait cycle (emulator in another process) "
        f"| {fmt_us(c['official']['median'])} | {fmt_us(c['ours']['median'])} "
        f"| {fmt_us(c['rust']['median'])} | Python **{rc['ours']['median']:.1f}×** less "
        f"[{rc['ours']['min']:.1f}–{rc['ours']['max']:.1f}], Rust **{rc['rust']['median']:.1f}×** "
        f"less [{rc['rust']['min']:.1f}–{rc['rust']['max']:.1f}] "
        f"| Python ≥ 20× less: {verdict(rc['ours']['median'] >= 20)}; "
        f"Rust ≥ 25× less: {verdict(rc['rust']['median'] >= 25)} |")
    add(f"| floor: 2 loopback exchanges per cycle (two job queries, prepared once) with bare "
        f"`TcpStream` writes and reads (`loopback_floor`: no HTTP library, runtime, signing or "
        f"JSON) | | | "
        f"{fmt_us(c['floor']['median'])} | official ÷ floor **{rc['floor']['median']:.1f}×** "
        f"[{rc['floor']['min']:.1f}–{rc['floor']['max']:.1f}], the most any client could reach; "
        f"Python {rf['ours']['median']:.2f}×, Rust {rf['rust']['median']:.2f}× the floor | |")
    add(f"| create + wait cycles/s (wall, one client, 2 requests/cycle) "
        f"| {q['official']['median']:,.0f} | {q['ours']['median']:,.0f} | {q['rust']['median']:,.0f} "
        f"| Python {rr['ours']['median']:.1f}×, Rust {rr['rust']['median']:.1f}× | |")

    # 3. start-up
    mi = st["minus_python_pass_s"]
    ir = st["import_ratio"]
    it = st["importtime_cumulative_us"]
    w = st["wall_s"]
    add(f"| import cost: `import huaweicloudsdkims.v2` / `import ims` (fresh interpreter, wall "
        f"minus `python -c pass` = {fmt_s(w['python_pass']['median'])}) "
        f"| {fmt_s(mi['import_official']['median'])} | {fmt_s(mi['import_ims']['median'])} | "
        f"| **{ir:.0f}×** cheaper | ≥ 10×: {verdict(ir >= 10)} |")
    add(f"| `-X importtime`, cumulative | {it['official']['median'] / 1e3:.1f} ms "
        f"| {it['ims']['median'] / 1e3:.1f} ms | | "
        f"{it['official']['median'] / max(it['ims']['median'], 1):.0f}× | |")
    fr_o = w["first_request_official"]["median"]
    fr_p = w["first_request_ours_python"]["median"]
    fr_c = w["first_request_cli"]["median"]
    add(f"| process start → first request answered (show one job, whole process wall) "
        f"| {fmt_s(fr_o)} (python script) | {fmt_s(fr_p)} (python script) "
        f"| {fmt_s(fr_c)} (`ims job`) | Python {fr_o / fr_p:.1f}×, CLI {fr_o / fr_c:.0f}× faster | |")
    add(f"| `ims --version` (process start alone) | | | {fmt_s(w['cli_version']['median'])} | | |")

    # 4. connections
    o, p, r = cn["official"], cn["ours_python"], cn["ours_rust"]

    def life(d: dict[str, Any]) -> tuple[int, int]:
        return (d["polls_phase"]["connections"] + d["cycles_phase"]["connections"],
                d["polls_phase"]["requests"] + d["cycles_phase"]["requests"])

    (o_all, o_req), (p_all, p_req) = life(o), life(p)
    r_all, r_req = r["run"]["connections"], r["run"]["requests"]
    ours_one = p_all == 1 and r_all == 1
    add(f"| TCP connections per 100 polls (one client, counted by the in-process emulator) "
        f"| {o['polls_phase']['connections'] * 100 / o['polls_phase']['gets']:.0f} "
        f"({o_all} for its {o_req} requests) "
        f"| {p['polls_phase']['connections'] * 100 / p['polls_phase']['gets']:.0f} "
        f"({p_all} for its {p_req} requests) "
        f"| {r_all * 100 / r['run']['gets']:.2f} ({r_all} for its {r_req} requests) "
        f"| | one per client: {verdict(ours_one)} |")
    rpc = [
        o["cycles_phase"]["requests"] / o["cycles"],
        p["cycles_phase"]["requests"] / p["cycles"],
        r["run"]["requests"] / r["cycles"],
    ]
    add(f"| requests per create + wait cycle (same work for all) | {rpc[0]:.2f} | {rpc[1]:.2f} "
        f"| {rpc[2]:.2f} | | |")
    add("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "bench" / "bin"))
    parser.add_argument("--out", default=str(ROOT / "target" / "bench" / "results.json"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["signing", "e2e", "startup", "connections"],
                        action="append", help="run only these parts (repeatable)")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    cfg = PROFILES[mode]
    bins = Path(args.bin_dir).resolve()
    py = sys.executable
    parts = set(args.only or ["signing", "e2e", "startup", "connections"])
    res: dict[str, Any] = {"mode": mode, "config": cfg, "machine": machine(),
                           "started": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    t0 = time.perf_counter()
    if "signing" in parts:
        log("1. signing")
        res["signing"] = bench_signing(py, bins, cfg)
    if parts & {"e2e", "startup"}:
        emu = Emulator(bins / "ims")
        log(f"emulator at {emu.url}")
        try:
            if "e2e" in parts:
                log("2. end to end")
                res["e2e"] = bench_e2e(py, bins, emu.url, cfg)
            if "startup" in parts:
                log("3. start-up")
                res["startup"] = bench_startup(py, bins, emu.url, cfg)
        finally:
            emu.stop()
    if "connections" in parts:
        log("4. connections")
        res["connections"] = bench_connections(py, bins, cfg)
    res["seconds"] = time.perf_counter() - t0
    res["machine"]["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    if parts == {"signing", "e2e", "startup", "connections"}:
        print(table(res))
    else:
        print(json.dumps({k: v for k, v in res.items() if k not in ("config",)}, indent=2)[:20000])
    log(f"measured in {res['seconds']:.0f} s; every sample in {out}")


if __name__ == "__main__":
    main()
