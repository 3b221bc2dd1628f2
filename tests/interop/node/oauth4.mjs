// Shared steps of the oauth4webapi scripts: discovery, the authorization request (plain or
// pushed), the hosted sign-in (lib.mjs Browser), the code exchange and a refresh, all with
// oauth4webapi's own checks (state, iss, ID token claims, nonce).
import * as oauth from "oauth4webapi";
import { readFileSync } from "node:fs";
import { Browser, env } from "./lib.mjs";

/** The installed oauth4webapi version (from its package.json). */
export function oauth4webapiVersion() {
  const pkg = new URL("./node_modules/oauth4webapi/package.json", import.meta.url);
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}

/** Tessera in tests is plain http on 127.0.0.1. */
export const insecure = { [oauth.allowInsecureRequests]: true };

export async function discover() {
  const issuer = new URL(env("TESSERA_ISSUER"));
  const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

/** The client's private key from TESSERA_PRIVATE_KEY_PEM (PKCS#8, P-256) and TESSERA_KID. */
export async function privateKey() {
  const pem = env("TESSERA_PRIVATE_KEY_PEM");
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return { key, kid: env("TESSERA_KID") };
}

/**
 * Signs Ann in and exchanges the code. `pushed`: send the request through PAR first and
 * put only client_id + request_uri in the authorization URL. Returns what happened.
 */
export async function signIn(as, client, clientAuth, { pushed = false } = {}) {
  const redirectUri = env("TESSERA_REDIRECT_URI");
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const params = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: env("TESSERA_SCOPE"),
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  const url = new URL(as.authorization_endpoint);
  let par = null;
  if (pushed) {
    const response = await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, insecure);
    par = await oauth.processPushedAuthorizationResponse(as, client, response);
    url.searchParams.set("client_id", client.client_id);
    url.searchParams.set("request_uri", par.request_uri);
  } else {
    for (const [k, v] of params) url.searchParams.set(k, v);
  }
  const browser = new Browser();
  const callback = await browser.login(url, env("TESSERA_EMAIL"), env("TESSERA_PASSWORD"));
  const callbackParams = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, callbackParams, redirectUri, codeVerifier, insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
  });
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  let refreshed = null;
  if (tokens.refresh_token) {
    const r = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure);
    refreshed = await oauth.processRefreshTokenResponse(as, client, r);
  }
  return {
    oauth4webapi_version: oauth4webapiVersion(),
    par: par && { request_uri_prefix: par.request_uri.split(":").slice(0, -1).join(":"), expires_in: par.expires_in },
    authorization_url: url.href,
    token_type: tokens.token_type,
    has_access_token: typeof tokens.access_token === "string",
    id_token_claims: claims,
    refreshed: refreshed && { has_access_token: typeof refreshed.access_token === "string" },
  };
}
