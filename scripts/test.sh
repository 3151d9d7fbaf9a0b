#!/usr/bin/env bash
# The one test command (README "On a fresh machine"; .ci/run calls exactly this).
# Installs what it needs itself: Rust components, Python virtual environments (maturin, pytest,
# mypy, the official SDK), cbindgen, and the C tools (gcc, valgrind, pkg-config) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# One build from scratch: incremental compilation data (1.4 GB after the Rust tests) would only
# help a later edit, and costs disk (a CI machine ran out at 151 s).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Each step's start time, and the whole run's time per step at the end (to see what grew).
started=$(date +%s)
last=$started
times=()
step() {
    local now
    now=$(date +%s)
    [ -z "${current:-}" ] || times+=("$(printf '%5ds  %s' $((now - last)) "$current")")
    current="$*"
    last=$now
    printf '\n== %s (%s)\n' "$*" "$(date +%T)"
}

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The API documentation of every crate builds without a warning (broken intra-doc links, bad
# HTML, missing docs): what docs.rs will show.
step "docs (cargo doc --no-deps --workspace, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked

step "layers: the optional parts build alone, and no module imports one that imports it back"
cargo clippy -p ims-core --no-default-features --locked -- -D warnings   # no HTTP client
cargo clippy -p ims-core --no-default-features --features client --locked -- -D warnings # no fleet
cargo clippy -p ims-python --no-default-features --locked -- -D warnings # wheel without emulator
if cargo tree -p ims-emulator -e normal --locked | grep -q reqwest; then
    echo "ims-emulator depends on reqwest: it must build without core's HTTP client" >&2
    exit 1
fi
python3 scripts/module-cycles.py

step "rust tests"
cargo test --workspace --locked

step "official Huawei Cloud Python SDK against the emulator (proof of fidelity)"
bash tests/official_sdk/run.sh

step "C ABI: header drift, C11/C++17 programs against the emulator, valgrind"
bash scripts/c-tests.sh

# Every release artifact (README "Releasing"), each installed into a clean place with its door's
# quick start run against the emulator, and one version everywhere. IMS_TEST_DIST=0 skips this
# (and the Python suite then builds its own wheel).
if [ "${IMS_TEST_DIST:-1}" != 0 ]; then
    step "dist: the wheel, the sdist, the crates, the C and CLI tarballs (scripts/dist.sh)"
    bash scripts/dist.sh
    step "dist check: each artifact installed fresh, its quick start, one version (scripts/dist-check.sh)"
    bash scripts/dist-check.sh
    dist_wheel="$(ls "$PWD"/dist/ims_fullimage-*.whl)"
else
    dist_wheel=
fi

step "Python package: one abi3 wheel, pytest on CPython 3.11, 3.9 and 3.13, stubtest"
IMS_PYTHON_WHEEL="$dist_wheel" bash scripts/python-tests.sh

step "benchmarks compile"
cargo bench --workspace --locked --no-run

# Every parser under libFuzzer from the committed seeds (fuzz/corpus), 48 s in all: fails on
# any crash or broken invariant. The long-run figures are in README "Fuzzing".
step "fuzz smoke run (scripts/fuzz.sh 48)"
bash scripts/fuzz.sh 48

# The harness drives every client (official SDK, ims Python, ims Rust) for real: a smoke run keeps
# it from breaking unnoticed (an interval of 0, refused since the waiter's options are checked,
# once did). It fails on errors only; its figures are for bench/README.md, not for this run.
step "benchmark smoke run (bench/run.sh --quick)"
IMS_BENCH_WHEEL="$dist_wheel" bash bench/run.sh --quick

# Thousands of concurrent waits on one async client (Rust current-thread and 2-worker runtimes,
# Python asyncio.gather), smoke-sized: 500 and 100 cycles of 5 s jobs. Fails on errors only.
step "concurrent waits smoke run (bench/many_waits.sh --quick)"
bash bench/many_waits.sh --quick

step "fleet benchmark smoke run (bench/fleet.sh: 80 items, jobs of 1 s)"
ITEMS=80 JOB_SECONDS=1 FSYNC_ITEMS=40 bash bench/fleet.sh

step "end"
echo
printf '%s\n' "${times[@]}"
printf '%5ds  in all\n' $(($(date +%s) - started))
echo "all checks passed"
