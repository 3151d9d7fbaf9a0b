#!/usr/bin/env bash
# The Python package's tests, from the repository root on a fresh machine (needs Rust, a
# CPython >= 3.9 with venv/pip, and PyPI):
#
#   1. a fresh build venv with maturin builds ONE abi3 wheel (cp39-abi3) of python/, unless
#      IMS_PYTHON_WHEEL names one already built (scripts/test.sh passes scripts/dist.sh's);
#   2. for each interpreter, a fresh venv gets the wheel, pytest and mypy, and runs
#      python/tests (the emulator runs in-process; stubtest checks the stubs).
#
# Interpreters: $PYTHON (default python3) and, when installed, CPython 3.9 (the floor) and
# 3.13 (found under $PYENV_ROOT/versions or on PATH). IMS_PYTHONS="python3.11 /x/python3.12"
# replaces the list. The summary names the versions tested and, plainly, the documented ones
# that were missing (IMS_PYTHONS_STRICT=1 makes a missing one a failure). Work files go to
# target/python-tests (IMS_PYTHON_WORK overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never PIP_DISABLE_PIP_VERSION_CHECK=1

work="${IMS_PYTHON_WORK:-target/python-tests}"
base="${PYTHON:-python3}"
case "$work" in /*) ;; *) work="$PWD/$work" ;; esac

step() { printf '\n== %s\n' "$*"; }

# CPython X.Y, if installed: PATH first, then pyenv's versions folder.
find_python() {
    local v="$1" c
    if c="$(command -v "python$v" 2>/dev/null)" && "$c" -c 'import venv' 2>/dev/null; then
        echo "$c"
        return 0
    fi
    for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
        if [ -x "$c" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

# The versions the README documents besides $PYTHON: the abi3 floor and the newest.
documented=(3.9 3.13)
missing=()
if [ -n "${IMS_PYTHONS:-}" ]; then
    read -r -a pythons <<<"$IMS_PYTHONS"
else
    pythons=("$base")
    base_version="$("$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    for v in "${documented[@]}"; do
        if [ "$v" = "$base_version" ]; then
            continue
        elif p="$(find_python "$v")"; then
            pythons+=("$p")
        else
            missing+=("$v")
        fi
    done
fi

rm -rf "$work"
mkdir -p "$work/wheels"

if [ -n "${IMS_PYTHON_WHEEL:-}" ]; then
    # The wheel scripts/dist.sh built (scripts/test.sh passes it): the artifact that ships is the
    # one tested, and no second wheel is built.
    step "the given wheel (IMS_PYTHON_WHEEL)"
    [ -f "$IMS_PYTHON_WHEEL" ] || { echo "IMS_PYTHON_WHEEL=$IMS_PYTHON_WHEEL: no such file" >&2; exit 1; }
    cp "$IMS_PYTHON_WHEEL" "$work/wheels/"
else
    step "build venv: $("$base" --version) + maturin"
    "$base" -m venv "$work/build"
    "$work/build/bin/python" -m pip install --quiet "maturin>=1.9.4,<2"

    step "build the abi3 wheel (maturin build --profile wheel)"
    "$work/build/bin/maturin" build --profile wheel --locked -m python/Cargo.toml \
        -i "$work/build/bin/python" -o "$work/wheels"
fi
wheel="$(ls "$work"/wheels/ims_fullimage-*.whl)"
echo "wheel: $(basename "$wheel")"
case "$wheel" in
    *-cp39-abi3-*) ;;
    *) echo "expected a cp39-abi3 wheel, got $wheel" >&2; exit 1 ;;
esac

summary=()
tested=()
status=0
for py in "${pythons[@]}"; do
    version="$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    venv="$work/venv-$version"
    step "CPython $version: fresh venv, install the wheel, pytest"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "$wheel" pytest mypy
    log="$work/pytest-$version.log"
    set +e
    (cd python && "$venv/bin/python" -m pytest -p no:cacheprovider tests) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    line="$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')"
    summary+=("CPython $version: ${line:-no summary} (exit $rc)")
    tested+=("$version")
    if [ "$rc" -ne 0 ]; then
        status=1
    fi
done

step "summary"
for s in "${summary[@]}"; do
    echo "$s"
done
echo "CPython versions tested: ${tested[*]}"
if [ "${#missing[@]}" -gt 0 ]; then
    echo "CPython versions documented but MISSING (not tested): ${missing[*]}" \
        "(install them, e.g. with pyenv, to test the abi3 wheel there)"
    if [ "${IMS_PYTHONS_STRICT:-0}" = 1 ]; then
        status=1
    fi
else
    echo "CPython versions documented but missing: none"
fi
exit "$status"
