#!/usr/bin/env bash
# Compiles and runs the C and C++ test programs of tests/c/ against the built library and the
# emulators started here (jobs that succeed in a second, jobs that all fail, jobs that take two
# minutes, for what must see a job still running; one with a security token that echoes
# unredacted, one stopped at once, and three over HTTPS: a valid certificate, one for another
# host, an expired one), then again under
# valgrind. Prints "PASS ..." / "FAIL ..." per case. Normally called by scripts/c-tests.sh,
# which builds everything first; standalone it expects the dev build in $CARGO_TARGET_DIR.
#
# Environment (all optional):
#   CARGO_TARGET_DIR         where the build is (default: ./target); the dev profile is used
#   IMS_NATIVE_STATIC_LIBS   what libims.a needs besides (default: rustc's usual linux-gnu list)
#   IMS_C_TESTS_VALGRIND     1 (default when valgrind exists) or 0
#   IMS_C_TESTS_PREFIX       an install prefix (scripts/install-c.sh): the quick start is then
#                            also built with `pkg-config --cflags --libs ims` from there
#   IMS_C_TESTS_NESTED       1 when called by scripts/c-tests.sh (it prints the totals)
#   IMS_C_TESTS_ONLY         run only these programs (names, space-separated), for a quick look
#   IMS_C_TESTS_KEEP         1 keeps the work folder (logs, valgrind reports) and prints it
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB_DIR="$TARGET/debug"
EMULATOR="$LIB_DIR/ims"
NATIVE_LIBS="${IMS_NATIVE_STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}"
SRC="$ROOT/tests/c"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ims-c-tests.XXXXXX")
VALGRIND="${IMS_C_TESTS_VALGRIND:-auto}"
if [ "$VALGRIND" = auto ]; then
    if command -v valgrind >/dev/null 2>&1; then VALGRIND=1; else VALGRIND=0; fi
fi

CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -g -I"$ROOT/include" -I"$SRC")
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -pedantic -g -I"$ROOT/include" -I"$SRC")
# The programs record the library's SONAME (libims.so.0.MINOR) and load it by that name: a
# folder of symlinks to the build gives both names.
SHARED_DIR="$WORK/lib"
SHARED=(-L"$SHARED_DIR" -lims -Wl,-rpath,"$SHARED_DIR")

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

emulator_pids=()
cleanup() {
    for pid in "${emulator_pids[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "${IMS_C_TESTS_KEEP:-0}" = 1 ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$LIB_DIR/libims.so" "$LIB_DIR/libims.a" "$EMULATOR"; do
    if [ ! -f "$f" ]; then
        fail "setup: $f is missing (run scripts/c-tests.sh, or cargo build -p ims-ffi -p ims-cli)"
        exit 1
    fi
done

mkdir -p "$SHARED_DIR"
ln -s "$LIB_DIR/libims.so" "$SHARED_DIR/libims.so"
SONAME=$(readelf -d "$LIB_DIR/libims.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$SONAME" ] && ln -s "$LIB_DIR/libims.so" "$SHARED_DIR/$SONAME"

# --- the header alone, as C11 and as C++17 -------------------------------------------------
printf '#include "ims.h"\nint main(void) { return ims_version() == 0; }\n' > "$WORK/header.c"
cp "$WORK/header.c" "$WORK/header.cpp"
if gcc "${CFLAGS[@]}" -c "$WORK/header.c" -o "$WORK/header_c.o" 2> "$WORK/header_c.err"; then
    pass "header: include/ims.h compiles as C11 (-Wall -Wextra -Werror -pedantic)"
else
    cat "$WORK/header_c.err"; fail "header: include/ims.h compiles as C11"
fi
if g++ "${CXXFLAGS[@]}" -c "$WORK/header.cpp" -o "$WORK/header_cpp.o" 2> "$WORK/header_cpp.err"; then
    pass "header: include/ims.h compiles as C++17 (-Wall -Wextra -Werror -pedantic)"
else
    cat "$WORK/header_cpp.err"; fail "header: include/ims.h compiles as C++17"
fi

# --- the programs ---------------------------------------------------------------------------
programs=()
build() { # name, compiler command...
    local name=$1; shift
    if [ -n "${IMS_C_TESTS_ONLY:-}" ] && [[ " $IMS_C_TESTS_ONLY " != *" $name "* ]]; then
        return 0
    fi
    if "$@" 2> "$WORK/$name.build.err"; then
        programs+=("$name")
    else
        cat "$WORK/$name.build.err"; fail "build: $name"
    fi
}
build test_api gcc "${CFLAGS[@]}" "$SRC/test_api.c" "${SHARED[@]}" -o "$WORK/test_api"
build test_lifetime gcc "${CFLAGS[@]}" "$SRC/test_lifetime.c" "${SHARED[@]}" -lm -o "$WORK/test_lifetime"
build test_null gcc "${CFLAGS[@]}" "$SRC/test_null.c" "${SHARED[@]}" -o "$WORK/test_null"
build test_secrets gcc "${CFLAGS[@]}" "$SRC/test_secrets.c" "${SHARED[@]}" -o "$WORK/test_secrets"
build test_tls gcc "${CFLAGS[@]}" "$SRC/test_tls.c" "${SHARED[@]}" -o "$WORK/test_tls"
build test_threads gcc "${CFLAGS[@]}" -pthread "$SRC/test_threads.c" "${SHARED[@]}" -o "$WORK/test_threads"
build test_callbacks gcc "${CFLAGS[@]}" -pthread "$SRC/test_callbacks.c" "${SHARED[@]}" -o "$WORK/test_callbacks"
build test_fleet gcc "${CFLAGS[@]}" -pthread "$SRC/test_fleet.c" "${SHARED[@]}" -o "$WORK/test_fleet"
build test_cpp g++ "${CXXFLAGS[@]}" -pthread "$SRC/test_cpp.cpp" "${SHARED[@]}" -o "$WORK/test_cpp"
# The growth rule of ims_wait_options: test_abi with the current header (a larger struct, sizes
# below the minimum), test_abi_old with a copy of the header whose ims_wait_options lacks its
# last two fields (backoff, jitter), as an older header would have had it.
mkdir -p "$WORK/old-include"
awk '
    /^typedef struct ims_wait_options \{/ { in_struct = 1 }
    in_struct && /^\} ims_wait_options;/ { in_struct = 0; printf "%s", buf; buf = "" }
    !in_struct { print; next }
    /^    \/\*\*/ { held = $0 "\n"; holding = 1; next }
    holding && !/^    [a-z]/ { held = held $0 "\n"; next }
    /^    double (backoff|jitter);/ { held = ""; holding = 0; next }
    { buf = buf held $0 "\n"; held = ""; holding = 0 }
' "$ROOT/include/ims.h" > "$WORK/old-include/ims.h"
if grep -q 'double backoff;' "$WORK/old-include/ims.h" \
   || ! grep -q 'uint64_t max_interval_ms;' "$WORK/old-include/ims.h"; then
    fail "setup: the old header for test_abi_old was not made"
fi
build test_abi gcc "${CFLAGS[@]}" "$SRC/test_abi.c" "${SHARED[@]}" -o "$WORK/test_abi"
build test_abi_old gcc -std=c11 -Wall -Wextra -Werror -pedantic -g -I"$WORK/old-include" -I"$SRC" \
    -DIMS_TEST_OLD_HEADER "$SRC/test_abi.c" "${SHARED[@]}" -o "$WORK/test_abi_old"
# shellcheck disable=SC2086 # NATIVE_LIBS is a list of flags
build test_static gcc "${CFLAGS[@]}" "$SRC/test_static.c" "$LIB_DIR/libims.a" $NATIVE_LIBS -o "$WORK/test_static"
if [ -f "$WORK/test_static" ]; then
    if readelf -d "$WORK/test_static" | grep -q 'NEEDED.*libims'; then
        fail "static: test_static does not depend on libims.so"
    else
        pass "static: test_static is linked with libims.a only (no libims.so needed; $NATIVE_LIBS)"
    fi
fi
if [ -n "${IMS_C_TESTS_PREFIX:-}" ]; then
    pc_flags=$(PKG_CONFIG_PATH="$IMS_C_TESTS_PREFIX/lib/pkgconfig" pkg-config --cflags --libs ims)
    # shellcheck disable=SC2086 # pc_flags is a list of flags
    build quickstart gcc -std=c11 -Wall -Wextra -Werror "$SRC/quickstart.c" $pc_flags \
        -Wl,-rpath,"$IMS_C_TESTS_PREFIX/lib" -o "$WORK/quickstart"
    if [ -f "$WORK/quickstart" ]; then
        # It records the SONAME, not the development symlink nor the versioned file.
        major=$(sed -n 's/^#define IMS_VERSION_MAJOR \([0-9]*\)$/\1/p' "$ROOT/include/ims.h")
        minor=$(sed -n 's/^#define IMS_VERSION_MINOR \([0-9]*\)$/\1/p' "$ROOT/include/ims.h")
        if [ "$major" = 0 ]; then soname="libims.so.0.$minor"; else soname="libims.so.$major"; fi
        needed=$(readelf -d "$WORK/quickstart" | sed -n 's/.*(NEEDED).*\[\(libims.*\)\]/\1/p')
        if [ "$needed" = "$soname" ]; then
            pass "quickstart: built with pkg-config, it needs $needed"
        else
            fail "quickstart: built with pkg-config, it needs '$needed', expected $soname"
        fi
    fi
fi

# --- the emulators --------------------------------------------------------------------------
AK=CTESTAK000000000000X
SK=c-tests-secret-key-0000000000000000000
PROJECT=0123456789abcdef0123456789abcdef
# The tenant's limits (50 private images, 40 running jobs) are not what these programs test, and
# every program runs twice (plainly, then under valgrind) against the same emulators: they are
# lifted unless an emulator sets its own (the fleet's, which tests its quota).
start_emulator() { # name, extra args... ; sets $url
    local name=$1; shift
    local limits=(--image-quota 1000000 --max-concurrent-jobs 10000)
    [[ " $* " == *" --image-quota "* ]] && limits=()
    "$EMULATOR" emulator --listen 127.0.0.1:0 --ak "$AK" --sk "$SK" --project-id "$PROJECT" \
        "${limits[@]}" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
    emulator_pids+=($!)
    url=
    for _ in $(seq 1 200); do
        url=$(head -n 1 "$WORK/$name.out" 2>/dev/null)
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    cat "$WORK/$name.err"
    return 1
}
if ! start_emulator ok --job-seconds 1; then fail "setup: emulator did not start"; exit 1; fi
export IMS_TEST_ENDPOINT=$url
if ! start_emulator fail --job-seconds 1 --fail-rate 1.0; then fail "setup: failing emulator did not start"; exit 1; fi
export IMS_TEST_FAIL_ENDPOINT=$url
if ! start_emulator slow --job-seconds 120; then fail "setup: slow emulator did not start"; exit 1; fi
export IMS_TEST_SLOW_ENDPOINT=$url
# Jobs of 6 s: long enough for several polls even under valgrind on a loaded machine.
if ! start_emulator medium --job-seconds 6; then fail "setup: medium emulator did not start"; exit 1; fi
export IMS_TEST_MEDIUM_ENDPOINT=$url
# Fleets: jobs of a second and room for every image test_fleet makes (plain and under valgrind).
if ! start_emulator fleet --job-seconds 1 --image-quota 1000; then fail "setup: fleet emulator did not start"; exit 1; fi
export IMS_TEST_FLEET_ENDPOINT=$url
# Temporary credentials (a security token) and the gateway's unredacted echo, for test_secrets.
TOKEN=gQpjbi1ub3J0aC00CTESTSECRETTOKENvalue0123456789abcdef
if ! start_emulator secrets --job-seconds 3 --security-token "$TOKEN" --echo-unredacted; then
    fail "setup: secrets emulator did not start"; exit 1
fi
export IMS_TEST_SECRETS_ENDPOINT=$url IMS_TEST_SECURITY_TOKEN=$TOKEN
# An emulator stopped at once: its URL refuses connections.
if ! start_emulator closed --job-seconds 1; then fail "setup: closed emulator did not start"; exit 1; fi
kill "${emulator_pids[-1]}" && wait "${emulator_pids[-1]}" 2>/dev/null
unset 'emulator_pids[-1]'
export IMS_TEST_CLOSED_ENDPOINT=$url
# HTTPS: a valid certificate, one for another host name, an expired one (each with its CA).
for kind in valid other-host expired; do
    if ! start_emulator "tls-$kind" --job-seconds 1 --tls-certificate "$kind" \
            --ca-out "$WORK/ca-$kind.pem"; then
        fail "setup: TLS emulator ($kind) did not start"; exit 1
    fi
    case $kind in
        valid) export IMS_TEST_TLS_ENDPOINT=$url IMS_TEST_TLS_CA_FILE=$WORK/ca-$kind.pem ;;
        other-host) export IMS_TEST_TLS_OTHER_HOST_ENDPOINT=$url \
            IMS_TEST_TLS_OTHER_HOST_CA_FILE=$WORK/ca-$kind.pem ;;
        expired) export IMS_TEST_TLS_EXPIRED_ENDPOINT=$url \
            IMS_TEST_TLS_EXPIRED_CA_FILE=$WORK/ca-$kind.pem ;;
    esac
done
export IMS_TEST_AK=$AK IMS_TEST_SK=$SK IMS_TEST_PROJECT_ID=$PROJECT
echo "emulators: $IMS_TEST_ENDPOINT (jobs succeed in 1 s), $IMS_TEST_FAIL_ENDPOINT (jobs fail)," \
    "$IMS_TEST_SLOW_ENDPOINT (jobs take 2 minutes)"

# Runs one program; counts its PASS/FAIL lines, and a non-zero exit without a FAIL line.
run_program() { # name, command...
    local name=$1; shift
    local log="$WORK/$name.log"
    timeout 300 "$@" > "$log" 2> "$WORK/$name.stderr"
    local rc=$?
    cat "$log"
    local p f
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        tail -n 20 "$WORK/$name.stderr"
        fail "$name: exited with status $rc"
    fi
}
for name in "${programs[@]}"; do
    if [ "$name" = quickstart ]; then
        HUAWEICLOUD_SDK_AK=$AK HUAWEICLOUD_SDK_SK=$SK HUAWEICLOUD_SDK_PROJECT_ID=$PROJECT \
            IMS_ENDPOINT=$IMS_TEST_ENDPOINT timeout 120 "$WORK/quickstart" > "$WORK/quickstart.log" 2>&1
        rc=$?
        if [ "$rc" = 0 ] && grep -q '^image ' "$WORK/quickstart.log"; then
            pass "quickstart: built with pkg-config from the installed prefix, created and waited ($(grep '^image ' "$WORK/quickstart.log"))"
        else
            cat "$WORK/quickstart.log"; fail "quickstart: exited with status $rc"
        fi
        continue
    fi
    run_program "$name" "$WORK/$name"
done

# --- valgrind -------------------------------------------------------------------------------
if [ "$VALGRIND" = 1 ]; then
    supp=()
    [ -f "$SRC/valgrind.supp" ] && supp=(--suppressions="$SRC/valgrind.supp")
    for name in "${programs[@]}"; do
        [ "$name" = quickstart ] && continue
        log="$WORK/$name.valgrind.log"
        timeout 600 valgrind --num-callers=40 --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite "${supp[@]}" --log-file="$WORK/$name.valgrind.txt" \
            "$WORK/$name" > "$log" 2>&1
        rc=$?
        cases=$(grep -c '^PASS ' "$log")
        if [ "$rc" = 0 ] && ! grep -q '^FAIL ' "$log"; then
            pass "valgrind: $name ($cases cases; no memory error, no definite leak)"
        else
            grep '^FAIL \|check failed\|returned' "$log"
            grep -v '^==[0-9]*== *$' "$WORK/$name.valgrind.txt" | tail -n 60
            fail "valgrind: $name (status $rc)"
        fi
    done
else
    echo "valgrind: not run (IMS_C_TESTS_VALGRIND=0 or valgrind missing)"
fi

if [ "${IMS_C_TESTS_NESTED:-0}" != 1 ]; then
    echo "$passed passed, $failed failed"
fi
if [ "$failed" = 0 ]; then exit 0; else exit 1; fi
