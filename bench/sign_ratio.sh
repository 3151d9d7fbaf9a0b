#!/usr/bin/env bash
# Runs the criterion bench `sign` (core/benches/sign.rs) once and prints, per algorithm, the
# median of the signer the client uses, of the staged `sign()`, and of the floor (bare hash
# passes + HMAC over the same bytes), with signer/floor ratios. Signer and floor come from the
# same run. Extra arguments go to criterion, e.g. `bench/sign_ratio.sh --measurement-time 3`.
# SIGN_BENCH_BIN=<a built bench executable> runs that one instead (e.g. an older build, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
home="${CARGO_TARGET_DIR:-$PWD/target}/criterion"
start="$(date +%s)"
if [ -n "${SIGN_BENCH_BIN:-}" ]; then
    CRITERION_HOME="$home" "$SIGN_BENCH_BIN" --bench --noplot "$@" >&2
else
    CRITERION_HOME="$home" cargo bench --quiet -p ims-core --bench sign -- --noplot "$@" >&2
fi
python3 - "$home" "$start" <<'PY'
import json, re, sys
from pathlib import Path
home, start = Path(sys.argv[1]), float(sys.argv[2])
def ns(name):
    f = home / re.sub(r'[\\/:*?"<>|^]', "_", name) / "new" / "estimates.json"
    return json.loads(f.read_text())["median"]["point_estimate"] if f.exists() and f.stat().st_mtime >= start else None  # this run only
floors = {
    "SDK-HMAC-SHA256": "floor: sha256(body) + sha256(canonical) + hmac(sts)",
    "SDK-HMAC-SM3": "floor SM3: sm3(body) + sm3(canonical) + hmac-sm3(sts)",
    "V11-HMAC-SHA256": "floor V11: hkdf(sk) + sha256(body) + sha256(canonical) + hmac",
}
print(f"{'algorithm':16} {'signer ns':>10} {'staged ns':>10} {'floor ns':>9} {'signer/floor':>13} {'staged/floor':>13}")
for alg, floor_name in floors.items():
    s, st, f = ns(f"sign create-whole-image {alg}"), ns(f"staged sign create-whole-image {alg}"), ns(floor_name)
    r = lambda x: f"{x / f:.2f}x" if x and f else "-"
    n = lambda x: f"{x:.0f}" if x else "-"
    print(f"{alg:16} {n(s):>10} {n(st):>10} {n(f):>9} {r(s):>13} {r(st):>13}")
PY
