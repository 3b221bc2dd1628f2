// The official MCP TypeScript SDK's OAuth client connects to examples/mcp through Tessera.
//
// The SDK's own auth() does every OAuth step: the 401's resource_metadata -> RFC 9728
// protected-resource metadata -> RFC 8414 authorization-server metadata -> RFC 7591
// dynamic registration -> authorization request with PKCE and `resource` -> code exchange
// with `resource`. This script only plays the user's browser (redirectToAuthorization): it
// walks Tessera's hosted pages over HTTP with a cookie jar (sign-in form, branch choice,
// consent) and hands the code from the redirect back to transport.finishAuth().
//
// Env: MCP_URL (the server's /mcp URL), TESSERA_EMAIL, TESSERA_PASSWORD, REDIRECT_URI (a
// loopback URL nothing needs to listen on). Prints one JSON line: {"ok": true, ...} or
// {"ok": false, "step": ..., "error": ...}; exits 1 on failure.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Browser } from "../node/lib.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const MCP_URL = new URL(env("MCP_URL"));
const EMAIL = env("TESSERA_EMAIL");
const PASSWORD = env("TESSERA_PASSWORD");
const REDIRECT_URI = env("REDIRECT_URI");

const sdkVersion = JSON.parse(
  readFileSync(new URL("./node_modules/@modelcontextprotocol/sdk/package.json", import.meta.url), "utf8"),
).version;

/** Every HTTP request the SDK made: method, URL without query, status (no secrets). */
const trace = [];
/** Steps done so far, for the failure report. */
const done = [];

/** fetch for the SDK: records each request; for the token endpoint, the grant and resource. */
async function tracedFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? (input instanceof Request ? input.method : "GET");
  const response = await fetch(input, init);
  const entry = { method, url: `${url.origin}${url.pathname}`, status: response.status };
  if (init?.body instanceof URLSearchParams) {
    entry.grant_type = init.body.get("grant_type") ?? undefined;
    entry.resource = init.body.get("resource") ?? undefined;
  } else if (typeof init?.body === "string" && url.pathname.endsWith("/register")) {
    try {
      entry.registration = JSON.parse(init.body);
    } catch {
      // not JSON: nothing to record
    }
  }
  trace.push(entry);
  return response;
}

/** An OAuthClientProvider that keeps everything in memory and drives the browser itself. */
class InMemoryProvider {
  constructor() {
    this.client = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.sentState = undefined;
    this.code = undefined;
    this.browser = new UserBrowser();
  }
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return {
      client_name: "Tessera MCP interop (node)",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: "orders:read",
    };
  }
  state() {
    this.sentState = randomBytes(16).toString("base64url");
    return this.sentState;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    if (!this.verifier) throw new Error("no PKCE code verifier saved");
    return this.verifier;
  }
  async redirectToAuthorization(url) {
    done.push("authorization_request");
    this.authorizationUrl = url;
    const back = await this.browser.signIn(url);
    if (back.searchParams.get("state") !== this.sentState) {
      throw new Error(`state not echoed: ${back.searchParams.get("state")}`);
    }
    const error = back.searchParams.get("error");
    if (error) throw new Error(`authorization refused: ${error} ${back.searchParams.get("error_description") ?? ""}`);
    this.code = back.searchParams.get("code");
    this.iss = back.searchParams.get("iss");
    if (!this.code) throw new Error(`no code in ${back}`);
    done.push("user_signed_in");
  }
}

/**
 * The user's browser: lib.mjs's cookie-keeping fetch, walking Tessera's hosted pages
 * (sign-in form, branch choice, consent) the way a person fills them in.
 */
class UserBrowser extends Browser {
  constructor() {
    super();
    this.pages = [];
  }

  /** From the authorization URL to the redirect back to REDIRECT_URI (returned). */
  async signIn(authorizationUrl) {
    let url = new URL(authorizationUrl);
    let response = await this.fetch(url);
    for (let hop = 0; hop < 15; hop++) {
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        if (url.href.startsWith(REDIRECT_URI)) return url;
        response = await this.fetch(url);
        continue;
      }
      const html = await response.text();
      const action = html.match(/<form[^>]*\baction="([^"]*)"/)?.[1];
      if (response.status !== 200 || !action) {
        throw new Error(`${url.pathname} answered ${response.status}: ${html.slice(0, 400)}`);
      }
      this.pages.push(url.pathname);
      response = await this.submit(url, action.replace(/&amp;/g, "&"), html, pageAnswers(html));
    }
    throw new Error("too many hops in the sign-in");
  }
}

/** What the user enters on a hosted page besides its hidden fields. */
function pageAnswers(html) {
  if (/name="password"/.test(html)) return { email: EMAIL, password: PASSWORD };
  const branch = html.match(/<input[^>]*name="branch"[^>]*value="([^"]*)"/);
  if (branch) return { branch: branch[1] };
  if (/name="decision"/.test(html)) return { decision: "approve" };
  return {};
}

/** The JSON payload of a JWT (not verified: the MCP server verifies it). */
function jwtClaims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/** A tool's structured result, or its text parsed as JSON. */
function toolResult(result) {
  if (result.structuredContent) return { isError: !!result.isError, ...result.structuredContent };
  const text = result.content?.find((c) => c.type === "text")?.text ?? "";
  return { isError: !!result.isError, text };
}

async function main() {
  const out = { sdk_version: sdkVersion };
  let step = "probe";
  try {
    // 1. What any client sees first: 401 and where the resource's metadata is.
    const probe = await fetch(MCP_URL, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "ping" }),
    });
    out.probe = { status: probe.status, www_authenticate: probe.headers.get("www-authenticate") };
    done.push("probe");

    // 2. The SDK's client: connect -> 401 -> auth() -> registration -> browser -> code.
    step = "oauth";
    const provider = new InMemoryProvider();
    const transport = new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider, fetch: tracedFetch });
    const first = new Client({ name: "tessera-interop", version: "0.0.0" });
    try {
      await first.connect(transport);
      throw new Error("connected without signing in: the server did not ask for a token");
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
    }
    if (!provider.code) throw new Error("auth() did not start the authorization (no code)");
    step = "token";
    await transport.finishAuth(provider.code);
    done.push("token");
    out.registered_client = { ...provider.client, client_secret: undefined };
    out.authorization_request = Object.fromEntries(provider.authorizationUrl.searchParams);
    delete out.authorization_request.code_challenge;
    delete out.authorization_request.state;
    out.iss = provider.iss;
    out.pages = provider.browser.pages;
    out.token = {
      token_type: provider.saved.token_type,
      scope: provider.saved.scope,
      expires_in: provider.saved.expires_in,
      refresh_token: !!provider.saved.refresh_token,
      claims: jwtClaims(provider.saved.access_token),
    };

    // 3. Connected with the token: the tools.
    step = "connect";
    const client = new Client({ name: "tessera-interop", version: "0.0.0" });
    await client.connect(new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider, fetch: tracedFetch }));
    done.push("connected");
    step = "tools";
    out.tools = (await client.listTools()).tools.map((t) => t.name).sort();
    out.whoami = toolResult(await client.callTool({ name: "whoami", arguments: {} }));
    out.list_orders = toolResult(await client.callTool({ name: "list_orders", arguments: {} }));
    done.push("tools");
    await client.close();
    return { ok: true, ...out, steps: done, trace };
  } catch (err) {
    return {
      ok: false,
      step,
      error: String(err?.stack ?? err),
      ...out,
      steps: done,
      trace,
    };
  }
}

const result = await main();
process.stdout.write(JSON.stringify(result) + "\n");
if (!result.ok) process.exitCode = 1;
