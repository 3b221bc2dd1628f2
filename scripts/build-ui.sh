#!/usr/bin/env bash
# Builds the Leptos console (ui/) into ui/dist: console.js + console_bg.wasm next to the
# hand-written index.html, boot.js and console.css. The server embeds ui/dist at compile
# time (src-tauri/build.rs) and the desktop window bundles it, so run this before
# building the app. Needs the wasm32 target and the wasm-bindgen CLI (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

wasm_bindgen=.tools/bin/wasm-bindgen
if [[ ! -x $wasm_bindgen ]]; then
    wasm_bindgen=$(command -v wasm-bindgen || true)
fi
if [[ -z $wasm_bindgen ]]; then
    echo "wasm-bindgen CLI not found: run scripts/setup.sh first" >&2
    exit 1
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$("$wasm_bindgen" --version | awk '{ print $2 }')
if [[ $want != "$have" ]]; then
    echo "wasm-bindgen CLI is $have but Cargo.lock has $want: run scripts/setup.sh" >&2
    exit 1
fi

log "building the console (wasm32, profile wasm-release: optimised for size)"
cargo build -p tessera-ui --target wasm32-unknown-unknown --profile wasm-release

target_dir=${CARGO_TARGET_DIR:-target}
log "wasm-bindgen $have -> ui/dist"
# No name section: function names only label stack traces, and weigh ~1.6 MB.
"$wasm_bindgen" --target web --no-typescript --remove-name-section --out-dir ui/dist --out-name console \
    "$target_dir/wasm32-unknown-unknown/wasm-release/tessera-ui.wasm"

ls -l ui/dist
