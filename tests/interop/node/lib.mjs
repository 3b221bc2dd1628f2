// Shared helpers for the interop scripts: env access, JSON output, and a tiny
// cookie-carrying "browser" that walks Tessera's hosted login page with fetch.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

/** The installed openid-client version (from its package.json). */
export function openidClientVersion() {
  const pkg = new URL("./node_modules/openid-client/package.json", import.meta.url);
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}

/** The value of a required environment variable. */
export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Runs `main`, prints its result as one JSON line; on failure prints {"ok":false,...} and exits 1. */
export async function run(main) {
  try {
    const result = await main();
    process.stdout.write(JSON.stringify({ ok: true, ...result }) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: describe(err) }) + "\n");
    process.exitCode = 1;
  }
}

/** A short, JSON-friendly description of an error thrown by openid-client or fetch. */
export function describe(err) {
  return {
    name: err?.name,
    code: err?.code,
    message: String(err?.message ?? err),
    // openid-client's ResponseBodyError carries the OAuth error of the server's answer.
    error: err?.error,
    error_description: err?.error_description,
    status: err?.status,
    // WWWAuthenticateChallengeError (a 401 with WWW-Authenticate) carries the parsed challenges.
    challenges: Array.isArray(err?.cause) ? err.cause : undefined,
    cause: err?.cause && !Array.isArray(err.cause) ? String(err.cause?.message ?? err.cause) : undefined,
  };
}

/** describe(), plus the OAuth error JSON of the HTTP answer when the error carries one. */
async function describeWithBody(err) {
  const out = describe(err);
  if (err?.response instanceof Response && !err.response.bodyUsed) {
    try {
      const body = await err.response.json();
      out.body = body;
      out.error ??= body?.error;
      out.error_description ??= body?.error_description;
    } catch {
      // not JSON: keep what we have
    }
  }
  return out;
}

/** Runs `fn`, which must throw; returns the description of what it threw. */
export async function expectRejection(what, fn) {
  try {
    await fn();
  } catch (err) {
    return describeWithBody(err);
  }
  throw new Error(`${what}: expected a rejection, but it succeeded`);
}

/** The `value` of `<input name="NAME" ...>` in an HTML page (entity-decoded). */
export function hiddenInput(html, name) {
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const attrs = {};
    for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>/]+))/g)) {
      attrs[m[1].toLowerCase()] = m[3] ?? m[4] ?? m[5] ?? "";
    }
    if (attrs.name === name) return decodeEntities(attrs.value ?? "");
  }
  throw new Error(`the page has no <input name="${name}">: ${html.slice(0, 500)}`);
}

function decodeEntities(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** fetch without following redirects, keeping cookies like a browser would. */
export class Browser {
  constructor() {
    this.cookies = new Map();
  }

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const resp = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of resp.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return resp;
  }

  /** Location of a 303 answer, resolved against the request URL. */
  static location(resp, base, what) {
    if (resp.status !== 303) throw new Error(`${what}: expected 303, got ${resp.status}`);
    const loc = resp.headers.get("location");
    if (!loc) throw new Error(`${what}: 303 without Location`);
    return new URL(loc, base);
  }

  /**
   * The whole hosted login: GET authorize -> 303 /login?interaction=... -> GET the form ->
   * POST /login -> 303 to the redirect_uri. Returns that final URL (not followed).
   */
  async login(authorizationUrl, email, password) {
    const authorize = await this.fetch(authorizationUrl);
    const loginUrl = Browser.location(authorize, authorizationUrl, "GET authorize");
    if (loginUrl.pathname !== "/login") throw new Error(`authorize went to ${loginUrl}`);
    if (!this.cookies.has("tessera_interaction")) {
      throw new Error("authorize did not set the tessera_interaction cookie");
    }
    const page = await this.fetch(loginUrl);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`GET /login: ${page.status} ${html.slice(0, 300)}`);
    const form = new URLSearchParams({
      email,
      password,
      interaction: hiddenInput(html, "interaction"),
      csrf_token: hiddenInput(html, "csrf_token"),
    });
    const done = await this.fetch(new URL("/login", loginUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    if (done.status !== 303) {
      const body = await done.text();
      throw new Error(`POST /login: ${done.status} ${body.slice(0, 300)}`);
    }
    return Browser.location(done, loginUrl, "POST /login");
  }

  /** POSTs the hidden fields of `html`'s form plus `extra` to `path`; returns the answer. */
  async submit(base, path, html, extra = {}) {
    const fields = {};
    for (const name of ["interaction", "csrf_token"]) fields[name] = hiddenInput(html, name);
    return this.fetch(new URL(path, base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...fields, ...extra }),
    });
  }

  /**
   * TOTP enrollment on the setup page a sign-in was sent to: reads the key the page shows,
   * sends the code an authenticator app would show, then "Continue" past the recovery
   * codes. Returns the redirect back to the client (not followed).
   */
  async enrollTotp(setupUrl) {
    const page = await this.fetch(setupUrl);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`GET ${setupUrl.pathname}: ${page.status}`);
    const shown = html.match(/id="totp-secret">([^<]*)</);
    if (!shown) throw new Error(`no key shown: ${html.slice(0, 300)}`);
    const code = totp(shown[1].replace(/\s+/g, ""));
    const codes = await this.submit(setupUrl, "/login/mfa/setup", html, { code });
    const codesHtml = await codes.text();
    if (codes.status !== 200) throw new Error(`POST setup: ${codes.status} ${codesHtml.slice(0, 300)}`);
    const done = await this.submit(setupUrl, "/login/mfa/continue", codesHtml);
    return Browser.location(done, setupUrl, "POST /login/mfa/continue");
  }
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret, now. */
export function totp(secret, time = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}
