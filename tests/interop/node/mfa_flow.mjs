// A two-factor sign-in read by openid-client (v6): discovery lists `acr_values_supported`;
// the authorization request asks for `acr_values=aal2`; the hosted pages take the password,
// then enroll an authenticator app (the code computed here from the key the page shows);
// openid-client validates the ID token (signature through the JWKS, iss, aud, nonce,
// auth_time) carrying `amr`, `acr`, `aal` and `auth_method`, and refreshes.
// Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID (public web client), TESSERA_REDIRECT_URI,
//      TESSERA_EMAIL, TESSERA_PASSWORD, TESSERA_SCOPE.
import * as client from "openid-client";
import { Browser, env, openidClientVersion, run } from "./lib.mjs";

await run(async () => {
  const issuer = new URL(env("TESSERA_ISSUER"));
  const redirectUri = env("TESSERA_REDIRECT_URI");
  const config = await client.discovery(issuer, env("TESSERA_CLIENT_ID"), undefined, client.None(), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: env("TESSERA_SCOPE"),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
    acr_values: "aal2",
  });

  const browser = new Browser();
  const next = await browser.login(authorizationUrl, env("TESSERA_EMAIL"), env("TESSERA_PASSWORD"));
  if (next.pathname !== "/login/mfa/setup") throw new Error(`the password led to ${next}`);
  const callback = await browser.enrollTotp(next);
  if (!callback.href.startsWith(redirectUri)) throw new Error(`enrollment went to ${callback}`);

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    maxAge: 300,
  });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  return {
    openid_client_version: openidClientVersion(),
    acr_values_supported: config.serverMetadata().acr_values_supported ?? null,
    id_token_claims: tokens.claims(),
    access_token: tokens.access_token,
    refreshed_id_token_claims: refreshed.id_token ? refreshed.claims() : null,
    refreshed_access_token: refreshed.access_token,
  };
});
