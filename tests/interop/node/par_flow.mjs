// PAR (RFC 9126) with oauth4webapi: the authorization request is pushed to
// pushed_authorization_request_endpoint, the browser gets only client_id + request_uri,
// then the code is exchanged. Prints one JSON object on stdout; exit code 1 on failure.
//
// Env: TESSERA_ISSUER, TESSERA_CLIENT_ID (public web client), TESSERA_REDIRECT_URI,
//      TESSERA_EMAIL, TESSERA_PASSWORD, TESSERA_SCOPE.
import * as oauth from "oauth4webapi";
import { env, openidClientVersion, run } from "./lib.mjs";
import { discover, signIn } from "./oauth4.mjs";

await run(async () => {
  const as = await discover();
  const client = { client_id: env("TESSERA_CLIENT_ID") };
  const flow = await signIn(as, client, oauth.None(), { pushed: true });
  return {
    openid_client_version: openidClientVersion(),
    par_endpoint: as.pushed_authorization_request_endpoint,
    require_par: as.require_pushed_authorization_requests,
    ...flow,
  };
});
