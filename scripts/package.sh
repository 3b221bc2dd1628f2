#!/usr/bin/env bash
# Builds the installable desktop packages with the Tauri CLI (`cargo tauri build`):
# target/release/bundle/deb/Tessera_<version>_amd64.deb. Installs the Tauri CLI
# (cargo install tauri-cli, ~15 min on 2 cores) the first time. Run scripts/setup.sh first.
#
#   scripts/package.sh              the .deb
#   scripts/package.sh --appimage   also try the AppImage (needs network access to GitHub:
#                                   the Tauri CLI downloads AppRun and linuxdeploy there)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bundles=deb
[[ ${1:-} == --appimage ]] && bundles=deb,appimage

if ! cargo tauri --version >/dev/null 2>&1; then
    log "installing the Tauri CLI (cargo install tauri-cli)"
    cargo install tauri-cli --version '^2' --locked
fi
scripts/build-ui.sh
log "cargo tauri build --bundles $bundles"
cargo tauri build --ci --bundles "$bundles"
ls -l target/release/bundle/*/
