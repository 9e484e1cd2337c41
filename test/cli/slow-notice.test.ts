import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { slowNotice } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/index.js';
import { buildRepo, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

/**
 * `bpkg update` against a slow mirror said nothing until every index was in (apt prints a line per
 * fetch): a long wait is not silent. After slowNotice.afterMs (scaled down here) a line on stderr
 * says what it waits for. The mirror holds index.json until that line is written, so the order
 * is the test's, not the clock's.
 */
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
});

describe('a long wait says what it waits for', () => {
  it('bpkg update with a mirror that holds its index: a line on stderr, then the update', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'tool', version: '1.0.0' })]);
    let noticed!: () => void;
    const said = new Promise<void>((r) => (noticed = r));
    const server = createServer(async (req, res) => {
      if ((req.url ?? '').startsWith('/index.json')) await said;
      try {
        const body = readFileSync(
          path.join(repo, decodeURIComponent(req.url ?? '/').replace(/^\/+|\?.*$/g, '')),
        );
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () => server.closeAllConnections(),
      () => server.close(),
    );
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const root = tempDir();
    const bp = (args: string[]) => run(['--root', root, ...args]);
    expect((await bp(['pkg', 'key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bp(['pkg', 'repo', 'add', 'main', url, '--key', key.fingerprint])).code).toBe(0);

    const saved = slowNotice.afterMs;
    slowNotice.afterMs = 10;
    let err = '';
    let out = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
      err += String(c);
      if (err.includes('waiting')) noticed();
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      out += String(c);
      return true;
    });
    try {
      const code = await runCli(['--root', root, 'pkg', 'update'], 'blueprint');
      expect(code).toBe(0);
    } finally {
      vi.restoreAllMocks();
      slowNotice.afterMs = saved;
    }
    expect(err).toMatch(/^fetching the repositories' signed indexes \(waiting/);
    expect(out).toContain('main: updated to version 1');
  });
});
