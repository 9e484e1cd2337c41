/**
 * `bpkg update` with a repository it cannot reach (down, or a folder no longer there) said
 * 'NAME: REFUSED: Cannot reach ...' and exited 4, the code of a refused signature or hash
 * (`blueprint --help`: 4 verification refused), so a script could not tell a network outage from
 * a tampered index. Now: 'NAME: not updated: ...' and exit 1 (failure) when nothing was refused; a
 * refused index still says REFUSED and exits 4, also beside an unreachable one. The real
 * executable, real OpenPGP.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg update: a repository it cannot reach', () => {
  it('is a failure (exit 1, not updated), not a refusal; one refused beside it: exit 4', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const add = await bpkg(root, [
      'repo',
      'add',
      'gone',
      'http://127.0.0.1:9/repo',
      '--key',
      key.fingerprint,
    ]);
    expect(add.code, add.stderr).toBe(0);

    const r = await bpkg(root, ['update']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/^gone: not updated: Cannot reach http:\/\/127\.0\.0\.1:9\//m);
    expect(r.stdout + r.stderr).not.toContain(': REFUSED:');
    expect(r.stdout + r.stderr).toMatch(/^main: unchanged at version 1/m);
    const j = await bpkg(root, ['--json', 'update']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual([
      expect.objectContaining({
        repo: 'gone',
        ok: false,
        error: expect.objectContaining({ code: 'network' }),
      }),
      expect.objectContaining({ repo: 'main', ok: true }),
    ]);

    // The index altered after signing: refused, exit 4, whatever else failed.
    appendFileSync(path.join(repo, 'index.json'), ' ');
    const t = await bpkg(root, ['update']);
    expect(t.code).toBe(4);
    expect(t.stdout + t.stderr).toMatch(/^main: REFUSED: /m);
    expect(t.stdout + t.stderr).toMatch(/^gone: not updated: /m);
  });
});
