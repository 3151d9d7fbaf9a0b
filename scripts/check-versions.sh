#!/usr/bin/env bash
# One version everywhere: every door of an INSTALLED set of artifacts reports the workspace
# version (Cargo.toml [workspace.package] version). Run by scripts/dist-check.sh on what it
# installed; each option checks one door, and at least one is needed.
#
#   scripts/check-versions.sh [--cli IMS_BINARY]... [--python PYTHON]... [--c-prefix PREFIX]...
#                             [--dist DIR]
#
#   --cli BIN        `BIN --version` says "ims VERSION"
#   --python PY      `import ims`: ims.__version__, and the distribution ims-fullimage's metadata
#   --c-prefix DIR   a C install (scripts/install-c.sh or the C tarball): ims_version() and the
#                    IMS_VERSION_* macros of DIR/include/ims.h (a program built with pkg-config
#                    from DIR), `pkg-config --modversion ims`, and the CMake package's ims_VERSION
#   --dist DIR       the file names of scripts/dist.sh's artifacts, the wheel's METADATA, the
#                    sdist's PKG-INFO and each .crate's Cargo.toml
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "check-versions.sh: no [workspace.package] version in Cargo.toml" >&2; exit 2; }

clis=() pythons=() prefixes=() dist=
while [ $# -gt 0 ]; do
    case "$1" in
        --cli) clis+=("${2:?--cli needs a path}"); shift 2 ;;
        --python) pythons+=("${2:?--python needs a path}"); shift 2 ;;
        --c-prefix) prefixes+=("${2:?--c-prefix needs a path}"); shift 2 ;;
        --dist) dist="${2:?--dist needs a path}"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "check-versions.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ ${#clis[@]} -eq 0 ] && [ ${#pythons[@]} -eq 0 ] && [ ${#prefixes[@]} -eq 0 ] && [ -z "$dist" ]; then
    echo "check-versions.sh: nothing to check (see --help)" >&2
    exit 2
fi

failed=0
check() { # what, found
    if [ "$2" = "$version" ]; then
        echo "ok    $1: $2"
    else
        echo "WRONG $1: '$2', expected $version"
        failed=1
    fi
}

for cli in ${clis[@]+"${clis[@]}"}; do
    out=$("$cli" --version 2>&1 || true)
    check "$cli --version" "$(printf '%s\n' "$out" | sed -n 's/^ims \([^ ]*\).*/\1/p' | head -n 1)"
done

for py in ${pythons[@]+"${pythons[@]}"}; do
    check "$py: ims.__version__" "$("$py" -c 'import ims; print(ims.__version__)' 2>&1 || true)"
    check "$py: distribution ims-fullimage" \
        "$("$py" -c 'import importlib.metadata as m; print(m.version("ims-fullimage"))' 2>&1 || true)"
done

for prefix in ${prefixes[@]+"${prefixes[@]}"}; do
    prefix=$(cd "$prefix" && pwd)
    work=$(mktemp -d "${TMPDIR:-/tmp}/ims-check-versions.XXXXXX")
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
    check "$prefix: pkg-config --modversion ims" "$(pkg-config --modversion ims 2>&1 || true)"
    cat > "$work/v.c" <<'C'
#include <stdio.h>
#include <ims.h>
int main(void) {
    printf("%s %d.%d.%d\n", ims_version(), IMS_VERSION_MAJOR, IMS_VERSION_MINOR, IMS_VERSION_PATCH);
    return 0;
}
C
    # shellcheck disable=SC2046
    if cc -std=c11 "$work/v.c" $(pkg-config --cflags --libs ims) -Wl,-rpath,"$(pkg-config --variable=libdir ims)" \
           -o "$work/v" 2> "$work/cc.log"; then
        read -r runtime macros < <("$work/v")
        check "$prefix: ims_version()" "$runtime"
        check "$prefix: IMS_VERSION_MAJOR.MINOR.PATCH of ims.h" "$macros"
    else
        cat "$work/cc.log"
        check "$prefix: ims_version() (the program did not build)" ""
    fi
    # No language (NONE): a project that only asks for the version has no compiler, and
    # CMAKE_SIZEOF_VOID_P is then unset; the package must still be found (it once was refused).
    mkdir -p "$work/cmake"
    cat > "$work/cmake/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(ims_version NONE)
find_package(ims CONFIG REQUIRED)
message(STATUS "ims_VERSION=${ims_VERSION}")
CMAKE
    cmake_version=$( (cmake -S "$work/cmake" -B "$work/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" 2>&1 || true) \
        | sed -n 's/^-- ims_VERSION=//p')
    check "$prefix: CMake package ims_VERSION" "$cmake_version"
    rm -rf "$work"
    unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
done

if [ -n "$dist" ]; then
    target=$(rustc -vV | sed -n 's/^host: //p')
    for f in "ims_fullimage-$version-"'*.whl' "ims_fullimage-$version.tar.gz" \
             "ims-c-$version-$target.tar.gz" "ims-cli-$version-$target.tar.gz" \
             "ims-core-$version.crate" "ims-emulator-$version.crate" "ims-cli-$version.crate" \
             "ims-ffi-$version.crate"; do
        # shellcheck disable=SC2086
        if ls "$dist"/$f >/dev/null 2>&1; then
            echo "ok    $dist/$f exists"
        else
            echo "WRONG $dist/$f is missing (ls: $(cd "$dist" && ls | tr '\n' ' '))"
            failed=1
        fi
    done
    for whl in "$dist"/ims_fullimage-*.whl; do
        [ -f "$whl" ] || continue
        check "$(basename "$whl"): METADATA Version" "$(python3 - "$whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    print(next(l.split(":", 1)[1].strip() for l in z.read(name).decode().splitlines() if l.startswith("Version:")))
PY
)"
    done
    for sdist in "$dist"/ims_fullimage-*.tar.gz; do
        [ -f "$sdist" ] || continue
        check "$(basename "$sdist"): PKG-INFO Version" \
            "$(tar -xzOf "$sdist" --wildcards '*/PKG-INFO' | sed -n 's/^Version: //p' | head -n 1)"
    done
    for crate in "$dist"/*.crate; do
        [ -f "$crate" ] || continue
        check "$(basename "$crate"): Cargo.toml version" \
            "$(tar -xzOf "$crate" --wildcards '*/Cargo.toml' | sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' | head -n 1)"
    done
fi

if [ "$failed" = 0 ]; then
    echo "versions: everything says $version"
else
    echo "versions: MISMATCH (expected $version everywhere)"
fi
exit "$failed"
