#!/usr/bin/env bash
# Installs each artifact of dist/ (scripts/dist.sh; DIST overrides) into a clean place and runs
# that door's quick start against the emulator, then scripts/check-versions.sh on what it
# installed:
#
#   wheel   a fresh venv, `pip install --only-binary :all:`, scripts/python_quick_start.py
#   sdist   a fresh venv, pip builds it from source, scripts/python_quick_start.py
#   C       the tarball unpacked into a fresh directory; tests/c/quickstart.c built with
#           pkg-config pointed only there, run against `ims emulator`
#   crates  `cargo install --path` of the unpacked ims-cli .crate into a fresh root, its
#           ims-core/ims-emulator taken from the unpacked .crate files ([patch]), then
#           `ims --version` and `ims demo`; and ims-ffi built from its unpacked .crate (so each
#           crate builds from its package alone, which scripts/dist.sh leaves to this script)
#   CLI     the tarball's `ims demo`
#
# The sdist is built with the dev profile (MATURIN_PEP517_ARGS=--profile dev; pip cannot pass
# it otherwise): this proves that it builds from source, quickly; the wheel is the optimised
# artifact. Work files go to target/dist-check.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1

DIST="${DIST:-$ROOT/dist}"
case "$DIST" in /*) ;; *) DIST="$ROOT/$DIST" ;; esac
PYTHON="${PYTHON:-python3}"
WORK="$CARGO_TARGET_DIR/dist-check"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
target=$(rustc -vV | sed -n 's/^host: //p')

step() { printf '\n== dist-check: %s\n' "$*"; }
timed() { # label, command...
    local label=$1 start=$SECONDS; shift
    "$@"
    echo "dist-check: $label took $((SECONDS - start)) s"
}
one() { # pattern: the one file of dist/ that matches it
    local matches=("$DIST"/$1)
    if [ ${#matches[@]} -ne 1 ] || [ ! -f "${matches[0]}" ]; then
        echo "dist-check: expected one $1 in $DIST (scripts/dist.sh makes them)" >&2
        exit 1
    fi
    echo "${matches[0]}"
}

# The C tools (scripts/c-tests.sh installs them when missing; scripts/test.sh runs it first).
for tool in cc pkg-config cmake; do
    command -v "$tool" >/dev/null 2>&1 \
        || { echo "dist-check: $tool is missing (scripts/c-tests.sh installs it with apt-get)" >&2; exit 1; }
done

wheel=$(one "ims_fullimage-$version-*.whl")
sdist=$(one "ims_fullimage-$version.tar.gz")
c_tarball=$(one "ims-c-$version-$target.tar.gz")
cli_tarball=$(one "ims-cli-$version-$target.tar.gz")
rm -rf "$WORK"
mkdir -p "$WORK"

step "SHA256SUMS"
(cd "$DIST" && sha256sum --check --quiet SHA256SUMS) && echo "every checksum matches"

# The README's Python snippet must be in scripts/python_quick_start.py: every line of it but the
# client's (made for the emulator there) and the `...` placeholders.
step "the README's Python quick start is scripts/python_quick_start.py's"
"$PYTHON" - README.md scripts/python_quick_start.py <<'PY'
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("## Python quick start", 1)[1]
snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
script = {line.strip() for line in open(sys.argv[2], encoding="utf-8")}
missing = [l for l in snippet.splitlines()
           if l.strip() and l.strip() != "..." and not l.lstrip().startswith("client = ")
           and l.strip() not in script]
if missing:
    sys.exit("README Python quick start lines missing from the script:\n" + "\n".join(missing))
print("every line of the README's snippet is in the script (the client's aside)")
PY

quick_start_py() { # venv
    "$1/bin/python" "$ROOT/scripts/python_quick_start.py" | tee "$1.log"
    grep -q '^image ' "$1.log"
}

step "wheel: fresh venv, pip install --only-binary :all:, the Python quick start"
wheel_check() {
    "$PYTHON" -m venv "$WORK/venv-wheel"
    "$WORK/venv-wheel/bin/python" -m pip install --quiet --only-binary :all: "$wheel"
    (cd "$WORK" && quick_start_py "$WORK/venv-wheel")
}
timed wheel wheel_check

step "sdist: fresh venv, pip builds it from source (dev profile), the Python quick start"
sdist_check() {
    "$PYTHON" -m venv "$WORK/venv-sdist"
    MATURIN_PEP517_ARGS="--profile dev" "$WORK/venv-sdist/bin/python" -m pip install --quiet \
        --no-binary ims-fullimage "$sdist"
    (cd "$WORK" && quick_start_py "$WORK/venv-sdist")
}
timed sdist sdist_check

step "CLI tarball: ims --version, ims demo"
cli_tarball_check() {
    mkdir -p "$WORK/cli"
    tar -C "$WORK/cli" -xzf "$cli_tarball"
    "$WORK/cli/ims-cli-$version-$target/ims" --version
    "$WORK/cli/ims-cli-$version-$target/ims" demo --job-seconds 1 > "$WORK/cli-demo.log" 2>&1 \
        || { cat "$WORK/cli-demo.log"; return 1; }
    tail -n 3 "$WORK/cli-demo.log"
}
timed "CLI tarball" cli_tarball_check
ims_bin="$WORK/cli/ims-cli-$version-$target/ims"

step "C tarball: unpacked, quickstart.c built with pkg-config from there, run against the emulator"
c_check() {
    mkdir -p "$WORK/c"
    tar -C "$WORK/c" -xzf "$c_tarball"
    local prefix="$WORK/c/ims-c-$version-$target"
    # Only the unpacked prefix: no system or other pkg-config directories.
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
        pkg-config --cflags --libs ims
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror tests/c/quickstart.c \
        $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
          pkg-config --cflags --libs ims) -Wl,-rpath,"$prefix/lib" -o "$WORK/quickstart"
    local ak=DISTCHECKAK000000000X sk=dist-check-secret-key-000000000000000 project=0123456789abcdef0123456789abcdef
    "$ims_bin" emulator --listen 127.0.0.1:0 --ak "$ak" --sk "$sk" --project-id "$project" \
        --job-seconds 1 > "$WORK/emulator.out" 2> "$WORK/emulator.err" &
    local pid=$! url=
    for _ in $(seq 1 200); do
        url=$(head -n 1 "$WORK/emulator.out" 2>/dev/null || true)  # not there yet: keep waiting
        [ -n "$url" ] && break
        sleep 0.1
    done
    local rc=0
    if [ -z "$url" ]; then
        cat "$WORK/emulator.err"; rc=1
    else
        HUAWEICLOUD_SDK_AK=$ak HUAWEICLOUD_SDK_SK=$sk HUAWEICLOUD_SDK_PROJECT_ID=$project \
            IMS_ENDPOINT=$url timeout 120 "$WORK/quickstart" > "$WORK/quickstart.log" 2>&1 || rc=$?
        cat "$WORK/quickstart.log"
        grep -q '^image ' "$WORK/quickstart.log" || rc=1
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return "$rc"
}
timed "C tarball" c_check

# ims-cli's dependencies ims-core and ims-emulator are not on crates.io (yet): [patch] entries
# point at their unpacked .crate files. The workspace's release profile (thin LTO, 4 codegen
# units; a package carries no profile) and its target dir: what is already built is reused.
step "crates: cargo install --path of the unpacked ims-cli .crate into a fresh root; ims-ffi from its .crate"
# Unpacked outside the repository: inside it, cargo would take them for members of its workspace.
crates_dir=$(mktemp -d "${TMPDIR:-/tmp}/ims-dist-crates.XXXXXX")
trap 'rm -rf "$crates_dir"' EXIT
crate_check() {
    for c in ims-core ims-emulator ims-cli ims-ffi; do
        tar -C "$crates_dir" -xzf "$(one "$c-$version.crate")"
    done
    local core=(--config "patch.crates-io.ims-core.path=\"$crates_dir/ims-core-$version\"")
    local patch=("${core[@]}"
                 --config "patch.crates-io.ims-emulator.path=\"$crates_dir/ims-emulator-$version\"")
    local profile=(--config 'profile.release.lto="thin"' --config 'profile.release.codegen-units=4')
    # Each package's Cargo.lock names ims-core (and ims-emulator) from crates.io: relock just
    # those two onto the patches (every other entry stays as packaged), then build --locked.
    cargo metadata --format-version 1 --manifest-path "$crates_dir/ims-cli-$version/Cargo.toml" \
        "${patch[@]}" > /dev/null
    cargo metadata --format-version 1 --manifest-path "$crates_dir/ims-ffi-$version/Cargo.toml" \
        "${core[@]}" > /dev/null
    cargo install --locked --path "$crates_dir/ims-cli-$version" --root "$WORK/cargo-root" \
        "${patch[@]}" "${profile[@]}"
    "$WORK/cargo-root/bin/ims" --version
    "$WORK/cargo-root/bin/ims" demo --job-seconds 1 > "$WORK/crate-demo.log" 2>&1 \
        || { cat "$WORK/crate-demo.log"; return 1; }
    tail -n 3 "$WORK/crate-demo.log"
    # ims-ffi from its package alone too (its ims-core is the unpacked one, already built).
    cargo build --locked --release --manifest-path "$crates_dir/ims-ffi-$version/Cargo.toml" \
        "${core[@]}" "${profile[@]}"
}
timed "crates (cargo install)" crate_check

step "one version everywhere (scripts/check-versions.sh)"
scripts/check-versions.sh --dist "$DIST" \
    --cli "$ims_bin" --cli "$WORK/cargo-root/bin/ims" \
    --python "$WORK/venv-wheel/bin/python" --python "$WORK/venv-sdist/bin/python" \
    --c-prefix "$WORK/c/ims-c-$version-$target"

echo
echo "dist-check: every artifact installed and its quick start ran"
