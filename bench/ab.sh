#!/usr/bin/env bash
# A/B of a base commit and this checkout in one session (bench/ab.py): CPU per Python and Rust
# create + wait cycle, alternated rounds against one emulator.
#
#   bench/ab.sh BASE_REV [--profile wheel|release] [--rounds N] [--cycles N]
#
# The base is checked out with `git worktree` into target/ab/base and built in its own target
# directory; each side gets the release `ims` CLI and `cycle` example, and a wheel built with
# the given cargo profile (default `wheel`, what ships) installed into a venv of its own. Nothing
# is sent anywhere but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1

[ $# -ge 1 ] || { sed -n '2,10p' "$0"; exit 2; }
base_rev=$1; shift
profile=wheel
ab_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile=$2; shift 2 ;;
        --rounds|--cycles) ab_args+=("$1" "$2"); shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

work="$PWD/target/ab"
mkdir -p "$work"
step() { printf '== %s\n' "$*" >&2; }

if [ ! -d "$work/base" ]; then
    git worktree add --detach "$work/base" "$base_rev" >&2
else
    git -C "$work/base" checkout --quiet --detach "$base_rev"
fi

build_side() { # name, source dir, target dir
    local name=$1 src=$2 target=$3
    step "$name: release ims + cycle, and the $profile wheel"
    (cd "$src" && CARGO_TARGET_DIR="$target" cargo build --quiet --release --locked \
        -p ims-cli --bin ims -p ims-core --example cycle)
    mkdir -p "$work/$name/bin"
    cp -f "$target/release/ims" "$target/release/examples/cycle" "$work/$name/bin/"
    if [ ! -x "$work/$name/venv/bin/python" ]; then
        "${PYTHON:-python3}" -m venv "$work/$name/venv"
        "$work/$name/venv/bin/python" -m pip install --quiet "maturin>=1.9.4,<2"
    fi
    rm -rf "$work/$name/wheels"
    (cd "$src" && CARGO_TARGET_DIR="$target" "$work/$name/venv/bin/maturin" build --quiet \
        --profile "$profile" --locked -m python/Cargo.toml -i "$work/$name/venv/bin/python" \
        -o "$work/$name/wheels" >&2)
    "$work/$name/venv/bin/python" -m pip install --quiet --force-reinstall --no-deps \
        "$work/$name"/wheels/ims_fullimage-*.whl
}

build_side base "$work/base" "$work/base-target"
build_side head "$PWD" "$PWD/target"

step "measuring (alternated rounds)"
"$work/head/venv/bin/python" bench/ab.py \
    --base-bin "$work/base/bin" --base-python "$work/base/venv/bin/python" \
    --head-bin "$work/head/bin" --head-python "$work/head/venv/bin/python" \
    --out "$work/results.json" ${ab_args[@]+"${ab_args[@]}"}
