#!/usr/bin/env bash
# Thousands of concurrent waits on one async client (issue #14), each against its own
# `ims emulator --job-seconds 30` in another process:
#   Rust:   10,000 create + wait cycles on one AsyncClient, current-thread runtime and a
#           multi-thread runtime of 2 workers (core/examples/many_waits.rs);
#   Python: asyncio.gather of 1,000 create + wait cycles on one ims.AsyncClient
#           (bench/async_gather.py), in the venv bench/run.sh makes (target/bench/venv).
#
#   bench/many_waits.sh [--quick]       (--quick: 500 Rust and 100 Python cycles of 5 s jobs)
#
# Prints each client's JSON line followed by the emulator's count of TCP connections.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=10000 cycles=1000 job=30 first=10 interval=4 py_first=20 py_interval=3
if [ "${1:-}" = "--quick" ]; then
  jobs=500 cycles=100 job=5 first=2 interval=1 py_first=3 py_interval=1
fi
cargo build --release --locked -q -p ims-cli
cargo build --release --locked -q -p ims-core --example many_waits
bin=target/release
# 10,000 connections are never needed (the client keeps at most 32), but leave room.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

emulator_run() { # label, command...
  local label=$1; shift
  local out err pid url
  out=$(mktemp) err=$(mktemp)
  # 10,000 waits: far beyond one tenant's limits (50 images, 40 running jobs).
  "$bin/ims" emulator --job-seconds "$job" --image-quota 1000000000 \
      --max-concurrent-jobs 1000000000 >"$out" 2>"$err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
  url=$(head -1 "$out")
  echo "== $label"
  local line
  line=$("$@" --url "$url")
  echo "$line"
  kill -INT "$pid"; wait "$pid" || true
  # Every cycle must have succeeded.
  python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(d["failed"] != 0)' "$line" \
    || { echo "$label: some cycles failed" >&2; exit 1; }
  grep -o 'stopped after .*' "$err" || { cat "$err" >&2; exit 1; }
  rm -f "$out" "$err"
}

for rt in current multi2; do
  emulator_run "rust, $rt runtime, $jobs waits" "$bin/examples/many_waits" --jobs "$jobs" \
    --runtime "$rt" --job-seconds "$job" --first-delay "$first" --interval "$interval"
done

py=target/bench/venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c "import ims; ims.AsyncClient" 2>/dev/null; then
  echo "== python: building the wheel into target/bench/venv"
  [ -x "$py" ] || python3 -m venv target/bench/venv
  "$py" -m pip install -q maturin
  target/bench/venv/bin/maturin build --profile wheel -q -m python/Cargo.toml -o target/bench/wheels
  "$py" -m pip install -q --force-reinstall target/bench/wheels/ims_fullimage-*.whl
fi
emulator_run "python, asyncio.gather of $cycles cycles" "$py" bench/async_gather.py \
  --cycles "$cycles" --job-seconds "$job" --first-delay "$py_first" --interval "$py_interval"
