// A single-page app signing in with Tessera from the browser: discovery, the authorization
// code flow with PKCE (S256), the code exchange and userinfo by fetch (CORS: the SPA's
// origin is one its product's web client allows). oauth4webapi does the protocol checks.
// Tokens live in memory only; the login in progress (state, nonce, verifier) in
// sessionStorage until the callback.
import * as oauth from '/vendor/oauth4webapi.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
const issuer = new URL(config.issuer);
// oauth4webapi wants https; a local issuer on http://127.0.0.1 needs this opt-in.
const options = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
const client = { client_id: config.client_id };
const clientAuth = oauth.None(); // a public client: PKCE, no secret
const redirectUri = `${location.origin}/callback`;
const PENDING = 'tessera-spa-login';

/** A failure's message; a fetch the browser blocked (no CORS answer) says what to check. */
function explain(e) {
  if (e instanceof TypeError && /fetch/i.test(e.message)) {
    return `${e.message}: the browser blocked the call to Tessera (is ${location.origin} one of the product's allowed origins?)`;
  }
  return `${e.message ?? e}${e.cause ? ` (${JSON.stringify(e.cause)})` : ''}`;
}

function fail(message) {
  $('status').textContent = 'Not signed in.';
  $('error').textContent = message;
  $('error').hidden = false;
  $('sign-in').hidden = false;
}

async function discover() {
  const response = await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oidc' });
  return oauth.processDiscoveryResponse(issuer, response);
}

/** Sends the browser to Tessera's sign-in page with a fresh state, nonce and verifier. */
async function signIn(as) {
  const verifier = oauth.generateRandomCodeVerifier();
  const pending = { verifier, state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce() };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url);
}

/** The callback at `url`: checks state and iss, exchanges the code, reads userinfo. */
async function finish(as, url) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING); // single use
  if (!pending) throw new Error('no sign-in was started in this tab');
  const params = oauth.validateAuthResponse(as, client, url, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, params, redirectUri, pending.verifier, options,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: pending.nonce,
    requireIdToken: true,
  });
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  const info = await oauth.processUserInfoResponse(
    as, client, claims.sub, await oauth.userInfoRequest(as, client, tokens.access_token, options),
  );
  $('email').textContent = info.email ?? '(no email)';
  $('sub').textContent = info.sub;
  $('expires').textContent = `${tokens.expires_in} s`;
  $('profile').hidden = false;
  $('status').textContent = `Signed in as ${info.email}`;
}

try {
  const as = await discover();
  $('sign-in').addEventListener('click', () => signIn(as).catch((e) => fail(explain(e))));
  // The callback arrives at /callback, and the server serves this page there too.
  const callback = new URL(location.href);
  if (callback.pathname === '/callback') {
    // The code leaves the address bar (and history) at once.
    history.replaceState(null, '', '/');
    await finish(as, callback).catch((e) => fail(explain(e)));
  } else {
    $('status').textContent = 'Not signed in.';
    $('sign-in').hidden = false;
  }
} catch (e) {
  fail(`cannot reach Tessera at ${issuer}: ${explain(e)}`);
}
