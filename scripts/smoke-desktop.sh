#!/usr/bin/env bash
# Smoke test of the desktop app under a virtual X server. Runs of the built binary, each
# with a fresh data dir (temporary HOME/XDG dirs) and a free port (settings.json):
#   1. first start: the embedded server answers /health and the window shows the setup
#      page ("Create the first super-admin"); `console_context` answers "setup" there.
#      The form is filled in and sent as a person would: the window moves to the hosted
#      sign-in page of the server, the new account signs in, and the window shows the
#      console's dashboard. Screenshots: target/smoke/desktop-setup-light.png,
#      target/smoke/desktop-dashboard-light.png.
#   2. a super-admin created with `tessera superadmin create` beforehand, in a dark desktop
#      theme (GTK_THEME=Adwaita:dark): the window moves to the console at
#      http://127.0.0.1:PORT/console/; the shell's commands answer that page (remote IPC,
#      capabilities/console-remote.json); signing in leads through the hosted sign-in page
#      to the dashboard, drawn in dark colours; on the settings page an encrypted backup is
#      saved to a file, and a new port applied restarts the server in place with the window
#      following it (the console signs in again there: the server asks "Continue to the
#      Tessera console as …?" and the script clicks Continue, as the super-admin would); an
#      http:// issuer on the network is warned about and refused without the box ticked.
#      Screenshots: target/smoke/desktop-dashboard-dark.png, desktop-settings-dark.png.
#   3. first start in the dark theme: the setup page. Screenshot: desktop-setup-dark.png.
# Each run ends with SIGTERM, which must stop the app cleanly, without a panic.
#
# What the window shows is read through WebKit's remote inspector
# (WEBKIT_INSPECTOR_HTTP_SERVER) by a small Node.js client, so the binary must be a debug
# build (Tauri enables the web inspector there).
#
#   scripts/smoke-desktop.sh [BINARY]     default target/debug/tessera (a desktop build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib-smoke.sh

binary=${1:-target/debug/tessera}
[[ -x $binary ]] || { echo "no binary at $binary (cargo build first)" >&2; exit 1; }
for tool in xvfb-run import convert curl python3 node; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done

# Inside the virtual display: this same script with --inside.
if [[ ${2:-} != --inside ]]; then
    work=$(mktemp -d /tmp/tessera-smoke-desktop.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    mkdir -p target/smoke
    # A private copy: a cargo build running meanwhile may replace the binary.
    ln "$binary" "$work/tessera" 2>/dev/null || cp "$binary" "$work/tessera"
    SMOKE_WORK="$work" xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" \
        "$0" "$work/tessera" --inside </dev/null
    exit
fi

work=$SMOKE_WORK
app=""
log=""
cleanup() { [[ -z $app ]] || stop_process "$app" >/dev/null 2>&1 || true; }
trap cleanup EXIT

fail() {
    echo "desktop smoke test FAILED: $*" >&2
    if [[ -n $log ]]; then
        echo "--- app log (last 40 lines) ---" >&2
        tail -n 40 "$log" >&2 || true
    fi
    exit 1
}

# --- reading the window: WebKit's remote inspector -------------------------------------
# Node >= 22 has WebSocket built in; Node 20/21 need the flag.
node_cmd=(node)
node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null ||
    node_cmd=(node --experimental-websocket --no-warnings)

# inspect.mjs ADDR EXPRESSION: evaluates EXPRESSION (a promise is awaited) in the window's
# page and prints {"ok": value} or {"error": "..."}; exit 2 when the page cannot be reached.
cat >"$work/inspect.mjs" <<'EOF'
const [addr, expression] = process.argv.slice(2);
const bail = (why) => { console.error(why); process.exit(2); };
setTimeout(() => bail('no answer from the page within 10 s'), 10000);
let listing;
try {
  listing = await (await fetch(`http://${addr}/`)).text();
} catch (e) {
  bail(`the WebKit inspector does not answer on ${addr}: ${e.message}`);
}
const socket = listing.match(/\/socket\/\d+\/\d+\/WebPage/);
if (!socket) bail('the WebKit inspector lists no page (is this a debug build?)');
const ws = new WebSocket(`ws://${addr}${socket[0]}`);
let target = null;
let nextId = 1;
const waiting = new Map();
function evaluate(code) {
  const id = nextId++;
  const message = { id, method: 'Runtime.evaluate', params: { expression: code, returnByValue: true } };
  ws.send(JSON.stringify({ id, method: 'Target.sendMessageToTarget',
                           params: { targetId: target, message: JSON.stringify(message) } }));
  return new Promise((resolve) => waiting.set(id, resolve));
}
async function run() {
  // The page keeps the outcome in a global; it is read back until it is there.
  await evaluate(`(() => { window.__tesseraSmoke = undefined;
    Promise.resolve().then(() => (${expression})).then(
      (value) => { window.__tesseraSmoke = JSON.stringify({ ok: value === undefined ? null : value }); },
      (error) => { window.__tesseraSmoke = JSON.stringify({ error: (error && error.message) || JSON.stringify(error) }); });
    return 0; })()`);
  for (;;) {
    const answer = await evaluate('window.__tesseraSmoke');
    const value = answer.result && answer.result.result && answer.result.result.value;
    if (typeof value === 'string') {
      console.log(value);
      process.exit(0);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
ws.onmessage = (event) => {
  const msg = JSON.parse(event.data);
  if (msg.method === 'Target.targetCreated' && !target && !msg.params.targetInfo.isProvisional) {
    target = msg.params.targetInfo.targetId;
    run();
  } else if (msg.method === 'Target.dispatchMessageFromTarget') {
    const inner = JSON.parse(msg.params.message);
    const resolve = waiting.get(inner.id);
    if (resolve) { waiting.delete(inner.id); resolve(inner); }
  }
};
ws.onerror = () => bail('the inspector connection failed');
EOF

# page EXPRESSION: prints the JSON {"ok": ...} or {"error": ...} of EXPRESSION in the window.
page() {
    "${node_cmd[@]}" "$work/inspect.mjs" "127.0.0.1:$inspector_port" "$1"
}

# json_get JSON PYTHON-EXPRESSION-ON-v: prints the value (v = the parsed JSON).
json_get() {
    python3 -c 'import json, sys; v = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# wait_page CONDITION WHAT SECONDS: until CONDITION (JS, true/false) holds in the window.
wait_page() {
    local condition=$1 what=$2 deadline=$((SECONDS + $3)) answer=""
    while ((SECONDS < deadline)); do
        kill -0 "$app" 2>/dev/null || fail "the app exited while waiting for $what"
        answer=$(page "$condition" 2>&1) || true
        [[ $answer == '{"ok":true}' ]] && return 0
        sleep 1
    done
    local seen
    seen=$(page 'location.href + " shows: " + document.body.innerText.slice(0, 300)' 2>&1) || true
    fail "the window never showed $what (last answer: $answer; the window: $seen)"
}

# invoke COMMAND [ARGS-JSON]: the shell command's answer as JSON, from the window's page.
invoke() {
    local args=${2:-"{}"} answer
    answer=$(page "window.__TAURI__.core.invoke('$1', $args)") ||
        fail "cannot reach the window to call $1: $answer"
    [[ $answer == '{"ok":'* ]] || fail "$1 failed in the window: $answer"
    json_get "$answer" 'json.dumps(v["ok"])'
}

# How much the middle of the screen (inside the window) varies: a page that is still
# "Loading…" or a window that draws nothing is almost uniform there (~0.01), a form ~0.1.
spread() {
    convert "$1" -gravity center -crop 1000x700+0+0 +repage -colorspace Gray \
        -format '%[fx:standard_deviation]' info:
}

# screenshot FILE: the screen once the window has painted what the page holds (under Xvfb
# the paint can trail the DOM by a few seconds).
screenshot() {
    local deadline=$((SECONDS + 20)) sd=0
    while ((SECONDS < deadline)); do
        import -window root "$1"
        sd=$(spread "$1")
        python3 -c "import sys; sys.exit(0 if $sd > 0.04 else 1)" && break
        sleep 1
    done
    echo "screenshot $1 (stddev inside the window $sd)"
    python3 -c "import sys; sys.exit(0 if $sd > 0.04 else 1)" ||
        fail "the window shows (almost) nothing ($1)"
}

# --- one run of the app ----------------------------------------------------------------
# start_app NAME [GTK_THEME]: fresh HOME/XDG dirs under $work/NAME, a free port in
# settings.json; a super-admin made with the CLI first when NAME is "signin".
start_app() {
    local name=$1 theme=${2:-} root="$work/$1"
    mkdir -p "$root/home" "$root/data/tessera" "$root/config" "$root/cache"
    port=$(free_port)
    inspector_port=$(free_port)
    data_dir="$root/data/tessera"
    log="$root/app.log"
    printf '{"listen": "127.0.0.1:%s"}\n' "$port" >"$data_dir/settings.json"
    if [[ $name == signin ]]; then
        echo "$admin_password" | "$binary" superadmin create --email admin@example.com \
            --password-stdin --data-dir "$data_dir" >/dev/null ||
            fail "tessera superadmin create failed"
    fi
    echo "== $name: data dir $data_dir, port $port"
    env HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config" \
        XDG_CACHE_HOME="$root/cache" WEBKIT_INSPECTOR_HTTP_SERVER="127.0.0.1:$inspector_port" \
        ${theme:+GTK_THEME="$theme"} "$binary" >"$log" 2>&1 &
    app=$!
    wait_for_health "$port" "$app" 120 || fail "server never answered on port $port"
    echo "health: $(health "$port")"
}

stop_app() {
    local how
    how=$(stop_process "$app") || fail "the app $how"
    app=""
    echo "app $how"
    ! grep -qi "panicked" "$log" || fail "the app panicked"
}

admin_email=admin@example.com
admin_password="smoke-test password"

# sign_in_hosted: on the server's hosted sign-in page, fills in and sends the form, then
# waits for the console's dashboard.
sign_in_hosted() {
    local origin="http://127.0.0.1:$port"
    wait_page "location.origin === '$origin' && location.pathname === '/login'
               && document.querySelector('input[name=password]') !== null" \
        "the hosted sign-in page at $origin/login" 60
    page "(() => { const form = document.querySelector('input[name=password]').form;
          form.querySelector('input[name=email]').value = '$admin_email';
          form.querySelector('input[name=password]').value = '$admin_password';
          setTimeout(() => form.submit(), 200); return true; })()" >/dev/null 2>&1 || true
    wait_page "location.origin === '$origin' && location.pathname === '/console/'
               && document.querySelector('main h1')?.textContent === 'Dashboard'
               && document.body.innerText.includes('$admin_email')
               && document.querySelectorAll('.loading').length === 0" \
        "the console's dashboard, signed in as $admin_email" 60
}

# --- 1. first start: setup page, the form sent, sign-in, the console -----------------
start_app setup
wait_page 'document.body.innerText.includes("Create the first super-admin")' \
    'the setup page ("Create the first super-admin")' 90
context=$(invoke console_context)
echo "console_context (bundled page): $context"
[[ $(json_get "$context" 'v["stage"]') == setup ]] || fail "stage is not setup: $context"
[[ $(json_get "$context" 'v["port"]') == "$port" ]] || fail "wrong port: $context"
screenshot target/smoke/desktop-setup-light.png
# The inputs are bound to the page's state through their input events, as typing does.
page "(() => { const set = (id, value) => { const el = document.getElementById(id);
          el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); };
      set('setup-email', '$admin_email'); set('setup-name', 'Smoke Admin');
      set('setup-password', '$admin_password'); set('setup-confirm', '$admin_password');
      const form = document.getElementById('setup-email').form;
      setTimeout(() => form.requestSubmit(), 200); return true; })()" >/dev/null 2>&1 || true
sign_in_hosted
[[ -f $data_dir/tessera.db ]] || fail "no database in the data dir after setup"
screenshot target/smoke/desktop-dashboard-light.png
stop_app

# --- 2. a super-admin exists, dark theme: console on loopback, remote IPC, sign-in ------
start_app signin Adwaita:dark
origin="http://127.0.0.1:$port"
wait_page "location.origin === '$origin' && location.pathname.startsWith('/console')" \
    "the console at $origin/console/" 90
context=$(invoke console_context)
echo "console_context (from $origin/console/): $context"
[[ $(json_get "$context" 'v["stage"]') == ready ]] || fail "stage is not ready: $context"
[[ $(json_get "$context" 'v["console_url"]') == "$origin/console/" ]] ||
    fail "wrong console_url: $context"
status=$(invoke server_status)
[[ $(json_get "$status" 'v["up"]') == True ]] || fail "server_status is not up: $status"
# The console's landing page has a "Sign in" button; the hosted page has the form.
# (Clicked a moment later, so the answer is read before the page goes away.)
page "(() => { if (location.pathname !== '/login') {
          const button = [...document.querySelectorAll('button, a')]
              .find((b) => b.textContent.trim() === 'Sign in');
          if (button) setTimeout(() => button.click(), 200); }
      return true; })()" >/dev/null 2>&1 || true
sign_in_hosted
scheme=$(page "matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'")
echo "colour scheme in the window: $scheme"
[[ $scheme == '{"ok":"dark"}' ]] || fail "the window does not follow the dark desktop theme: $scheme"
screenshot target/smoke/desktop-dashboard-dark.png

# Settings: a new port (and issuer), applied in the window, restarts the embedded server
# in place; the window follows it and the old port goes quiet.
new_port=$(free_port)
new_origin="http://127.0.0.1:$new_port"
page "(() => { [...document.querySelectorAll('nav a')].find((a) => a.textContent.trim() === 'Settings').click();
      return true; })()" >/dev/null
wait_page "document.getElementById('srv-port') !== null" "the settings page" 30

# A backup saved to a file the user names (the desktop's way; a browser downloads it),
# encrypted with the passphrase typed twice in the form.
backup_file="$work/signin/backup.tar.gz.age"
page "(() => { const set = (id, value) => { const el = document.getElementById(id);
          el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); };
      set('backup-passphrase', 'smoke test passphrase'); set('backup-repeat', 'smoke test passphrase');
      set('backup-path', '$backup_file');
      setTimeout(() => document.getElementById('backup-path').form.requestSubmit(), 200); return true; })()" >/dev/null
deadline=$((SECONDS + 30))
until [[ -s $backup_file ]] || ((SECONDS > deadline)); do sleep 1; done
[[ -s $backup_file ]] || fail "no backup at $backup_file"
[[ $(head -c 21 "$backup_file") == age-encryption.org/v1 ]] || fail "the backup is not age-encrypted"
echo "backup saved from the window: $(stat -c %s "$backup_file") bytes (age-encrypted)"
page "(() => { const set = (id, value) => { const el = document.getElementById(id);
          el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); };
      set('srv-port', '$new_port'); set('srv-issuer', '$new_origin');
      setTimeout(() => document.getElementById('srv-port').form.requestSubmit(), 200);
      return true; })()" >/dev/null
wait_page "[...document.querySelectorAll('dialog[open] button')].some((b) => b.textContent.trim() === 'Restart the server')" \
    "the restart confirmation" 30
page "(() => { const button = [...document.querySelectorAll('dialog[open] button')]
          .find((b) => b.textContent.trim() === 'Restart the server');
      setTimeout(() => button.click(), 200); return true; })()" >/dev/null
old_port=$port
port=$new_port
# The console signs in again on the new port with the SSO session it has: never silently,
# the server asks the super-admin to confirm first.
wait_page "location.origin === '$new_origin' && location.pathname === '/login/confirm'
           && document.body.innerText.includes('Continue to the Tessera console as $admin_email')" \
    "the console sign-in confirmation at $new_origin/login/confirm" 60
page "(() => { const button = [...document.querySelectorAll('button')]
          .find((b) => b.textContent.trim() === 'Continue');
      setTimeout(() => button.click(), 200); return true; })()" >/dev/null
wait_page "location.origin === '$new_origin' && location.pathname === '/console/settings'
           && document.getElementById('srv-port')?.value === '$new_port'" \
    "the console following the server to $new_origin/console/settings" 60
echo "health on the new port: $(health "$new_port")"
[[ $(health "$new_port") == *"\"issuer\":\"$new_origin\""* ]] || fail "the server on $new_port has not the new issuer"
! curl -s --max-time 2 "http://127.0.0.1:$old_port/health" >/dev/null ||
    fail "the old port $old_port still answers"
grep -q "\"127.0.0.1:$new_port\"" "$data_dir/settings.json" ||
    fail "settings.json does not keep the new address: $(cat "$data_dir/settings.json")"
# An http:// issuer on the network: the form says in words what that exposes, and applies
# it only with the box ticked (submitted without it: an error, no restart).
page "(() => { const el = document.getElementById('srv-issuer');
      el.value = 'http://192.168.1.20:$new_port'; el.dispatchEvent(new Event('input', { bubbles: true }));
      return true; })()" >/dev/null
wait_page "(document.getElementById('srv-insecure')?.innerText || '').includes('anyone on the network path can read sign-in traffic')" \
    "the warning about an http:// issuer on the network" 20
# (Clear of the sticky top bar.)
page "(() => { const card = document.getElementById('server-title').closest('section');
      window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - 80); return true; })()" >/dev/null
wait_page "document.getElementById('server-title').getBoundingClientRect().top < 200" \
    "the server address card scrolled into view" 10
sleep 2 # the paint trails the DOM under Xvfb
screenshot target/smoke/desktop-settings-dark.png
page "(() => { document.getElementById('srv-port').form.requestSubmit(); return true; })()" >/dev/null
wait_page "(document.getElementById('srv-insecure-error')?.textContent || '').includes('tick the box')
           && !document.querySelector('dialog[open]')" \
    "the refusal of an http:// issuer without the box ticked" 20
stop_app

# --- 3. first start in the dark theme: the setup page --------------------------------------
start_app setup-dark Adwaita:dark
wait_page 'document.body.innerText.includes("Create the first super-admin")' \
    'the setup page in the dark theme' 90
screenshot target/smoke/desktop-setup-dark.png
stop_app

trap - EXIT
echo "desktop smoke test passed"
