#!/usr/bin/env bash
# Where the CPU of a Python create + wait cycle goes: `perf record -e cpu-clock` of the
# bench/e2e_worker.py process (the same cycle bench/run.sh times) against an `ims emulator
# --job-seconds 0` in another process, summarised by bench/profile_summary.py into shares by
# library and, inside the native module, by part of the stack (signing, URL parsing, HTTP,
# runtime, JSON and model, Python glue, logging, allocation).
#
#   bench/profile_cycle.sh [--cycles N] [--client ours|official] [--src DIR] [--target DIR]
#
# --src DIR     a checkout of this repository whose Python package is profiled (default: this
#               one), e.g. a `git worktree` of an older commit, to compare before and after;
# --target DIR  its cargo target directory (default: DIR/target). The native module is built
#               there with `cargo build --profile wheel -p ims-python` (`--profile release`
#               for a checkout without that profile): the wheel's code and build settings, but
#               with its symbols (the wheel is stripped), so the profile can name functions.
#
# The package is run from a temporary copy (DIR/python/python/ims plus that module) put first
# on PYTHONPATH. The interpreter is target/bench/venv's (bench/run.sh makes it; it also has the
# official SDK for --client official), else python3. Needs `perf` (Debian's linux-perf). The
# profile covers the whole worker run: import and 20 warm-up cycles, then N cycles (default
# 5000), so N should be large. Nothing is sent anywhere but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
cycles=5000 client=ours src="$root" target=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles="$2"; shift 2 ;;
        --client) client="$2"; shift 2 ;;
        --src) src="$(cd "$2" && pwd)"; shift 2 ;;
        --target) target="$2"; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "usage: bench/profile_cycle.sh [--cycles N] [--client ours|official] [--src DIR] [--target DIR]" >&2; exit 2 ;;
    esac
done
target="${target:-$src/target}"
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
py="$root/target/bench/venv/bin/python"
[ -x "$py" ] || py="$(command -v python3)"
work="$(mktemp -d)"
emu_pid=""
cleanup() {
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

profile=release
grep -q '^\[profile.wheel\]' "$src/Cargo.toml" && profile=wheel
(cd "$src" && CARGO_TARGET_DIR="$target" cargo build --quiet --profile "$profile" -p ims-python \
    && CARGO_TARGET_DIR="$target" cargo build --quiet --release -p ims-cli)
cp -r "$src/python/python/ims" "$work/ims"
rm -f "$work"/ims/_ims*.so
cp "$target/$profile/lib_ims.so" "$work/ims/_ims.abi3.so"

"$target/release/ims" emulator --job-seconds 0 --image-quota 1000000000 \
    --max-concurrent-jobs 1000000000 >"$work/emulator.out" 2>/dev/null &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.05; done
url="$(head -n1 "$work/emulator.out")"

printf '%s\n' "$cycles" | PYTHONPATH="$work" perf record -q -e cpu-clock -F 4999 -g \
    -o "$work/perf.data" -- "$py" "$root/bench/e2e_worker.py" --client "$client" --url "$url" \
    | tail -n1 >&2
echo "== $client, $cycles cycles, package from $src ($(cd "$src" && git rev-parse --short HEAD 2>/dev/null || echo '?'), profile $profile)"
perf report -i "$work/perf.data" --no-children -g none --stdio --sort dso,sym \
    -F overhead,dso,sym 2>/dev/null | "$py" "$root/bench/profile_summary.py"
