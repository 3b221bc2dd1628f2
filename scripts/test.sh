#!/usr/bin/env bash
# ONE command that sets the machine up and runs every check and test of Tessera:
# setup, console build, rustfmt, clippy (desktop, headless, console, other workspace
# crates), unit + integration tests, the console in headless Chromium (smoke + Playwright
# end-to-end), and the desktop
# window under Xvfb.
# Safe without a terminal (CI=true, no stdin). Ends with the number of cargo tests and
# "summary: N passed, N failed" (steps).
#
#   scripts/test.sh              everything
#   scripts/test.sh --headless   skip the desktop build and window test
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec </dev/null

headless=false
for arg in "$@"; do
    case $arg in
        --headless) headless=true ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

names=() results=() times=()
failed=0
started=$SECONDS
test_log=$(mktemp /tmp/tessera-test-output.XXXXXX)
trap 'rm -f "$test_log"' EXIT

# counted COMMAND...: runs a test command and keeps its output to count its tests.
counted() {
    "$@" 2>&1 | tee -a "$test_log"
    return "${PIPESTATUS[0]}"
}

# step NAME COMMAND...: runs one step, records pass/fail and its duration.
step() {
    local name=$1
    shift
    printf '\n\033[1m=== %s\033[0m\n' "$name"
    local t0=$SECONDS
    if "$@"; then
        results+=(pass)
    else
        results+=(FAIL)
        failed=$((failed + 1))
    fi
    names+=("$name")
    times+=($((SECONDS - t0)))
    printf '=== %s: %s (%d s)\n' "$name" "${results[-1]}" "${times[-1]}"
    [[ ${results[-1]} == pass ]]
}

skip() {
    names+=("$1") results+=(skipped) times+=(0)
    printf '\n=== %s: skipped (%s)\n' "$1" "$2"
}

summary() {
    printf '\n%-34s %-8s %s\n' "step" "result" "time"
    local i passed=0
    for i in "${!names[@]}"; do
        printf '%-34s %-8s %4d s\n' "${names[i]}" "${results[i]}" "${times[i]}"
        [[ ${results[i]} == pass ]] && passed=$((passed + 1))
    done
    printf 'total %d s\n' $((SECONDS - started))
    # Unit + integration tests, as reported by cargo's "test result:" lines.
    awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i;
        if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
        END { printf "cargo tests: %d passed, %d failed, %d ignored\n", p, f, s }' "$test_log"
    printf 'summary: %d passed, %d failed\n' "$passed" "$failed"
}

setup_args=(--skip-ui)
$headless && setup_args+=(--headless)
if ! step "setup" scripts/setup.sh "${setup_args[@]}" || ! step "build console (wasm)" scripts/build-ui.sh; then
    summary
    exit 1
fi

step "rustfmt" cargo fmt --all --check
step "clippy (headless)" cargo clippy --all-targets --no-default-features -- -D warnings
step "clippy (console, wasm32)" \
    cargo clippy -p tessera-ui --target wasm32-unknown-unknown -- -D warnings
step "tests (headless)" counted cargo test --no-default-features
step "tests (headless, PostgreSQL)" counted scripts/test-postgres.sh
# The console's pure logic (chart ticks, checklist steps, …) runs on the host too.
step "tests (console logic)" counted cargo test -p tessera-ui
# Other workspace crates (the SDK, the examples): their clippy and tests, default
# features, all in one cargo run each so their dependencies build once.
extra_packages=()
while read -r package; do extra_packages+=(-p "$package"); done < <(
    cargo metadata --no-deps --format-version 1 2>/dev/null | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    if package["name"] not in ("tessera", "tessera-ui"):
        print(package["name"])')
step "clippy (SDK, proto, examples)" cargo clippy "${extra_packages[@]}" --all-targets -- -D warnings
step "tests (SDK, proto, examples)" counted cargo test "${extra_packages[@]}"

if step "build headless binary" cargo build --no-default-features; then
    step "console in Chromium" scripts/smoke-console.sh target/debug/tessera
    step "console end-to-end (Playwright)" scripts/e2e.sh target/debug/tessera
    step "console end-to-end on PostgreSQL" scripts/test-postgres.sh scripts/e2e.sh target/debug/tessera
else
    skip "console in Chromium" "no binary"
    skip "console end-to-end (Playwright)" "no binary"
fi

if $headless; then
    skip "desktop checks" "--headless"
else
    step "clippy (desktop)" cargo clippy --all-targets -- -D warnings
    step "tests (desktop shell)" counted cargo test --lib desktop::
    if step "build desktop binary" cargo build; then
        step "desktop window under Xvfb" scripts/smoke-desktop.sh target/debug/tessera
    else
        skip "desktop window under Xvfb" "no binary"
    fi
fi

summary
((failed == 0))
