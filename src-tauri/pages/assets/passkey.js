// Passkeys on Tessera's hosted pages (served from /assets/passkey.js; the pages allow
// scripts from their own origin only). Every `form[data-passkey]` is hidden until this
// script finds WebAuthn in the browser; submitting it
//   1. posts the form's fields to `data-options` and gets {ceremony, publicKey},
//   2. asks the authenticator (`data-passkey`: "get" to sign in, "create" to register),
//   3. posts the form's fields + ceremony + the credential (JSON text) to `data-finish`,
//   4. follows {location}, or shows {message}; {reauth} sends the user to sign in again.
// Binary fields travel as unpadded base64url in both directions.
(() => {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  // WebAuthn's relying party is a domain name: on an IP address there is none.
  if (/^[\d.]+$|^\[/.test(window.location.hostname)) return;

  const decode = (text) => {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  };
  const encode = (buffer) => {
    let raw = '';
    for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: decode(c.id) }));

  /** The options for navigator.credentials.create/get, binary fields decoded. */
  function options(kind, publicKey) {
    const out = { ...publicKey, challenge: decode(publicKey.challenge) };
    if (kind === 'create') {
      out.user = { ...publicKey.user, id: decode(publicKey.user.id) };
      out.excludeCredentials = withIds(publicKey.excludeCredentials);
    } else {
      out.allowCredentials = withIds(publicKey.allowCredentials);
    }
    return out;
  }

  /** The credential as webauthn-rs reads it. */
  function credentialJson(kind, credential) {
    const r = credential.response;
    const response =
      kind === 'create'
        ? {
            attestationObject: encode(r.attestationObject),
            clientDataJSON: encode(r.clientDataJSON),
            transports: r.getTransports ? r.getTransports() : undefined,
          }
        : {
            authenticatorData: encode(r.authenticatorData),
            clientDataJSON: encode(r.clientDataJSON),
            signature: encode(r.signature),
            userHandle: r.userHandle ? encode(r.userHandle) : null,
          };
    return JSON.stringify({
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      response,
      extensions: credential.getClientExtensionResults(),
    });
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: 'POST',
      body: new URLSearchParams(fields),
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    const body = await response.json().catch(() => ({}));
    return { ok: response.ok, body };
  }

  async function run(form, status) {
    const kind = form.dataset.passkey;
    const fields = new FormData(form);
    const started = await post(form.dataset.options, fields);
    if (!started.ok) return started.body;
    const publicKey = options(kind, started.body.publicKey);
    let credential;
    try {
      credential = await navigator.credentials[kind]({ publicKey });
    } catch (error) {
      return { message: 'The passkey request was cancelled or timed out. Try again.' };
    }
    status.textContent = 'Checking…';
    fields.set('ceremony', started.body.ceremony);
    fields.set('credential', credentialJson(kind, credential));
    const finished = await post(form.dataset.finish, fields);
    return finished.body;
  }

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    const status = form.querySelector('[role=status]');
    const button = form.querySelector('button');
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      status.textContent = '';
      const answer = await run(form, status).catch(() => ({
        message: 'Something went wrong. Please try again.',
      }));
      const next = answer.location || answer.reauth;
      if (next) {
        window.location.assign(next);
        return;
      }
      status.textContent = answer.message || 'That did not work. Try again.';
      button.disabled = false;
    });
  }
})();
