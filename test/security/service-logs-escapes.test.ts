import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { serviceDirs } from '../../src/core/services/policy.js';
import { escapingStream } from '../../src/present/escape-stream.js';
import { blueprintExe, run } from '../helpers/pkg.js';
import { buildHello, cli, fileBox, uniqueName } from '../services/helpers.js';

/**
 * A container's log is written by the module, and by whoever the module echoes: the hello module
 * logs the first line of every request on its socket (`hello: request GET /...`), as many servers
 * do. `blueprint service logs NAME` printed those bytes to the admin's terminal as they were, so a
 * request line carrying escape sequences (a window title, a clear screen, an 8-bit CSI) was acted
 * on by the terminal of the admin reading the log. Every other untrusted text the CLI prints is
 * shown with its controls made visible (src/present/escape.ts); the log must be too, and stay
 * line for line what the module wrote otherwise (UTF-8 split across the engine's frames included).
 */

const HOSTILE = '/\x1b]0;pwned\x07\x1b[2J\u009b31m\u202eevil';
// Every control character a terminal acts on (C0 but newline and tab, DEL, C1, bidi controls).
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const name = uniqueName('bpt-logesc');
const box = fileBox(buildHello, name, { start: true, timeout: 120_000 });

/** One request on the module's socket, its request line carrying `target`; the answer is ignored. */
async function request(target: string): Promise<void> {
  const sock = path.join(serviceDirs(box.root, name).socketDir, 'hello.sock');
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(sock, () => c.end(`GET ${target} HTTP/1.0\r\n\r\n`));
    c.on('data', () => {});
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}

beforeAll(async () => {
  await request(HOSTILE);
  await request('/caf\u00e9-\u2603');
});

describe('blueprint service logs shows what a module logged with its controls made visible', () => {
  it('the whole log: no raw control character reaches the terminal, the rest is kept', async () => {
    const r = await run(['--root', box.root, 'service', 'logs', name]);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('request GET /\\x1b'));
    expect(line, r.stdout).toBeDefined();
    expect(RAW.test(r.stdout), JSON.stringify(r.stdout)).toBe(false);
    expect(line).toContain('/\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u{202e}evil');
    expect(r.stdout).toContain('request GET /caf\u00e9-\u2603 HTTP/1.0');
    expect(r.stdout).toContain('listening on');
  });

  it('logs -f: lines that arrive while following are shown the same way', async () => {
    const child = spawn(blueprintExe, ['--root', box.root, 'service', 'logs', '-f', name], {
      env: { PATH: '/usr/bin:/bin' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      for (let i = 0; i < 100 && !out.includes('listening on'); i++) await sleep(50);
      await request('/live\x1b[1;1H');
      for (let i = 0; i < 100 && !out.includes('/live'); i++) await sleep(50);
      expect(out).toContain('pwned');
      expect(out).toContain('request GET /live\\x1b[1;1H HTTP/1.0');
      expect(RAW.test(out), JSON.stringify(out)).toBe(false);
      expect(out).toContain('\\x1b]0;pwned\\x07');
    } finally {
      child.kill('SIGINT');
    }
  });

  it('--json keeps the lines as data (JSON escapes them), the hostile one included', async () => {
    const r = await cli(box.root, ['service', 'logs', name]);
    expect(r.code, r.stderr).toBe(0);
    const lines = (r.json.lines as { line: string }[]).map((l) => l.line);
    expect(lines.some((l) => l.includes(`request GET ${HOSTILE} HTTP/1.0`))).toBe(true);
  });
});

describe('escapingStream', () => {
  it('judges a UTF-8 character split between two writes whole (U+009B as c2 | 9b)', async () => {
    const got: string[] = [];
    const sink = new Writable({
      write(c, _e, done) {
        got.push(String(c));
        done();
      },
    });
    const out = escapingStream(sink);
    out.write(Buffer.from([0x61, 0xc2]));
    out.write(Buffer.from([0x9b, 0x32, 0x4a, 0xe2, 0x98]));
    out.write(Buffer.from([0x83, 0x0a, 0x9b]));
    await new Promise((r) => out.end(r));
    expect(got.join('')).toBe('a\\x9b2J\u2603\n\ufffd');
  });
});
