// A `tessera serve` of a test file's own (for what the shared e2e server cannot be: an
// issuer on `localhost` for WebAuthn, an SMTP server): its data dir in a temp folder, its
// own database on the PostgreSQL test cluster when there is one, its log in E2E_OUT, and
// an admin API token from `tessera admin-client create`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stopServer, waitForHealth } from './lib.mjs';

const BINARY = process.env.TESSERA_BINARY;
const OUT = process.env.E2E_OUT || 'target/e2e';

/**
 * Starts the server (issuer `http://HOST:PORT`, `args` added to `serve`); resolves to
 * `{ base, data, env, work, child, admin(method, path, body), superadmin(email, password), stop() }`.
 */
export async function ownServer(name, { host = '127.0.0.1', args = [] } = {}) {
  if (!BINARY) throw new Error('TESSERA_BINARY is not set (run with scripts/e2e.sh)');
  const work = mkdtempSync(path.join(tmpdir(), `tessera-${name}-`));
  const data = path.join(work, 'data');
  const port = await freePort();
  const base = `http://${host}:${port}`;
  const env = { ...process.env };
  delete env.TESSERA_DATABASE_URL;
  const cluster = process.env.TESSERA_TEST_DATABASE_URL;
  if (cluster) {
    const db = `e2e_${name.replace(/\W/g, '_')}_${port}`;
    execFileSync('psql', [`${cluster}/postgres`, '-qAtc', `CREATE DATABASE ${db}`]);
    env.TESSERA_DATABASE_URL = `${cluster}/${db}`;
  }
  const log = openSync(path.join(OUT, `${name}-server.log`), 'w');
  const child = spawn(BINARY, ['serve', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--issuer', base, ...args], {
    stdio: ['ignore', log, log],
    env,
  });
  await waitForHealth(base, 120, child);
  const cli = (cliArgs, input) => execFileSync(BINARY, [...cliArgs, '--data-dir', data], {
    encoding: 'utf8', env, input, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const adminClient = JSON.parse(cli(['admin-client', 'create', '--name', `e2e-${name}`]));
  const basic = Buffer.from(`${encodeURIComponent(adminClient.client_id)}:${encodeURIComponent(adminClient.client_secret)}`).toString('base64');
  const tokenAnswer = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  const { access_token: token } = await tokenAnswer.json();
  return {
    base, data, env, work, child, token,
    /** An admin API call: resolves to `{ status, body }`. */
    async admin(method, apiPath, body) {
      const answer = await fetch(`${base}/v1${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await answer.text();
      return { status: answer.status, body: text ? JSON.parse(text) : null };
    },
    superadmin(email, password) {
      cli(['superadmin', 'create', '--email', email, '--password-stdin'], `${password}\n`);
    },
    stop: () => stopServer(child, work),
  };
}
