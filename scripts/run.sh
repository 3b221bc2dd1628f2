#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and starts Tessera.
#
#   scripts/run.sh                     the desktop app: a window with the server inside
#   scripts/run.sh --headless [ARGS]   `tessera serve [ARGS]`, e.g. --listen 0.0.0.0:7470
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${1:-} == --headless ]]; then
    shift
    scripts/setup.sh --headless
    exec cargo run --release --no-default-features -- serve "$@"
fi

scripts/setup.sh
if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
    echo "run.sh: no display (DISPLAY/WAYLAND_DISPLAY unset); use scripts/run.sh --headless" >&2
    exit 1
fi
exec cargo run --release -- "$@"
