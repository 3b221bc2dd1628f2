// private_key_jwt code flow with oauth4webapi: the client authenticates at the token
// endpoint with oauth.PrivateKeyJwt (ES256, the key registered as the client's jwks).
// Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID, TESSERA_REDIRECT_URI, TESSERA_EMAIL,
//      TESSERA_PASSWORD, TESSERA_SCOPE, TESSERA_PRIVATE_KEY_PEM, TESSERA_KID.
import * as oauth from "oauth4webapi";
import { env, expectRejection, openidClientVersion, run } from "./lib.mjs";
import { discover, privateKey, signIn } from "./oauth4.mjs";

await run(async () => {
  const as = await discover();
  const client = { client_id: env("TESSERA_CLIENT_ID") };
  const flow = await signIn(as, client, oauth.PrivateKeyJwt(await privateKey()));
  // Without the assertion the client is refused.
  const unauthenticated = await expectRejection("a code flow without the assertion", () =>
    signIn(as, client, oauth.None()),
  );
  return {
    openid_client_version: openidClientVersion(),
    auth_signing_algs: as.token_endpoint_auth_signing_alg_values_supported,
    ...flow,
    unauthenticated,
  };
});
