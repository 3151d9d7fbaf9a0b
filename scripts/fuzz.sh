#!/usr/bin/env bash
# Fuzzes every target of fuzz/ (cargo-fuzz, libFuzzer with AddressSanitizer) from its committed
# seeds, and fails on the first crash or broken invariant.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) is the TOTAL fuzzing budget, split evenly across the targets (all six
# unless some are named); the build comes on top. Each target runs on fuzz/work/<target>, a
# working copy of the seeds in fuzz/corpus/<target> that keeps growing from run to run (it is
# gitignored: only the seeds are committed). Crash inputs land in fuzz/artifacts/<target>/.
# Prints the executions per target and in all; exits 1 on any crash.
#
# The stable toolchain builds the targets: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the
# sanitizer flags, for the cargo fuzz command only. Environment: IMS_FUZZ_RSS_MB (default 512,
# libFuzzer's -rss_limit_mb and -malloc_limit_mb), IMS_FUZZ_MAX_LEN (default 1048576 bytes).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(request_json job_document authorization signer emulator_requests tags)
total=${1:-60}
shift || true
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${ALL_TARGETS[@]}"); fi
rss_mb=${IMS_FUZZ_RSS_MB:-512}
max_len=${IMS_FUZZ_MAX_LEN:-1048576}
case "$total" in '' | *[!0-9]*)
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
  ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

build_start=$(date +%s)
# Release optimisations with debug assertions and overflow checks (cargo-fuzz's default).
if [ ${#targets[@]} -eq 1 ]; then
  RUSTC_BOOTSTRAP=1 cargo fuzz build "${targets[0]}"
else
  RUSTC_BOOTSTRAP=1 cargo fuzz build
fi
echo "fuzz build: $(($(date +%s) - build_start)) s"

per=$((total / ${#targets[@]}))
[ "$per" -ge 1 ] || per=1
bin_dir=fuzz/target/x86_64-unknown-linux-gnu/release
sum=0
failed=()
printf '%-18s %12s %10s  %s\n' target executions exec/s result
for t in "${targets[@]}"; do
  mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t"
  cp -n "fuzz/corpus/$t"/* "fuzz/work/$t/" 2>/dev/null || true
  log="fuzz/artifacts/$t/last-run.log"
  status=0
  "$bin_dir/$t" "fuzz/work/$t" -max_total_time="$per" -rss_limit_mb="$rss_mb" \
    -malloc_limit_mb="$rss_mb" -max_len="$max_len" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  runs=${runs:-0}
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  secs=${secs:-$per}
  [ "$secs" -ge 1 ] || secs=1
  sum=$((sum + runs))
  if [ "$status" -eq 0 ]; then
    printf '%-18s %12d %10d  ok\n' "$t" "$runs" $((runs / secs))
  else
    printf '%-18s %12d %10s  CRASH (exit %d)\n' "$t" "$runs" - "$status"
    grep -A2 -E '^(thread .* panicked|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -20 || true
    echo "   full log: $log"
    failed+=("$t")
  fi
done
printf '%-18s %12d\n' total "$sum"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]}" >&2
  exit 1
fi
