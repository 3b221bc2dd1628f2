// The e2e tests' SMTP server: tests/smtp/sink.py (aiosmtpd, installed by scripts/setup.sh)
// writes every email it accepts to a folder as NNNNN.eml; these helpers start it and read
// the emails back (the text part, quoted-printable or base64 decoded).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Starts the sink on a free port writing to `dir`; resolves to `{ child, port, url }`. */
export async function startSink(dir) {
  const child = spawn('python3', ['tests/smtp/sink.py', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}): is aiosmtpd installed?`)));
    lines.once('line', (line) => resolve(Number(line.replace('ready ', ''))));
  });
  return { child, port, url: `smtp://127.0.0.1:${port}` };
}

function decode(body, encoding) {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!/quoted-printable/i.test(encoding)) return body;
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** One .eml file: `{ to, subject, text }` (text = the text/plain part, decoded). */
export function parseMail(raw) {
  const header = (name, from = raw) => (from.match(new RegExp(`^${name}: (.*)$`, 'mi')) || [])[1]?.trim();
  const part = raw.split(/\r?\n--/).find((p) => /Content-Type: text\/plain/i.test(p)) || raw;
  const [head, ...rest] = part.split(/\r?\n\r?\n/);
  return {
    to: header('X-Envelope-To'),
    subject: header('Subject'),
    text: decode(rest.join('\n\n'), header('Content-Transfer-Encoding', head) || ''),
  };
}

/** Waits (up to `seconds`) for an email to `to` in `dir`; the `nth` (1-based) one. */
export async function waitForMail(dir, to, { nth = 1, seconds = 20 } = {}) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const mails = existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()
        .map((f) => parseMail(readFileSync(path.join(dir, f), 'utf8')))
        .filter((m) => m.to?.includes(to))
      : [];
    if (mails.length >= nth) return mails[nth - 1];
    if (Date.now() > deadline) throw new Error(`no email #${nth} to ${to} within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first link in `mail`'s text that starts with `prefix`. */
export function linkIn(mail, prefix) {
  const at = mail.text.indexOf(prefix);
  if (at < 0) throw new Error(`no ${prefix} link in ${mail.text}`);
  return mail.text.slice(at).split(/\s/)[0];
}
