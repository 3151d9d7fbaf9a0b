#!/usr/bin/env bash
# Side-by-side benchmark of this workspace's clients against the OFFICIAL Huawei Cloud Python SDK
# (huaweicloudsdkims + huaweicloudsdkcore 3.1.219), from the repository root on a fresh machine
# (needs Rust/cargo, a CPython >= 3.9 with venv/pip, and PyPI):
#
#   bench/run.sh            # full run (a few minutes of measuring after the builds)
#   bench/run.sh --quick    # smoke run: fewer rounds and cycles
#
# 1. a venv target/bench/venv gets the pinned official SDK and maturin (bench/requirements.txt);
# 2. our wheel is built with `maturin build --profile wheel` (as scripts/python-tests.sh does), or
#    IMS_BENCH_WHEEL names one (scripts/test.sh passes scripts/dist.sh's), and installed into the
#    same venv;
# 3. `cargo build --release` of the CLI (ims), the `cycle` and `loopback_floor` examples, and the criterion
#    bench `sign` (cargo bench --no-run); the binaries are copied to target/bench/bin so that a
#    concurrent build in target/ cannot swap them mid-run;
# 4. bench/harness.py measures, alternating the clients in rounds: signing rate, client CPU per
#    create + wait cycle against one `ims emulator --job-seconds 0` subprocess, start-up, and
#    TCP connections; prints a markdown table (with the date and the machine) and writes every
#    sample to target/bench/results.json.
#
# Nothing is sent anywhere but 127.0.0.1. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1

harness_args=()
for a in "$@"; do
    case "$a" in
        --quick) harness_args+=(--quick) ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
    esac
done

work="$PWD/target/bench"
venv="$work/venv"
py="$venv/bin/python"
step() { printf '== %s\n' "$*" >&2; }
started=$SECONDS

mkdir -p "$work/bin"

want="$(cat bench/requirements.txt; "${PYTHON:-python3}" --version 2>&1)"
if [ ! -x "$py" ] || [ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]; then
    step "venv $venv: the official SDK 3.1.219 and maturin"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$py" -m pip install --quiet --retries 3 --timeout 60 -r bench/requirements.txt
    printf '%s' "$want" >"$venv/.requirements"
fi

step "cargo build --release -p ims-cli, the cycle example, the sign bench"
cargo build --quiet --release --locked -p ims-cli --bin ims
cargo build --quiet --release --locked -p ims-core --example cycle --example loopback_floor
sign_bench="$(cargo bench --quiet --locked -p ims-core --bench sign --no-run --message-format=json \
    | "$py" -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if d.get("reason") == "compiler-artifact" and d["target"]["name"] == "sign" and d.get("executable"):
        print(d["executable"])')"
[ -x "$sign_bench" ] || { echo "no sign bench executable" >&2; exit 1; }
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | "$py" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
cp -f "$target_dir/release/ims" "$work/bin/ims"
cp -f "$target_dir/release/examples/cycle" "$work/bin/cycle"
cp -f "$target_dir/release/examples/loopback_floor" "$work/bin/loopback_floor"
cp -f "$sign_bench" "$work/bin/sign-bench"

rm -rf "$work/wheels"
if [ -n "${IMS_BENCH_WHEEL:-}" ]; then
    # The wheel scripts/dist.sh built (scripts/test.sh passes it): the one that ships.
    step "the given wheel (IMS_BENCH_WHEEL) into the venv"
    mkdir -p "$work/wheels"
    cp "$IMS_BENCH_WHEEL" "$work/wheels/"
else
    step "maturin build --profile wheel of python/ into the venv"
    "$venv/bin/maturin" build --quiet --profile wheel --locked -m python/Cargo.toml -i "$py" \
        -o "$work/wheels" >&2
fi
"$py" -m pip install --quiet --force-reinstall --no-deps "$work"/wheels/ims_fullimage-*.whl

step "built in $((SECONDS - started)) s; measuring"
"$py" bench/harness.py --bin-dir "$work/bin" --out "$work/results.json" ${harness_args[@]+"${harness_args[@]}"}
step "done in $((SECONDS - started)) s"
