#!/usr/bin/env bash
# Builds the installable desktop package with the Tauri CLI (`tauri build`):
# target/release/bundle/deb/Tessera_<version>_amd64.deb. Run scripts/setup.sh first.
#
# The Tauri CLI comes from npm (@tauri-apps/cli, a prebuilt binary of the same version as
# the tauri crate in Cargo.lock) into .tools/tauri-cli: seconds, where `cargo install
# tauri-cli` compiles for ~15 min on 2 cores.
#
#   scripts/package.sh              the .deb
#   scripts/package.sh --appimage   also the AppImage: Tauri's AppImage bundler downloads
#                                   linuxdeploy and AppRun from GitHub while it runs, so
#                                   this needs a machine that reaches GitHub
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bundles=deb
for arg in "$@"; do
    case $arg in
        --appimage) bundles=deb,appimage ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "package.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

want=$(awk '/^name = "tauri"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[[ -n $want ]] || { echo "package.sh: no tauri crate in Cargo.lock" >&2; exit 1; }
cli=.tools/tauri-cli/node_modules/.bin/tauri
have=$("$cli" --version 2>/dev/null | awk '{ print $2 }' || true)
if [[ $have != "$want" ]]; then
    log "installing the Tauri CLI $want (npm @tauri-apps/cli) into .tools/tauri-cli"
    mkdir -p .tools/tauri-cli
    npm install --prefix .tools/tauri-cli --no-save --no-audit --no-fund --loglevel=error \
        "@tauri-apps/cli@$want"
fi

scripts/build-ui.sh
log "tauri build --bundles $bundles"
"$cli" build --ci --bundles "$bundles"
ls -l target/release/bundle/*/
