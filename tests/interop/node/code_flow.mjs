// Authorization code + PKCE flow against a running Tessera with openid-client (v6):
// discovery, authorization URL, hosted login (lib.mjs Browser), code exchange with the ID
// token validated by openid-client (claims and, with enableNonRepudiationChecks, the JWS
// signature through the JWKS), userinfo, refresh (rotation), and the checks openid-client
// must refuse. Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID (public web client), TESSERA_REDIRECT_URI,
//      TESSERA_EMAIL, TESSERA_PASSWORD, TESSERA_SCOPE.
import * as client from "openid-client";
import { Browser, env, expectRejection, openidClientVersion, run } from "./lib.mjs";

await run(async () => {
  const issuer = new URL(env("TESSERA_ISSUER"));
  const redirectUri = env("TESSERA_REDIRECT_URI");
  const scope = env("TESSERA_SCOPE");

  // Public client (PKCE only). Tessera in tests is plain http on 127.0.0.1.
  const config = await client.discovery(issuer, env("TESSERA_CLIENT_ID"), undefined, client.None(), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  const metadata = config.serverMetadata();

  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
    state,
    nonce,
  });

  const browser = new Browser();
  const callback = await browser.login(authorizationUrl, env("TESSERA_EMAIL"), env("TESSERA_PASSWORD"));
  if (!callback.href.startsWith(redirectUri)) throw new Error(`login went to ${callback}`);

  // openid-client checks the authorization response before spending the code.
  const wrongState = await expectRejection("a callback with an unexpected state", () =>
    client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: codeVerifier,
      expectedState: client.randomState(),
      expectedNonce: nonce,
    }),
  );

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    maxAge: 300,
  });
  const idClaims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  // A second, silent sign-in rides the SSO cookie straight back to the redirect URI; a
  // nonce that does not match the ID token's must be refused by openid-client.
  const sso = await browser.fetch(
    client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: codeChallenge,
      code_challenge_method: "S256",
      state,
      nonce,
    }),
  );
  const ssoCallback = Browser.location(sso, issuer, "authorize with an SSO session");
  const wrongNonce = await expectRejection("an ID token with an unexpected nonce", () =>
    client.authorizationCodeGrant(config, ssoCallback, {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: client.randomNonce(),
    }),
  );
  // Rotation: the refresh token used above is spent; reusing it must fail.
  const reuse = await expectRejection("reusing a rotated refresh token", () =>
    client.refreshTokenGrant(config, tokens.refresh_token),
  );

  return {
    openid_client_version: openidClientVersion(),
    discovery: {
      issuer: metadata.issuer,
      authorization_endpoint: metadata.authorization_endpoint,
      token_endpoint: metadata.token_endpoint,
      jwks_uri: metadata.jwks_uri,
    },
    authorization_url: authorizationUrl.href,
    callback: {
      url_without_query: callback.origin + callback.pathname,
      has_code: callback.searchParams.has("code"),
      state_matches: callback.searchParams.get("state") === state,
      iss: callback.searchParams.get("iss"),
    },
    wrong_state: wrongState,
    token_response: {
      token_type: tokens.token_type,
      expires_in: tokens.expires_in,
      scope: tokens.scope,
      has_access_token: typeof tokens.access_token === "string",
      has_refresh_token: typeof tokens.refresh_token === "string",
      has_id_token: typeof tokens.id_token === "string",
    },
    access_token: tokens.access_token,
    nonce,
    id_token_claims: idClaims,
    userinfo,
    refresh: {
      has_access_token: typeof refreshed.access_token === "string",
      access_token_changed: refreshed.access_token !== tokens.access_token,
      refresh_token_rotated:
        typeof refreshed.refresh_token === "string" && refreshed.refresh_token !== tokens.refresh_token,
      scope: refreshed.scope,
      id_token_claims: refreshed.id_token ? refreshed.claims() : null,
    },
    sso_callback_has_code: ssoCallback.searchParams.has("code"),
    wrong_nonce: wrongNonce,
    refresh_reuse: reuse,
  };
});
