#!/usr/bin/env bash
# Smoke test of the desktop app under a virtual X server. Runs of the built binary, each
# with a fresh data dir (temporary HOME/XDG dirs) and a free port (settings.json):
#   1. first start: the embedded server answers /health and the window shows the setup
#      page ("Create the first super-admin"); `console_context` answers "setup" there.
#      The form is filled in and sent as a person would: the window moves to the hosted
#      sign-in page of the server, the new account signs in, and the window shows the
#      console's dashboard. On the settings page "Start Tessera when I log in" (off at
#      first) ticked writes ~/.config/autostart/Tessera.desktop (under the run's HOME) and
#      unticked removes it. Screenshots: target/smoke/desktop-setup-light.png,
#      target/smoke/desktop-dashboard-light.png, desktop-autostart-light.png.
#   2. a super-admin created with `tessera superadmin create` beforehand, in a dark desktop
#      theme (GTK_THEME=Adwaita:dark): the window moves to the console at
#      http://127.0.0.1:PORT/console/; the shell's commands answer that page (remote IPC,
#      capabilities/console-remote.json); signing in leads through the hosted sign-in page
#      to the dashboard, drawn in dark colours; on the settings page an encrypted backup is
#      saved to a file, and a new port applied restarts the server in place with the window
#      following it (the console signs in again there: the server asks "Continue to the
#      Tessera console as …?" and the script clicks Continue, as the super-admin would); an
#      http:// issuer on the network is warned about and refused without the box ticked;
#      the tray menu follows the server to its new port.
#      Screenshots: target/smoke/desktop-dashboard-dark.png, desktop-settings-dark.png,
#      desktop-autostart-dark.png.
#   3. first start in the dark theme: the setup page. Screenshot: desktop-setup-dark.png.
#   4. the lifecycle, with a window manager (openbox) closing windows the way a desktop
#      does: the tray menu shows the server's state and address, "Copy issuer URL" puts
#      the issuer on the clipboard; closing the window (wmctrl -c: _NET_CLOSE_WINDOW, then
#      WM_DELETE_WINDOW from the WM) hides it, /health keeps answering, and the first-close
#      notice appears (once: not at the second close); a second launch with the same
#      HOME exits within seconds without starting a server (the port stays the first
#      process's) and the first window is shown again; "Open console" in the tray shows
#      it; "Quit" in the tray stops the server and the app, and the port is free.
#      Screenshot: target/smoke/desktop-close-notice.png.
#   5. no panel shows tray icons (no StatusNotifierWatcher, as on plain GNOME): closing
#      the window quits the app, server included, as it always did.
# Runs 1-3 end with SIGTERM, which must stop the app cleanly, without a panic.
#
# The tray is driven the way a desktop panel does it: everything runs in a private D-Bus
# session (dbus-run-session); a small StatusNotifierWatcher (tray.py, Python + GLib's Gio)
# takes the registration of the app's AppIndicator item, and the menu is read and
# clicked over com.canonical.dbusmenu (GetLayout, Event "clicked"), as panels do.
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
for tool in xvfb-run dbus-run-session openbox wmctrl xdotool xclip ss import convert curl python3 node; do
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
        dbus-run-session -- "$0" "$work/tessera" --inside </dev/null
    exit
fi

work=$SMOKE_WORK
# No accessibility bus in the private D-Bus session: it would only add noise here.
export NO_AT_BRIDGE=1
app=""
log=""
helpers=() # the tray watcher, the window manager
cleanup() {
    [[ -z $app ]] || stop_process "$app" >/dev/null 2>&1 || true
    local pid
    for pid in "${helpers[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true # before Xvfb goes
    done
}
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

# How much the middle of the screen (inside the window) varies: a window that draws
# nothing is almost uniform there (~0.01), a page still "Loading…" next to the sidebar
# ~0.04, a form or the dashboard ~0.1.
spread() {
    convert "$1" -gravity center -crop 1000x700+0+0 +repage -colorspace Gray \
        -format '%[fx:standard_deviation]' info:
}

# screenshot FILE: the screen once the window has painted what the page holds: under Xvfb
# (and on a busy machine) the paint can trail the DOM by seconds, so the picture must be
# full (spread above 0.06) and the same in two captures a second apart.
screenshot() {
    local deadline=$((SECONDS + 30)) sd=0 previous="$work/previous-capture.png"
    rm -f "$previous"
    while ((SECONDS < deadline)); do
        import -window root "$1"
        sd=$(spread "$1")
        if python3 -c "import sys; sys.exit(0 if $sd > 0.06 else 1)" && [[ -f $previous ]] &&
            [[ $(compare -metric AE "$1" "$previous" null: 2>&1) == 0 ]]; then
            break
        fi
        cp "$1" "$previous"
        sleep 1
    done
    echo "screenshot $1 (stddev inside the window $sd)"
    python3 -c "import sys; sys.exit(0 if $sd > 0.06 else 1)" ||
        fail "the window shows (almost) nothing ($1)"
}

# --- the tray, as a desktop panel sees it: tray.py over D-Bus -------------------------
# Debian's python3 (GLib's Gio through python3-gi), whatever python3 is first on PATH.
system_python=/usr/bin/python3
cat >"$work/tray.py" <<'EOF'
# tray.py watch LOG          a StatusNotifierWatcher (what a desktop panel runs): items that
#                            register are appended to LOG as "BUS-NAME OBJECT-PATH"
# tray.py menu LOG PID       the tray menu of process PID as JSON [{"id", "label", "enabled"}]
# tray.py click LOG PID LABEL  clicks the item LABEL of that menu, as a panel does
import json, sys, time
from gi.repository import Gio, GLib

WATCHER = Gio.DBusNodeInfo.new_for_xml("""<node>
 <interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
 </interface></node>""").interfaces[0]

def watch(log):
    items = []
    def on_call(conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            service = params.unpack()[0]
            # Ayatana sends its object path; others their bus name (default path).
            name, obj = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
            items.append(name + obj)
            with open(log, "a") as f:
                f.write(f"{name} {obj}\n")
            conn.emit_signal(None, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                             "StatusNotifierItemRegistered", GLib.Variant("(s)", (name + obj,)))
        invocation.return_value(None)
    def on_get(conn, sender, path, iface, prop):
        return {"RegisteredStatusNotifierItems": GLib.Variant("as", items),
                "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
                "ProtocolVersion": GLib.Variant("i", 0)}[prop]
    def on_bus(conn, name):
        conn.register_object("/StatusNotifierWatcher", WATCHER, on_call, on_get, None)
    def on_name(conn, name):
        with open(log, "a") as f:
            f.write("# watching\n")
    Gio.bus_own_name(Gio.BusType.SESSION, "org.kde.StatusNotifierWatcher",
                     Gio.BusNameOwnerFlags.NONE, on_bus, on_name,
                     lambda *_: sys.exit("cannot own org.kde.StatusNotifierWatcher"))
    GLib.MainLoop().run()

def call(conn, dest, path, iface, method, args, reply):
    answer = conn.call_sync(dest, path, iface, method, args,
                            GLib.VariantType(reply) if reply else None,
                            Gio.DBusCallFlags.NONE, 5000, None)
    return answer.unpack() if answer else None

def menu_of(log, pid):
    conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    for line in reversed(open(log).read().splitlines()):
        if line.startswith("#"):
            continue
        name, path = line.split()
        try:
            owner = call(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                         "GetConnectionUnixProcessID", GLib.Variant("(s)", (name,)), "(u)")[0]
        except GLib.Error:
            continue  # an app that has gone
        if owner != pid:
            continue
        menu = call(conn, name, path, "org.freedesktop.DBus.Properties", "Get",
                    GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")), "(v)")[0]
        call(conn, name, menu, "com.canonical.dbusmenu", "AboutToShow", GLib.Variant("(i)", (0,)), "(b)")
        _, layout = call(conn, name, menu, "com.canonical.dbusmenu", "GetLayout",
                         GLib.Variant("(iias)", (0, -1, [])), "(u(ia{sv}av))")
        items = [{"id": item, "label": props.get("label", "").replace("_", ""),
                  "enabled": props.get("enabled", True)}
                 for item, props, _ in layout[2] if props.get("type") != "separator"]
        return conn, name, menu, items
    sys.exit(f"no tray item of process {pid} has registered")

command, log, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0
if command == "watch":
    watch(log)
elif command == "menu":
    print(json.dumps(menu_of(log, pid)[3]))
elif command == "click":
    conn, name, menu, items = menu_of(log, pid)
    found = [i for i in items if i["label"] == sys.argv[4]]
    if not found:
        sys.exit(f"no item {sys.argv[4]!r} in the tray menu: {items}")
    call(conn, name, menu, "com.canonical.dbusmenu", "Event",
         GLib.Variant("(isvu)", (found[0]["id"], "clicked", GLib.Variant("s", ""), int(time.time()))), None)
EOF
tray_log="$work/tray-items.log"
: >"$tray_log"
"$system_python" "$work/tray.py" watch "$tray_log" &
helpers+=($!)
for _ in $(seq 50); do grep -q '^# watching' "$tray_log" && break; sleep 0.1; done
grep -q '^# watching' "$tray_log" || fail "the StatusNotifierWatcher did not start"

# tray_menu: the app's tray menu as JSON, once its item has registered (30 s).
tray_menu() {
    local deadline=$((SECONDS + 30)) answer=""
    while ((SECONDS < deadline)); do
        answer=$("$system_python" "$work/tray.py" menu "$tray_log" "$app" 2>&1) && {
            echo "$answer"
            return 0
        }
        sleep 1
    done
    fail "the app shows no tray menu: $answer"
}

# tray_status: the menu's status lines (its disabled items), "STATE | ADDRESS".
tray_status() {
    json_get "$(tray_menu)" '" | ".join(i["label"] for i in v if not i["enabled"])'
}

# wait_tray_status TEXT SECONDS: until the tray's status lines read TEXT.
wait_tray_status() {
    local deadline=$((SECONDS + $2)) seen=""
    while ((SECONDS < deadline)); do
        seen=$(tray_status)
        [[ $seen == "$1" ]] && return 0
        sleep 1
    done
    fail "the tray menu says \"$seen\", not \"$1\""
}

tray_click() {
    "$system_python" "$work/tray.py" click "$tray_log" "$app" "$1" ||
        fail "cannot click \"$1\" in the tray menu"
}

# --- windows, as the window manager sees them ---------------------------------------------
# visible_window TITLE: the id of a mapped window titled exactly TITLE, or nothing.
visible_window() {
    xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -n 1 || true
}

# wait_window TITLE SECONDS: prints the window's id once one titled TITLE is visible.
wait_window() {
    local deadline=$((SECONDS + $2)) id=""
    while ((SECONDS < deadline)); do
        id=$(visible_window "$1")
        [[ -n $id ]] && { echo "$id"; return 0; }
        sleep 0.5
    done
    fail "no visible window \"$1\" within $2 s"
}

# wait_no_window TITLE SECONDS: until no window titled TITLE is visible.
wait_no_window() {
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        [[ -z $(visible_window "$1") ]] && return 0
        sleep 0.5
    done
    fail "the window \"$1\" is still visible after $2 s"
}

# --- one run of the app ----------------------------------------------------------------
# app_in ROOT INSPECTOR-PORT [VAR=VALUE...] &: runs the app with HOME and the XDG dirs
# under ROOT (so with its data dir) and the web inspector on INSPECTOR-PORT. Only as a
# background job: it execs, so $! is the app's process id.
app_in() {
    local root=$1 inspector=$2
    shift 2
    exec env HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config" \
        XDG_CACHE_HOME="$root/cache" WEBKIT_INSPECTOR_HTTP_SERVER="127.0.0.1:$inspector" \
        "$@" "$binary"
}

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
    app_in "$root" "$inspector_port" ${theme:+GTK_THEME="$theme"} >"$log" 2>&1 &
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

# app_exited AFTER-WHAT: the app ends on its own within 20 s, with code 0 and no panic,
# and its port is free.
app_exited() {
    local deadline=$((SECONDS + 20)) rc=0
    while kill -0 "$app" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    ! kill -0 "$app" 2>/dev/null || fail "the app still runs 20 s after $1"
    wait "$app" || rc=$?
    app=""
    ((rc == 0)) || fail "the app exited with $rc after $1"
    ! grep -qi "panicked" "$log" || fail "the app panicked"
    ! curl -s --max-time 2 "http://127.0.0.1:$port/health" >/dev/null ||
        fail "port $port still answers after $1"
    python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$port" ||
        fail "port $port is still taken after $1"
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

# open_settings: the console's settings page, from its sidebar.
open_settings() {
    page "(() => { [...document.querySelectorAll('nav a')].find((a) => a.textContent.trim() === 'Settings').click();
          return true; })()" >/dev/null
    wait_page "document.getElementById('srv-port') !== null" "the settings page" 30
}

# scroll_to ID: the card titled by element ID at the top of the window, clear of the
# sticky top bar, and painted.
scroll_to() {
    page "(() => { const card = document.getElementById('$1').closest('section');
          window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - 80); return true; })()" >/dev/null
    wait_page "document.getElementById('$1').getBoundingClientRect().top < 200" \
        "the card #$1 scrolled into view" 10
    sleep 2 # the paint trails the DOM under Xvfb
}

# autostart_box CONDITION WHAT: waits until the settings page's start-at-login box is
# idle (not being saved) and CONDITION (JS on \`box\`) holds.
autostart_box() {
    wait_page "(() => { const box = document.getElementById('autostart');
                return box !== null && !box.disabled && ($1); })()" "$2" 30
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

# "Start Tessera when I log in": off at first; ticked, the autostart entry is written
# under this run's HOME; unticked, it is gone.
autostart_file="$work/setup/home/.config/autostart/Tessera.desktop"
open_settings
autostart_box '!box.checked' 'the start-at-login box, unticked'
[[ ! -e $autostart_file ]] || fail "an autostart entry exists before it was turned on"
page "(() => { document.getElementById('autostart').click(); return true; })()" >/dev/null
autostart_box "box.checked && document.body.innerText.includes('Tessera will start when you log in')" \
    'start at login turned on'
[[ -f $autostart_file ]] || fail "no autostart entry at $autostart_file"
echo "start at login on: $autostart_file, $(grep '^Exec=' "$autostart_file")"
scroll_to desktop-title
screenshot target/smoke/desktop-autostart-light.png
page "(() => { document.getElementById('autostart').click(); return true; })()" >/dev/null
autostart_box '!box.checked' 'start at login turned off'
[[ ! -e $autostart_file ]] || fail "the autostart entry is still there after turning it off"
echo "start at login off: the entry is removed"
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
wait_tray_status "Server running | Listening on 127.0.0.1:$port" 30
echo "tray: $(tray_status)"
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
open_settings

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
wait_tray_status "Server running | Listening on 127.0.0.1:$new_port" 20
echo "tray after the restart: $(tray_status)"
grep -q "\"127.0.0.1:$new_port\"" "$data_dir/settings.json" ||
    fail "settings.json does not keep the new address: $(cat "$data_dir/settings.json")"
# An http:// issuer on the network: the form says in words what that exposes, and applies
# it only with the box ticked (submitted without it: an error, no restart).
page "(() => { const el = document.getElementById('srv-issuer');
      el.value = 'http://192.168.1.20:$new_port'; el.dispatchEvent(new Event('input', { bubbles: true }));
      return true; })()" >/dev/null
wait_page "(document.getElementById('srv-insecure')?.innerText || '').includes('anyone on the network path can read sign-in traffic')" \
    "the warning about an http:// issuer on the network" 20
scroll_to server-title
screenshot target/smoke/desktop-settings-dark.png
page "(() => { document.getElementById('srv-port').form.requestSubmit(); return true; })()" >/dev/null
wait_page "(document.getElementById('srv-insecure-error')?.textContent || '').includes('tick the box')
           && !document.querySelector('dialog[open]')" \
    "the refusal of an http:// issuer without the box ticked" 20
autostart_box '!box.checked' 'the start-at-login box in the dark theme'
scroll_to desktop-title
screenshot target/smoke/desktop-autostart-dark.png
stop_app

# --- 3. first start in the dark theme: the setup page --------------------------------------
start_app setup-dark Adwaita:dark
wait_page 'document.body.innerText.includes("Create the first super-admin")' \
    'the setup page in the dark theme' 90
screenshot target/smoke/desktop-setup-dark.png
stop_app

# --- 4. the lifecycle: tray, closing the window, a second launch, Quit -------------------
# A window manager closes windows as a desktop does (and frames the notice).
openbox --sm-disable >"$work/openbox.log" 2>&1 &
helpers+=($!)
for _ in $(seq 50); do wmctrl -m >/dev/null 2>&1 && break; sleep 0.2; done
wmctrl -m >/dev/null 2>&1 || fail "the window manager (openbox) did not start"
start_app lifecycle
main=$(wait_window Tessera 60)
wait_tray_status "Server running | Listening on 127.0.0.1:$port" 30
echo "tray: $(tray_status); items: $(json_get "$(tray_menu)" '", ".join(i["label"] for i in v if i["enabled"])')"
tray_click "Copy issuer URL"
deadline=$((SECONDS + 10))
until [[ $(xclip -o -selection clipboard 2>/dev/null) == "http://127.0.0.1:$port" ]] || ((SECONDS > deadline)); do
    sleep 0.5
done
copied=$(xclip -o -selection clipboard 2>/dev/null || true)
[[ $copied == "http://127.0.0.1:$port" ]] || fail "the clipboard holds \"$copied\", not the issuer"
echo "Copy issuer URL: the clipboard holds $copied"

# (a) Closing the window hides it; the server keeps answering; the notice, once.
wmctrl -i -c "$main"
wait_no_window Tessera 10
notice=$(wait_window "Tessera keeps running" 10)
kill -0 "$app" 2>/dev/null || fail "the app exited when its window was closed"
echo "window closed: hidden, process $app alive, health: $(health "$port")"
grep -q '"close_notice_shown": true' "$data_dir/settings.json" ||
    fail "settings.json does not remember the notice: $(cat "$data_dir/settings.json")"
sleep 1 # the paint trails the map under Xvfb
import -frame -window "$notice" target/smoke/desktop-close-notice.png
echo "first-close notice shown (window $notice): target/smoke/desktop-close-notice.png"
wmctrl -i -c "$notice"
wait_no_window "Tessera keeps running" 10

# (b) A second launch with the same HOME: hands over and exits, no second server.
second_log="$work/lifecycle/second.log"
started=$(date +%s%N)
app_in "$work/lifecycle" "$(free_port)" >"$second_log" 2>&1 &
second=$!
deadline=$((SECONDS + 20))
while kill -0 "$second" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$second" 2>/dev/null; then
    kill -KILL "$second"
    fail "the second launch still runs after 20 s"
fi
second_rc=0
wait "$second" || second_rc=$?
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
[[ $second_rc == 0 ]] || { cat "$second_log" >&2; fail "the second launch ended with $second_rc"; }
((elapsed_ms < 10000)) || fail "the second launch took ${elapsed_ms} ms"
! grep -q "starting the server" "$second_log" || fail "the second launch started a server"
owner=$(ss -Hltnp "sport = :$port")
[[ $owner == *"pid=$app,"* ]] || fail "port $port is not the first app's: $owner"
shown=$(wait_window Tessera 10)
[[ $shown == "$main" ]] || fail "another window ($shown) than the first one ($main) is shown"
grep -q "started again" "$log" || fail "the first app did not hear of the second launch"
active=$(xdotool getactivewindow 2>/dev/null || true)
echo "second launch: exit 0 after ${elapsed_ms} ms, no server started; port $port still pid $app;" \
    "the first window is visible again$([[ $active == "$main" ]] && echo " and active")"

# The notice only comes the first time; "Open console" in the tray brings the window back.
wmctrl -i -c "$main"
wait_no_window Tessera 10
sleep 3
[[ -z $(visible_window "Tessera keeps running") ]] || fail "the notice came again at the second close"
tray_click "Open console"
[[ $(wait_window Tessera 10) == "$main" ]] || fail "Open console did not show the window"
echo "second close: no notice; Open console in the tray: the window is visible again"

# (c) Quit in the tray: the server stops gracefully, the app exits, the port is free.
started=$(date +%s%N)
tray_click "Quit"
app_exited Quit
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
grep -q "stopping the server" "$log" || fail "the app did not stop its server"
echo "Quit from the tray: the app exited (code 0) ${elapsed_ms} ms after the click; port $port is free"

# --- 5. no panel shows tray icons: closing the window quits, the server stops ----------
kill "${helpers[0]}" # the StatusNotifierWatcher
wait "${helpers[0]}" 2>/dev/null || true
start_app no-panel
main=$(wait_window Tessera 60)
wmctrl -i -c "$main"
app_exited "its window was closed with no panel for the tray"
echo "no panel: closing the window quit the app (code 0), port $port is free"

trap - EXIT
echo "desktop smoke test passed"
