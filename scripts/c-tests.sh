#!/usr/bin/env bash
# The C ABI suite: builds libims and the emulator, checks that include/ims.h is exactly what
# the pinned cbindgen generates, checks the ABI against the committed baseline
# (scripts/abi-check.sh), the SONAME and the exported symbols, installs into a temporary prefix
# (versioned library, pkg-config, CMake), then runs the C/C++ programs of tests/c/ against the
# emulator, plainly and under valgrind.
#
#   scripts/c-tests.sh                  everything; last line "N passed, M failed"
#   scripts/c-tests.sh --regen-header   rewrite include/ims.h with the pinned cbindgen and stop
#   scripts/c-tests.sh --no-valgrind    skip the valgrind runs
#
# Installs what it lacks: gcc/g++/valgrind/pkg-config/cmake (and, through scripts/abi-check.sh,
# abi-dumper/abi-compliance-checker) with apt-get (when root), and the pinned
# cbindgen with `cargo install` into ${IMS_TOOLS_DIR:-~/.cache/ims-tools}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR=never

CBINDGEN_VERSION=0.29.4
TOOLS="${IMS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ims-tools}"
CBINDGEN="$TOOLS/cbindgen-$CBINDGEN_VERSION/bin/cbindgen"

regen=0
for arg in "$@"; do
    case "$arg" in
        --regen-header) regen=1 ;;
        --no-valgrind) export IMS_C_TESTS_VALGRIND=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "c-tests.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

step() { printf '\n== %s\n' "$*"; }
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# --- tools ----------------------------------------------------------------------------------
step "tools"
missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
if [ "${IMS_C_TESTS_VALGRIND:-1}" != 0 ]; then
    command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "c-tests.sh: missing ${missing[*]} (install them, or run as root with apt-get)" >&2
        exit 1
    fi
fi
if [ ! -x "$CBINDGEN" ] || [ "$("$CBINDGEN" --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "installing cbindgen $CBINDGEN_VERSION into $TOOLS (once)"
    # Its own temporary target dir: not the workspace's.
    env -u CARGO_TARGET_DIR cargo install cbindgen --version "=$CBINDGEN_VERSION" --locked \
        --root "$TOOLS/cbindgen-$CBINDGEN_VERSION" --quiet
fi
echo "gcc $(gcc -dumpfullversion), g++ $(g++ -dumpfullversion), $("$CBINDGEN" --version)," \
    "$(cmake --version | head -n 1)," \
    "$(command -v valgrind >/dev/null 2>&1 && valgrind --version || echo 'no valgrind')"

generate_header() { # output file
    "$CBINDGEN" --quiet --config ffi/cbindgen.toml --crate ims-ffi --output "$1" ffi
}
if [ "$regen" = 1 ]; then
    generate_header include/ims.h
    echo "include/ims.h regenerated with cbindgen $CBINDGEN_VERSION"
    exit 0
fi

# --- build ----------------------------------------------------------------------------------
step "build (cargo build -p ims-ffi -p ims-cli)"
cargo build --locked -p ims-ffi -p ims-cli
native_libs=$(cargo rustc --locked -p ims-ffi --lib --crate-type staticlib \
    -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -n 1)
export IMS_NATIVE_STATIC_LIBS="${native_libs:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}"
echo "libims.a needs: $IMS_NATIVE_STATIC_LIBS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ims-c-tests-main.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- header ---------------------------------------------------------------------------------
step "header (cbindgen $CBINDGEN_VERSION)"
generate_header "$WORK/ims.h"
if diff -u include/ims.h "$WORK/ims.h"; then
    pass "header: include/ims.h is exactly what cbindgen $CBINDGEN_VERSION generates from ffi/"
else
    fail "header: include/ims.h differs from the generated one (scripts/c-tests.sh --regen-header)"
fi

# --- ABI ----------------------------------------------------------------------------------
step "ABI (scripts/abi-check.sh: include/ims.h against ffi/abi/, with its self-test)"
set +e
IMS_ABI_CHECK_NESTED=1 scripts/abi-check.sh --lib "$CARGO_TARGET_DIR/debug/libims.so" 2>&1 | tee "$WORK/abi.log"
abi_rc=${PIPESTATUS[0]}
set -e
p=$(grep -c '^PASS ' "$WORK/abi.log" || true)
f=$(grep -c '^FAIL ' "$WORK/abi.log" || true)
passed=$((passed + p))
failed=$((failed + f))
if [ "$abi_rc" != 0 ] && [ "$f" = 0 ]; then
    fail "scripts/abi-check.sh exited with status $abi_rc"
fi

# --- the shared library as a distribution ships it ------------------------------------------
step "shared library (SONAME, exported symbols)"
lib="$CARGO_TARGET_DIR/debug/libims.so"
major=$(sed -n 's/^#define IMS_VERSION_MAJOR \([0-9]*\)$/\1/p' include/ims.h)
minor=$(sed -n 's/^#define IMS_VERSION_MINOR \([0-9]*\)$/\1/p' include/ims.h)
if [ "$major" = 0 ]; then soname="libims.so.0.$minor"; else soname="libims.so.$major"; fi
got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$got" = "$soname" ]; then
    pass "soname: libims.so has SONAME $got (0.x: libims.so.0.MINOR, as cargo-c sets it)"
else
    fail "soname: libims.so has SONAME '$got', expected $soname (ffi/build.rs)"
fi
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u > "$WORK/exports.txt"
others=$(grep -v '^ims_' "$WORK/exports.txt" || true)
count=$(wc -l < "$WORK/exports.txt")
if [ -z "$others" ] && [ "$count" -gt 40 ]; then
    pass "exports: all $count dynamic symbols libims.so defines start with ims_ (nm -D --defined-only)"
else
    printf '%s\n' "$others" | head -n 20
    fail "exports: libims.so defines $(printf '%s\n' "$others" | grep -c .) symbols without the ims_ prefix ($count in all)"
fi

# --- install --------------------------------------------------------------------------------
step "install (scripts/install-c.sh into a temporary prefix)"
prefix="$WORK/prefix"
if scripts/install-c.sh --profile debug --no-build "$prefix" > "$WORK/install.log" 2>&1; then
    version=$(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/ims.pc")
    pc_version=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion ims 2>/dev/null || true)
    ok=1
    for f in include/ims.h "lib/libims.so.$version" lib/libims.a lib/pkgconfig/ims.pc \
             lib/cmake/ims/imsConfig.cmake lib/cmake/ims/imsConfigVersion.cmake; do
        [ -f "$prefix/$f" ] && [ ! -L "$prefix/$f" ] || { echo "missing $prefix/$f"; ok=0; }
    done
    # The usual symlinks: the SONAME to the file, the development name to the SONAME.
    if [ "$(readlink "$prefix/lib/$soname")" = "libims.so.$version" ] \
       && [ "$(readlink "$prefix/lib/libims.so")" = "$soname" ]; then
        pass "install: lib/libims.so.$version, $soname -> libims.so.$version, libims.so -> $soname"
    else
        ls -l "$prefix/lib"
        fail "install: the versioned library and its symlinks"
    fi
    # Relocatable: the same tree moved elsewhere (as when a tarball of it is unpacked) gives
    # flags for where it now is.
    cp -a "$prefix" "$WORK/moved"
    moved_flags=$(PKG_CONFIG_PATH="$WORK/moved/lib/pkgconfig" pkg-config --cflags --libs ims 2>&1 || true)
    moved_dir=$(cd "$WORK/moved" && pwd)
    libdir=$(PKG_CONFIG_PATH="$WORK/moved/lib/pkgconfig" pkg-config --variable=libdir ims 2>/dev/null || true)
    if [[ "$moved_flags" == *"-I$moved_dir/lib/pkgconfig/../../include"* || "$moved_flags" == *"-I$moved_dir/include"* ]] \
       && [ "$(cd "$libdir" 2>/dev/null && pwd)" = "$moved_dir/lib" ] \
       && ! grep -q "$prefix" "$WORK/moved/lib/pkgconfig/ims.pc" "$WORK/moved/lib/cmake/ims/"*.cmake; then
        pass "install: relocatable (the moved tree's ims.pc gives: $moved_flags)"
    else
        fail "install: not relocatable (moved tree's ims.pc gives: $moved_flags; libdir $libdir)"
    fi
    rm -rf "$WORK/moved"
    if [ "$ok" = 1 ] && [ -n "$version" ] && [ "$pc_version" = "$version" ]; then
        pass "install: headers, libraries, ims.pc (pkg-config --modversion ims = $pc_version), CMake package"
        export IMS_C_TESTS_PREFIX="$prefix"
    else
        fail "install: incomplete prefix (pkg-config says '$pc_version')"
    fi
    if command -v cmake >/dev/null 2>&1; then
        mkdir -p "$WORK/cmake-src"
        cp tests/c/quickstart.c "$WORK/cmake-src/"
        cat > "$WORK/cmake-src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(ims_quickstart C)
find_package(ims 0.1 CONFIG REQUIRED)
add_executable(quickstart quickstart.c)
target_link_libraries(quickstart PRIVATE ims::ims)
add_executable(quickstart_static quickstart.c)
target_link_libraries(quickstart_static PRIVATE ims::ims_static)
EOF
        if cmake -S "$WORK/cmake-src" -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
               > "$WORK/cmake.log" 2>&1 \
           && cmake --build "$WORK/cmake-build" >> "$WORK/cmake.log" 2>&1; then
            pass "install: find_package(ims CONFIG) builds with ims::ims and ims::ims_static"
            needed=$(readelf -d "$WORK/cmake-build/quickstart" | sed -n 's/.*(NEEDED).*\[\(libims.*\)\]/\1/p')
            if [ "$needed" = "$soname" ] \
               && ! readelf -d "$WORK/cmake-build/quickstart_static" | grep -q 'NEEDED.*libims'; then
                pass "install: the CMake-built program needs $needed (IMPORTED_SONAME); the static one no libims.so"
            else
                fail "install: the CMake-built program needs '$needed', expected $soname"
            fi
        else
            tail -n 30 "$WORK/cmake.log"
            fail "install: find_package(ims CONFIG)"
        fi
    else
        # Not a silent skip: the tools step installs cmake, so this means it is broken.
        fail "install: cmake is missing, the CMake package was not exercised"
    fi
else
    cat "$WORK/install.log"
    fail "install: scripts/install-c.sh failed"
fi

# --- programs -------------------------------------------------------------------------------
step "C and C++ programs (tests/c/run.sh)"
set +e
IMS_C_TESTS_NESTED=1 tests/c/run.sh 2>&1 | tee "$WORK/run.log"
run_rc=${PIPESTATUS[0]}
set -e
p=$(grep -c '^PASS ' "$WORK/run.log" || true)
f=$(grep -c '^FAIL ' "$WORK/run.log" || true)
passed=$((passed + p))
failed=$((failed + f))
if [ "$run_rc" != 0 ] && [ "$f" = 0 ]; then
    fail "tests/c/run.sh exited with status $run_rc"
fi

echo
echo "$passed passed, $failed failed"
if [ "$failed" = 0 ]; then exit 0; else exit 1; fi
