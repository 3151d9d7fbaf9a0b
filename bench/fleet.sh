#!/usr/bin/env bash
# Fleet benchmark (#22): ITEMS items (default 1000), jobs of JOB_SECONDS (5), parallel
# PARALLEL (40), against `ims emulator` in its own process. Prints the client's JSON line
# (wall time against the ideal ceil(items/parallel) x job seconds, journal writes per item),
# then GNU time's peak RSS and CPU of the client, then, from a second run of FSYNC_ITEMS items
# (default 200) under strace, fsync + fdatasync calls per item.
#
#   bash bench/fleet.sh            # the figures in bench/README.md
#   ITEMS=200 JOB_SECONDS=1 bash bench/fleet.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-1000}
JOB_SECONDS=${JOB_SECONDS:-5}
PARALLEL=${PARALLEL:-40}
FSYNC_ITEMS=${FSYNC_ITEMS:-200}
cargo build --release --locked -q -p ims-cli
cargo build --release --locked -q -p ims-core --example fleet_bench
out=$(mktemp -d)
target/release/ims emulator --listen 127.0.0.1:0 --job-seconds "$JOB_SECONDS" \
    --image-quota 100000 --max-concurrent-jobs 40 >"$out/emu.url" 2>"$out/emu.err" &
emu=$!
trap 'kill $emu 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do [ -s "$out/emu.url" ] && break; sleep 0.1; done
url=$(head -1 "$out/emu.url")
echo "emulator at $url"
/usr/bin/time -v -o "$out/time" target/release/examples/fleet_bench --endpoint "$url" \
    --items "$ITEMS" --parallel "$PARALLEL" --job-seconds "$JOB_SECONDS" \
    --journal "$out/journal.sqlite"
grep -E "Maximum resident|User time|System time|Elapsed" "$out/time"
user=$(awk -F': ' '/User time/ {print $2}' "$out/time")
sys=$(awk -F': ' '/System time/ {print $2}' "$out/time")
python3 -c "print(f'CPU per item: {($user + $sys) / $ITEMS * 1000:.2f} ms')"
rm -f "$out/journal.sqlite"*
strace -f --seccomp-bpf -c -e trace=fsync,fdatasync -o "$out/strace" \
    target/release/examples/fleet_bench --endpoint "$url" --items "$FSYNC_ITEMS" \
    --parallel "$PARALLEL" --job-seconds "$JOB_SECONDS" --journal "$out/journal2.sqlite" >/dev/null
calls=$(awk '$NF=="fsync" || $NF=="fdatasync" {s += $4} END {print s+0}' "$out/strace")
python3 -c "print(f'fsync+fdatasync per item: {$calls / $FSYNC_ITEMS:.2f} ({$calls} for $FSYNC_ITEMS items)')"
