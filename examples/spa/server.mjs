// The SPA example's static server (plain node http): the page at / and /callback, its
// script and style, oauth4webapi's ESM build from node_modules, and /config.json (the
// issuer and the public client id, from the environment).
//
//   TESSERA_ISSUER=http://127.0.0.1:7470 TESSERA_CLIENT_ID=web_... PORT=5173 node server.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const issuer = process.env.TESSERA_ISSUER;
const clientId = process.env.TESSERA_CLIENT_ID;
const port = Number(process.env.PORT || 5173);
const host = process.env.HOST || '127.0.0.1';
if (!issuer || !clientId) {
  console.error('set TESSERA_ISSUER and TESSERA_CLIENT_ID (the product web client\'s id)');
  process.exit(2);
}
const issuerOrigin = new URL(issuer).origin;

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/callback': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/vendor/oauth4webapi.js': ['node_modules/oauth4webapi/build/index.js', 'text/javascript; charset=utf-8'],
};

const headers = (type) => ({
  'content-type': type,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Scripts from here only; fetch to here and to Tessera only.
  'content-security-policy': `default-src 'self'; connect-src 'self' ${issuerOrigin}; frame-ancestors 'none'`,
});

createServer(async (req, res) => {
  const { pathname } = new URL(req.url, 'http://spa');
  if (req.method !== 'GET') {
    res.writeHead(405, headers('text/plain')).end('method not allowed');
    return;
  }
  if (pathname === '/config.json') {
    res.writeHead(200, headers('application/json')).end(JSON.stringify({ issuer, client_id: clientId }));
    return;
  }
  const file = FILES[pathname];
  if (!file) {
    res.writeHead(404, headers('text/plain')).end('not found');
    return;
  }
  try {
    const body = await readFile(path.join(here, file[0]));
    res.writeHead(200, headers(file[1])).end(body);
  } catch {
    res.writeHead(500, headers('text/plain')).end(`cannot read ${file[0]} (run npm ci in examples/spa)`);
  }
}).listen(port, host, () => {
  console.log(`SPA example listening on http://${host}:${port} (issuer ${issuer})`);
});
