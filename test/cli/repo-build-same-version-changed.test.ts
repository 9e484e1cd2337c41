/**
 * `repo build` put a package whose name, version and architecture were already published with other
 * contents into the pool, and said nothing (QA6's walk): boxes that installed that version never see
 * the change (no newer version), a mirror or box one index behind reads "SHA-256 differs", and since
 * every rebuild gave other bytes, a changed package could not be told from a rebuilt one. reprepro
 * and aptly refuse it; the build now warns (a module's image is still rebuilt with new timestamps),
 * and an unchanged source builds the same bytes, said nothing. The real executable.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { create, extract } from 'tar';
import { describe, expect, it } from 'vitest';
import { makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

const index = (repo: string) =>
  JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as {
    version: number;
    packages: { path: string; sha256: string }[];
  };

describe('repo build of a version already published', () => {
  it('unchanged: the same SHA-256, nothing said; changed: a warning naming it', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const src = makeSource(tempDir('bp-src-'), { name: 'tool', version: '1.0.0' });
    const repo = path.join(tempDir('bp-repo-'), 'repo');
    const build = () => run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile]);

    const first = await build();
    expect(first.code, first.stderr).toBe(0);
    const sha = index(repo).packages[0]!.sha256;

    // A second later (other mtimes on the copy): the same bytes, nothing said.
    await new Promise((r) => setTimeout(r, 1100));
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'tool 1.0.0\n');
    const again = await build();
    expect(again.code, again.stderr).toBe(0);
    expect(index(repo).packages[0]!.sha256).toBe(sha);
    expect(again.stderr).not.toContain('warning');

    // The payload changed, the version not: said, with what to do.
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'tool 1.0.0, changed\n');
    const changed = await build();
    expect(changed.code, changed.stderr).toBe(0);
    const warning = changed.stderr.split('\n').find((l) => l.startsWith('warning: '));
    expect(warning).toContain(
      'pool/tool/tool_1.0.0_all.bpkg was built with other contents under the version 1.0.0 already published',
    );
    expect(warning).toContain('SHA-256 differs');
    expect(warning).toContain('new version in its manifest.json');
    expect(index(repo).packages[0]!.sha256).not.toBe(sha);
  }, 60_000);

  it('the pool file gone but the index naming that version with another SHA-256: said as well', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const src = makeSource(tempDir('bp-src-'), { name: 'tool', version: '1.0.0' });
    const repo = path.join(tempDir('bp-repo-'), 'repo');
    const build = () => run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile]);
    expect((await build()).code).toBe(0);
    rmSync(path.join(repo, 'pool', 'tool'), { recursive: true });
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'other\n');
    const r = await build();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('pool/tool/tool_1.0.0_all.bpkg was built with other contents');
  }, 60_000);

  // A package built before builds were reproducible (its files' build-time mtimes, the disk's order,
  // owners): the same contents built now are other bytes. The pool's file stays, and so does the
  // SHA-256 boxes and mirrors have for it; nothing is said but that it was kept.
  it('the pool holding the same contents in other bytes (an older build): that file kept, no warning', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const src = makeSource(tempDir('bp-src-'), { name: 'tool', version: '1.0.0' });
    const repo = path.join(tempDir('bp-repo-'), 'repo');
    const build = () => run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile]);
    expect((await build()).code).toBe(0);
    const file = path.join(repo, 'pool', 'tool', 'tool_1.0.0_all.bpkg');
    const unpacked = tempDir('bp-old-');
    mkdirSync(unpacked, { recursive: true });
    await extract({ file, cwd: unpacked });
    rmSync(file);
    await create({ gzip: true, file, cwd: unpacked }, ['manifest.json', 'payload']); // mtimes now
    const old = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(old).not.toBe(index(repo).packages[0]!.sha256);

    const r = await build();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    expect(`${r.stdout}${r.stderr}`).toContain(
      'pool/tool/tool_1.0.0_all.bpkg: the same contents as the pool',
    );
    expect(index(repo).packages[0]!.sha256).toBe(old);
  }, 60_000);
});
