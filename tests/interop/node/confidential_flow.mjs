// Confidential web client code flow with oauth4webapi: client_secret_basic at the token
// endpoint (PKCE still sent). Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID, TESSERA_CLIENT_SECRET, TESSERA_REDIRECT_URI,
//      TESSERA_EMAIL, TESSERA_PASSWORD, TESSERA_SCOPE.
import * as oauth from "oauth4webapi";
import { env, expectRejection, openidClientVersion, run } from "./lib.mjs";
import { discover, signIn } from "./oauth4.mjs";

await run(async () => {
  const as = await discover();
  const client = { client_id: env("TESSERA_CLIENT_ID") };
  const flow = await signIn(as, client, oauth.ClientSecretBasic(env("TESSERA_CLIENT_SECRET")));
  const wrongSecret = await expectRejection("a wrong client secret", () =>
    signIn(as, client, oauth.ClientSecretBasic("not-the-secret")),
  );
  return {
    openid_client_version: openidClientVersion(),
    ...flow,
    wrong_secret: wrongSecret,
  };
});
