#!/usr/bin/env bash
# One-time (and idempotent) setup of a Debian 12 machine for building and testing Tessera:
# system packages, the wasm32 Rust target, the wasm-bindgen CLI matching Cargo.lock (in
# .tools/), then the console build (scripts/build-ui.sh). Run as root or with sudo.
#
#   scripts/setup.sh              everything, including the desktop (Tauri/WebKitGTK) packages
#   scripts/setup.sh --headless   skip the desktop packages (for `tessera serve` only)
#   scripts/setup.sh --skip-ui    do not build the console at the end
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

headless=false
build_ui=true
for arg in "$@"; do
    case $arg in
        --headless) headless=true ;;
        --skip-ui) build_ui=false ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages -------------------------------------------------------------------
# libssl-dev: webauthn-rs (passkeys) verifies with OpenSSL.
base_packages=(build-essential pkg-config libssl-dev curl ca-certificates python3 git)
# Used by scripts/test.sh: window smoke test, screenshots, console check, load tests.
test_packages=(xvfb xauth fonts-dejavu-core imagemagick chromium wrk)
# The desktop smoke's lifecycle run: a private D-Bus session, a window manager that closes
# windows, the tray driven over D-Bus (python3-gi), the clipboard, ss for port owners.
test_packages+=(dbus-daemon openbox wmctrl xdotool xclip python3-gi iproute2)
# The suite's second run and the two-node tests: a throwaway cluster (scripts/pg.sh), no
# system service needed.
test_packages+=(postgresql)
# Tauri 2 on Linux (WebKitGTK 4.1).
desktop_packages=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev
    libayatana-appindicator3-dev)

packages=("${base_packages[@]}" "${test_packages[@]}")
$headless || packages+=("${desktop_packages[@]}")
# Node.js >= 20 with npm is on this machine kind already (Debian's nodejs 18 is too old for
# openid-client 6 and playwright; don't mix Debian's npm with it). Checked below.

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { echo "setup.sh: run as root (or install sudo)" >&2; exit 1; }
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" \
        </dev/null
else
    log "system packages: all present"
fi

# --- Rust -------------------------------------------------------------------------------
if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
    echo "setup.sh: needs a rustup-managed Rust toolchain (cargo, rustup) on PATH" >&2
    exit 1
fi
installed_targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi
installed_components=$(rustup component list --installed)
for component in rustfmt clippy; do
    if ! grep -q "^$component" <<<"$installed_components"; then
        log "adding rustup component $component"
        rustup component add "$component"
    fi
done

# --- wasm-bindgen CLI (exactly the crate version in Cargo.lock) ---------------------------
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [[ -z $want ]]; then
    echo "setup.sh: no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
have=$(.tools/bin/wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [[ $have == "$want" ]]; then
    log "wasm-bindgen CLI $want: present"
else
    log "installing wasm-bindgen CLI $want into .tools/ (a few minutes)"
    # Not --locked: its lockfile pins a dependency version the registry here does not serve.
    cargo install wasm-bindgen-cli --version "=$want" --root .tools
fi

# --- interop tests (tests/interop_other_languages.rs): node openid-client, Python PyJWT ---
node_major=$(node --version 2>/dev/null | sed 's/^v\([0-9]*\).*/\1/')
if (( ${node_major:-0} < 20 )) || ! command -v npm >/dev/null; then
    echo "setup.sh: the interop tests need Node.js >= 20 with npm (Debian 12's nodejs is 18: use NodeSource 20.x)" >&2
    exit 1
fi
if [[ ! -f tests/interop/node/node_modules/openid-client/package.json ]]; then
    log "installing the interop-test packages (tests/interop/node)"
    npm ci --prefix tests/interop/node --no-audit --no-fund --loglevel=error
fi
if ! python3 -c 'import jwt, cryptography, openapi_spec_validator, aiosmtpd' 2>/dev/null; then
    log "installing PyJWT, cryptography, openapi-spec-validator and aiosmtpd (the tests' SMTP server) (pip)"
    python3 -m pip install -q -r tests/interop/python/requirements.txt openapi-spec-validator 'aiosmtpd>=1.4,<2'
fi

# --- the console ---------------------------------------------------------------------------
if [[ -f tests/e2e/package.json ]]; then
    log "installing the browser-test packages (tests/e2e)"
    (cd tests/e2e && { [[ -f package-lock.json ]] && npm ci --no-audit --no-fund || npm install --no-audit --no-fund; })
    log "installing the SPA example's oauth4webapi (examples/spa; tests/e2e/spa.test.mjs)"
    npm ci --prefix examples/spa --no-audit --no-fund --loglevel=error
fi

if $build_ui; then
    scripts/build-ui.sh
fi
log "setup done"
