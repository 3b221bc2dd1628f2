// client_credentials with a product's server client through openid-client (v6), with both
// client authentication methods Tessera advertises, plus a refused out-of-grant scope and a
// refused wrong secret. Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID (server client), TESSERA_CLIENT_SECRET,
//      TESSERA_SCOPE (a scope granted to the server client).
import * as client from "openid-client";
import { env, expectRejection, openidClientVersion, run } from "./lib.mjs";

await run(async () => {
  const issuer = new URL(env("TESSERA_ISSUER"));
  const clientId = env("TESSERA_CLIENT_ID");
  const secret = env("TESSERA_CLIENT_SECRET");
  const options = { execute: [client.allowInsecureRequests] };

  const basic = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(secret), options);
  const post = await client.discovery(issuer, clientId, undefined, client.ClientSecretPost(secret), options);

  const viaBasic = await client.clientCredentialsGrant(basic, { scope: env("TESSERA_SCOPE") });
  const viaPost = await client.clientCredentialsGrant(post);
  const badScope = await expectRejection("a scope the server client was not granted", () =>
    client.clientCredentialsGrant(basic, { scope: "not-granted:scope" }),
  );
  const wrong = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(`${secret}x`), options);
  const badSecret = await expectRejection("a wrong client secret", () => client.clientCredentialsGrant(wrong));

  const summary = (t) => ({
    token_type: t.token_type,
    expires_in: t.expires_in,
    scope: t.scope,
    has_refresh_token: "refresh_token" in t,
    has_id_token: "id_token" in t,
    access_token: t.access_token,
  });
  return {
    openid_client_version: openidClientVersion(),
    basic: summary(viaBasic),
    post: summary(viaPost),
    bad_scope: badScope,
    bad_secret: badSecret,
  };
});
