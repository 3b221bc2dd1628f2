// DPoP (RFC 9449) with oauth4webapi (v3, a strict client) against a running Tessera:
// discovery, code + PKCE with a DPoP proof (an ES256 key made by oauth4webapi), userinfo
// with the DPoP-bound token, a refresh with the same key, and the refusals a strict client
// must see: the bound token as Bearer, a refresh with another key. `use_dpop_nonce`
// answers are retried once with the nonce oauth4webapi keeps. Prints one JSON object on
// stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID (public web client), TESSERA_REDIRECT_URI,
//      TESSERA_EMAIL, TESSERA_PASSWORD, TESSERA_SCOPE.
import * as oauth from "oauth4webapi";
import { readFileSync } from "node:fs";
import { Browser, env, expectRejection, openidClientVersion, run } from "./lib.mjs";

const insecure = { [oauth.allowInsecureRequests]: true };

/** Runs `request` and `process`; once more when the server asks for a DPoP nonce. */
async function withNonceRetry(request, process) {
  try {
    return await process(await request());
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return process(await request());
  }
}

function oauth4webapiVersion() {
  const pkg = new URL("./node_modules/oauth4webapi/package.json", import.meta.url);
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}

await run(async () => {
  const issuer = new URL(env("TESSERA_ISSUER"));
  const redirectUri = env("TESSERA_REDIRECT_URI");
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  const client = { client_id: env("TESSERA_CLIENT_ID") };
  const clientAuth = oauth.None();
  const keyPair = await oauth.generateKeyPair("ES256");
  const DPoP = oauth.DPoP(client, keyPair);

  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const authorizationUrl = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: env("TESSERA_SCOPE"),
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  })) {
    authorizationUrl.searchParams.set(k, v);
  }
  const browser = new Browser();
  const callback = await browser.login(authorizationUrl, env("TESSERA_EMAIL"), env("TESSERA_PASSWORD"));
  const params = oauth.validateAuthResponse(as, client, callback, state);

  const tokens = await withNonceRetry(
    () => oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier, { DPoP, ...insecure }),
    (response) => oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true }),
  );
  const sub = oauth.getValidatedIdTokenClaims(tokens).sub;
  const userinfo = await withNonceRetry(
    () => oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
    (response) => oauth.processUserInfoResponse(as, client, sub, response),
  );
  // The bound token without its proof.
  const asBearer = await expectRejection("the DPoP-bound token as a Bearer token", async () =>
    oauth.processUserInfoResponse(as, client, sub, await oauth.userInfoRequest(as, client, tokens.access_token, insecure)),
  );
  // A refresh with another key: the public client's refresh token is bound to the first.
  const otherDPoP = oauth.DPoP(client, await oauth.generateKeyPair("ES256"));
  const otherKey = await expectRejection("a refresh with another DPoP key", () =>
    withNonceRetry(
      () => oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, { DPoP: otherDPoP, ...insecure }),
      (response) => oauth.processRefreshTokenResponse(as, client, response),
    ),
  );
  const refreshed = await withNonceRetry(
    () => oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, { DPoP, ...insecure }),
    (response) => oauth.processRefreshTokenResponse(as, client, response),
  );
  const userinfoAfterRefresh = await withNonceRetry(
    () => oauth.userInfoRequest(as, client, refreshed.access_token, { DPoP, ...insecure }),
    (response) => oauth.processUserInfoResponse(as, client, sub, response),
  );

  return {
    openid_client_version: openidClientVersion(),
    oauth4webapi_version: oauth4webapiVersion(),
    dpop_signing_alg_values_supported: as.dpop_signing_alg_values_supported,
    token_type: tokens.token_type,
    access_token: tokens.access_token,
    public_jwk: await crypto.subtle.exportKey("jwk", keyPair.publicKey),
    userinfo,
    as_bearer: asBearer,
    other_key: otherKey,
    refresh: {
      token_type: refreshed.token_type,
      access_token: refreshed.access_token,
      refresh_token_rotated: refreshed.refresh_token !== tokens.refresh_token,
    },
    userinfo_after_refresh: userinfoAfterRefresh,
  };
});
