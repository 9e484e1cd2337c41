/**
 * QA26: `bpkg --json update` with a repository that could not be updated exits 1 (4 refused, 7 not
 * kept) with the array document on stdout, as docs/pkg-json.md says, but said nothing on stderr: an
 * Ansible `command` task or a cron log showed a failure and an empty stderr, where every other
 * --json error repeats its `error:`/`hint:` lines there "for whoever reads the log" (README). The
 * repositories not updated are now said on stderr too, as the text says them; stdout is unchanged.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

describe('bpkg --json update, a repository not updated', () => {
  it('is said on stderr too; stdout is the one array', async () => {
    const dir = tempDir('bp-jsonupd-');
    const root = path.join(dir, 'root');
    const key = await makeKey(path.join(dir, 'key'));
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    const gone = path.join(dir, 'gone');
    expect((await bpkg(root, ['repo', 'add', 'gone', `file://${gone}`, '--key', key.fingerprint])).code).toBe(
      0,
    );
    const r = await bpkg(root, ['--json', 'update']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject([{ repo: 'gone', ok: false, error: { code: 'not-found-remote' } }]);
    expect(r.stderr).toContain(`gone: not updated: ${gone}/index.json not found`);
    expect(r.stderr).toMatch(/^ {2}hint: /m);
  });
});
