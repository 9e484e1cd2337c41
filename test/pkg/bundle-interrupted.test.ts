import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_WITH_LIB, blueprintExe, bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * Ctrl-C during `bpkg bundle rag --out /media/stick` (seen on the demo box: SIGINT while the second
 * of four packages downloaded) left the stick holding the first package and its signature, no
 * index, and said 'Nothing was changed; run the command again.'; run again, it was refused: 'stick
 * is not empty' (exit 5). What the bundle wrote is now removed when it does not finish (and the
 * folder, when the bundle made it), so the same command runs again. The executable as bpkg, against
 * a mirror that holds the second package until the Ctrl-C is sent.
 */
let server: Server;
afterAll(() => server?.close());

describe('bpkg bundle interrupted part-way', () => {
  it('leaves no part-written bundle, and the same command then makes it whole', async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    let held = 0;
    let onHeld: () => void = () => {};
    server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '/').replace(/^\/+|\?.*$/g, '');
      // The second package file asked for: held, and the test told (it sends the Ctrl-C then).
      if (url.endsWith('.bpkg') && ++held === 2) return onHeld();
      try {
        const body = readFileSync(path.join(repo, url));
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const root = await trustingRoot(key, url);
    const stick = path.join(tempDir('bp-bundle-int-'), 'stick');

    const child = spawn(blueprintExe, ['--root', root, 'bundle', 'app', '--out', stick], {
      argv0: 'bpkg',
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    onHeld = () => child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(130);
    expect(held).toBe(2);
    // Nothing of the bundle is left: the folder it made is gone.
    expect(
      existsSync(stick),
      existsSync(stick) ? readdirSync(stick, { recursive: true }).join(' ') : '',
    ).toBe(false);

    held = -10; // the mirror serves everything now
    const again = await bpkg(root, ['bundle', 'app', '--out', stick]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(stick, 'main', 'index.json'))).toBe(true);

    // A stick's folder that was there (empty) stays, emptied of what the bundle wrote.
    held = 0;
    const fresh = await trustingRoot(key, url); // its cache empty: both packages asked of the mirror
    const mounted = tempDir('bp-bundle-int-mounted-');
    const second = spawn(blueprintExe, ['--root', fresh, 'bundle', 'app', '--out', mounted], {
      argv0: 'bpkg',
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onHeld = () => second.kill('SIGINT');
    expect(await new Promise<number | null>((r) => second.on('close', r))).toBe(130);
    expect(readdirSync(mounted)).toEqual([]);
  });
});
