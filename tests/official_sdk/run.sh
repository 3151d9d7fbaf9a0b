#!/usr/bin/env bash
# Proof of fidelity: drives the OFFICIAL Huawei Cloud Python SDK (huaweicloudsdkims) against
# the local emulator (`ims emulator`).
#
#   bash tests/official_sdk/run.sh [extra pytest args]
#
# Creates (or reuses) a venv in .venv-official-sdk/ (override: IMS_SDK_VENV), installs the
# pinned SDK and pytest from PyPI, builds the `ims` CLI with cargo, starts it on an ephemeral
# loopback port, reads its base URL from the first stdout line, runs pytest, and always stops
# the emulator on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

VENV="${IMS_SDK_VENV:-$ROOT/.venv-official-sdk}"
PY="$VENV/bin/python"
STAMP="$VENV/.requirements.sha"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"

if [ ! -x "$PY" ]; then
    echo "== creating venv $VENV" >&2
    python3 -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    echo "== installing the official SDK and pytest" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check --retries 3 --timeout 60 \
        -r "$HERE/requirements.txt"
    echo "$WANT" > "$STAMP"
fi

echo "== building ims" >&2
cargo build --quiet -p ims-cli --bin ims
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/debug/ims"

# Credentials the emulator accepts; deliberately not the demo pair, to show they are honoured.
export IMS_AK="OFFICIALSDKTESTAK000"
export IMS_SK="official-sdk-test-secret-key-000000000000"
export IMS_PROJECT_ID="a1b2c3d4e5f60718293a4b5c6d7e8f90"
export IMS_REGION="cn-north-4"

WORK="$(mktemp -d)"
EMU_PID=""
cleanup() {
    if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill -TERM "$EMU_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$EMU_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Keep the official environment variables from leaking into the emulator or the SDK.
env -u HUAWEICLOUD_SDK_AK -u HUAWEICLOUD_SDK_SK -u HUAWEICLOUD_SDK_SECURITY_TOKEN \
    -u HUAWEICLOUD_SDK_PROJECT_ID \
    "$BIN" emulator --listen 127.0.0.1:0 --ak "$IMS_AK" --sk "$IMS_SK" \
    --project-id "$IMS_PROJECT_ID" --region "$IMS_REGION" --job-seconds 1 \
    >"$WORK/stdout" 2>"$WORK/stderr" &
EMU_PID=$!

URL=""
for _ in $(seq 1 100); do
    URL="$(head -n 1 "$WORK/stdout" 2>/dev/null || true)"
    [ -n "$URL" ] && break
    if ! kill -0 "$EMU_PID" 2>/dev/null; then
        echo "ims emulator exited early:" >&2
        cat "$WORK/stderr" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "ims emulator printed no URL within 10 s" >&2
    cat "$WORK/stderr" >&2
    exit 1
fi
export IMS_EMULATOR_URL="$URL"
echo "== emulator at $URL (pid $EMU_PID)" >&2

set +e
env -u HUAWEICLOUD_SDK_AK -u HUAWEICLOUD_SDK_SK -u HUAWEICLOUD_SDK_SECURITY_TOKEN \
    -u HUAWEICLOUD_SDK_PROJECT_ID -u HUAWEICLOUD_SDK_IAM_ENDPOINT \
    "$PY" -m pytest -q -p no:cacheprovider "$HERE/test_official_sdk.py" "$@"
STATUS=$?
set -e
exit "$STATUS"
