#!/usr/bin/env bash
# Builds every release artifact into dist/ (DIST overrides), with SHA256SUMS:
#
#   ims_fullimage-VERSION-cp39-abi3-manylinux2014_ARCH.manylinux_2_17_ARCH.whl
#                                  the Python wheel (maturin --zig, profile "wheel", checked
#                                  for manylinux2014 compliance by maturin's auditwheel)
#   ims_fullimage-VERSION.tar.gz   the Python sdist (maturin sdist)
#   ims-core-VERSION.crate, ims-emulator-VERSION.crate, ims-cli-VERSION.crate,
#   ims-ffi-VERSION.crate          the crates (`cargo package`, `cargo publish --dry-run`;
#                                  scripts/dist-check.sh builds each from its package alone)
#   ims-c-VERSION-TARGET.tar.gz    the C library: scripts/install-c.sh's prefix (release) + LICENSE
#   ims-cli-VERSION-TARGET.tar.gz  the `ims` command (release) + LICENSE + README.md
#
# Needs Rust and a CPython >= 3.9 with venv; installs maturin and ziglang into a build venv
# under target/dist-work (kept between runs). scripts/dist-check.sh installs and tries them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1

DIST="${DIST:-$ROOT/dist}"
WORK="$CARGO_TARGET_DIR/dist-work"
PYTHON="${PYTHON:-python3}"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
target=$(rustc -vV | sed -n 's/^host: //p')

step() { printf '\n== dist: %s\n' "$*"; }
timed() { # label, command...: runs it and prints how long it took
    local label=$1 start=$SECONDS; shift
    "$@"
    echo "dist: $label took $((SECONDS - start)) s"
}

for tool in objdump strip; do
    command -v "$tool" >/dev/null 2>&1 \
        || { echo "dist: $tool is missing (binutils; scripts/c-tests.sh installs it)" >&2; exit 1; }
done
rm -rf "$DIST"
mkdir -p "$DIST" "$WORK"

step "build venv (maturin, ziglang)"
if [ ! -x "$WORK/build/bin/maturin" ] || [ ! -x "$WORK/build/bin/python" ] \
   || ! "$WORK/build/bin/python" -c 'import ziglang' 2>/dev/null; then
    rm -rf "$WORK/build"
    "$PYTHON" -m venv "$WORK/build"
    "$WORK/build/bin/python" -m pip install --quiet --retries 3 --timeout 60 "maturin>=1.9.4,<2" ziglang
fi
echo "$("$WORK/build/bin/maturin" --version), zig $("$WORK/build/bin/python" -m ziglang version)"

# The wheel: linked by zig against glibc 2.17's symbols, so that the manylinux2014 tag is
# earned, and checked by maturin's own auditwheel (`check` fails on a non-compliant wheel).
step "wheel (maturin build --zig --compatibility manylinux2014 --auditwheel check)"
wheel_build() {
    PATH="$WORK/build/bin:$PATH" "$WORK/build/bin/maturin" build --locked -m python/Cargo.toml \
        -i "$WORK/build/bin/python" --zig --compatibility manylinux2014 --auditwheel check \
        -o "$DIST"
}
timed wheel wheel_build

step "sdist (maturin sdist)"
timed sdist "$WORK/build/bin/maturin" sdist -m python/Cargo.toml -o "$DIST"

# The crates, in dependency order: `cargo package` makes them, the ones a crate depends on taken
# from the packages just made (cargo's local overlay), not from the workspace; `cargo publish
# --dry-run` runs the registry's own checks. Neither builds them (--no-verify): that takes
# minutes of debug builds, and scripts/dist-check.sh builds each one from its unpacked package
# anyway (release, sharing what is built). IMS_DIST_VERIFY=1 has cargo verify them as well.
step "crates (cargo package + cargo publish --dry-run, --workspace --exclude ims-python)"
verify=(--no-verify)
[ "${IMS_DIST_VERIFY:-0}" = 1 ] && verify=()
crates() {
    rm -f "$CARGO_TARGET_DIR"/package/*.crate
    cargo package --locked --allow-dirty "${verify[@]}" --workspace --exclude ims-python
    cargo publish --dry-run --locked --allow-dirty --no-verify --workspace --exclude ims-python
}
timed crates crates
for c in ims-core ims-emulator ims-cli ims-ffi; do
    cp "$CARGO_TARGET_DIR/package/$c-$version.crate" "$DIST/"
done

# The C library and the CLI: the `release` profile (as `cargo install` and `cargo run --release`).
# The CLI alone, as bench/ builds it later (the same features, so reused there).
step "release build of the CLI (cargo build --release -p ims-cli)"
timed "CLI release build" cargo build --locked --release -p ims-cli

step "C tarball"
c_name="ims-c-$version-$target"
rm -rf "${WORK:?}/$c_name"
# install-c.sh builds it: `cargo build --release -p ims-ffi`, then the staticlib alone (which
# prints its native libraries and, without the rlib beside it, gets LTO: libims.a is 30 MB
# instead of the 70 MB `cargo build` leaves, measured on 2026-12-02).
timed "C release build + install" scripts/install-c.sh "$WORK/$c_name"
# install-c.sh writes a relocatable tree (ims.pc: prefix=${pcfiledir}/../..; the CMake package
# relative to itself): the tarball works wherever it is unpacked (dist-check.sh unpacks it fresh).
install -m 0644 LICENSE "$WORK/$c_name/LICENSE"
# The shipped library without its symbol table (the dynamic symbols, the ims_ exports, stay):
# 6.9 MB instead of 8.3 MB (2026-12-02). Installs from a checkout keep it.
strip --strip-unneeded "$WORK/$c_name/lib/libims.so.$version"
tar -C "$WORK" -czf "$DIST/$c_name.tar.gz" --owner=0 --group=0 --numeric-owner "$c_name"

step "CLI tarball"
cli_name="ims-cli-$version-$target"
rm -rf "${WORK:?}/$cli_name"
mkdir -p "$WORK/$cli_name"
install -m 0755 "$CARGO_TARGET_DIR/release/ims" "$WORK/$cli_name/ims"
# Without its symbol table, as the wheel's module is (pyproject: strip): 9.4 MB instead of 11.3.
strip "$WORK/$cli_name/ims"
install -m 0644 LICENSE README.md "$WORK/$cli_name/"
glibc=$(objdump -T "$WORK/$cli_name/ims" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
echo "ims needs glibc >= ${glibc#GLIBC_} (the highest GLIBC_ symbol version it links)"
tar -C "$WORK" -czf "$DIST/$cli_name.tar.gz" --owner=0 --group=0 --numeric-owner "$cli_name"

step "SHA256SUMS"
(cd "$DIST" && sha256sum -- *.whl *.tar.gz *.crate > SHA256SUMS)
(cd "$DIST" && for f in *; do printf '%10d  %s\n' "$(stat -c %s "$f")" "$f"; done)
echo "dist: ims $version for $target in $DIST (the CLI needs glibc >= ${glibc#GLIBC_})"
