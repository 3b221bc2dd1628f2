#!/usr/bin/env python3
"""Login flood against a running Tessera (loopback only; stdlib only). Called by
bench/login_flood.sh, which builds, starts the server and creates the users.

Attack: ATTACKS wrong-password logins (at most 4 per account) from source addresses
127.0.0.2-127.0.0.11, all released at once; an attacker retries a 503 (as attackers do)
until it gets another answer or the attack deadline passes. Meanwhile a legitimate user
signs in LEGIT times, one after the other, from 127.0.0.20, through the browser-like flow
(GET /oauth/authorize -> GET /login -> POST /login -> 303 to the redirect URI).
Prints one JSON object with the figures.
"""

import argparse
import http.client
import json
import re
import threading
import time
import urllib.parse

INPUT = re.compile(r'<input type="hidden" name="(interaction|csrf_token)" value="([^"]*)"')


class Flow:
    """One browser: a connection from a fixed source address and its cookies."""

    def __init__(self, host, port, source, timeout=30):
        self.conn = http.client.HTTPConnection(
            host, port, timeout=timeout, source_address=(source, 0)
        )
        self.cookies = {}

    def request(self, method, path, body=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, resp.headers, data.decode("utf-8", "replace")

    def open_login(self, authorize_path):
        status, headers, _ = self.request("GET", authorize_path)
        if status != 303:
            raise RuntimeError(f"authorize answered {status}")
        login = urllib.parse.urlsplit(headers["Location"])
        status, _, html = self.request("GET", f"{login.path}?{login.query}")
        if status != 200:
            raise RuntimeError(f"login page answered {status}")
        return dict(INPUT.findall(html))

    def submit(self, form, email, password):
        body = dict(form, email=email, password=password)
        status, headers, _ = self.request("POST", "/login", body)
        return status, headers


def authorize_path(client_id, redirect_uri):
    q = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )
    return f"/oauth/authorize?{q}"


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--redirect-uri", required=True)
    ap.add_argument("--victims", type=int, default=80, help="accounts victimN@bench.example")
    ap.add_argument("--legit-email", required=True)
    ap.add_argument("--legit-password", required=True)
    ap.add_argument("--attacks", type=int, default=300)
    ap.add_argument("--legit", type=int, default=20)
    ap.add_argument("--deadline", type=float, default=30.0, help="attack seconds at most")
    args = ap.parse_args()

    host = "127.0.0.1"
    path = authorize_path(args.client_id, args.redirect_uri)
    if args.attacks > 4 * args.victims:
        raise SystemExit("at most 4 attempts per account: add victims")
    sources = [f"127.0.0.{i}" for i in range(2, 12)]

    # Every attacker opens its login form first, so the POSTs can all start together.
    attackers = []
    for i in range(args.attacks):
        flow = Flow(host, args.port, sources[i % len(sources)])
        attackers.append((flow, flow.open_login(path), f"victim{i % args.victims}@bench.example"))

    # Baseline: the legitimate flow with no attack running.
    baseline = []
    for _ in range(5):
        flow = Flow(host, args.port, "127.0.0.20")
        t0 = time.monotonic()
        status, _ = flow.submit(flow.open_login(path), args.legit_email, args.legit_password)
        if status != 303:
            raise SystemExit(f"baseline sign-in answered {status}")
        baseline.append(time.monotonic() - t0)

    counts = {}
    lock = threading.Lock()
    start = threading.Barrier(args.attacks + 1)
    deadline = [0.0]
    finished = []

    def count(status):
        with lock:
            counts[status] = counts.get(status, 0) + 1

    def attack(flow, form, email):
        start.wait()
        try:
            while True:
                try:
                    status, _ = flow.submit(form, email, "wrong password, of course")
                except (OSError, http.client.HTTPException):
                    count("connection_error")
                    return
                count(status)
                if status != 503 or time.monotonic() > deadline[0]:
                    return
                time.sleep(0.02)
        finally:
            with lock:
                finished.append(time.monotonic())

    threads = [threading.Thread(target=attack, args=a, daemon=True) for a in attackers]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + args.deadline
    attack_started = time.monotonic()
    start.wait()

    # The legitimate user, during the attack.
    flows, posts, legit, starts = [], [], {}, []
    for _ in range(args.legit):
        flow = Flow(host, args.port, "127.0.0.20")
        t0 = time.monotonic()
        starts.append(t0)
        try:
            form = flow.open_login(path)
            t1 = time.monotonic()
            status, headers = flow.submit(form, args.legit_email, args.legit_password)
        except (OSError, http.client.HTTPException, RuntimeError) as e:
            legit[str(e)] = legit.get(str(e), 0) + 1
            continue
        t2 = time.monotonic()
        ok = status == 303 and headers.get("Location", "").startswith(args.redirect_uri)
        legit["signed_in" if ok else str(status)] = legit.get("signed_in" if ok else str(status), 0) + 1
        flows.append(t2 - t0)
        posts.append(t2 - t1)
    legit_done = time.monotonic() - attack_started

    for t in threads:
        t.join(timeout=args.deadline + 30)
    attack_end = max(finished) if finished else time.monotonic()
    attack_secs = attack_end - attack_started
    during = sum(1 for s in starts if s < attack_end)
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    print(
        json.dumps(
            {
                "attack_requests": sum(v for v in counts.values()),
                "attack_status_counts": {str(k): v for k, v in sorted(counts.items(), key=str)},
                "attack_seconds": round(attack_secs, 2),
                "legit_results": legit,
                "legit_seconds": round(legit_done, 2),
                "legit_started_during_attack": during,
                "baseline_flow_ms": {"p50": ms(percentile(baseline, 50)), "max": ms(max(baseline))},
                "legit_flow_ms": {"p50": ms(percentile(flows, 50)), "p99": ms(percentile(flows, 99)),
                                  "max": ms(max(flows) if flows else None)},
                "legit_post_ms": {"p50": ms(percentile(posts, 50)), "p99": ms(percentile(posts, 99))},
            }
        )
    )


if __name__ == "__main__":
    main()
