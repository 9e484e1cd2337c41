/**
 * `repo build` put a package whose name, version and architecture were already published with other
 * contents into the pool, and said nothing (QA6's walk): boxes that installed that version never see
 * the change (no newer version), a mirror or box one index behind reads "SHA-256 differs", and since
 * every rebuild gave other bytes, a changed package could not be told from a rebuilt one. f6ce7ea1
 * made builds reproducible and warned (a module's image was not yet reproducible); now that it is
 * (test/services/module-image-reproducible), the build refuses it, as reprepro and aptly do (exit 5,
 * the index and the pool as they were), unless --force-replace, which replaces it with a warning.
 * An unchanged source builds the same bytes, said nothing. The real executable.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { create, extract } from 'tar';
import { describe, expect, it } from 'vitest';
import { makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

const index = (repo: string) =>
  JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as {
    version: number;
    packages: { path: string; sha256: string }[];
  };

/** A source of tool 1.0.0, a repository folder not made yet and a new key; `build` runs repo build of them. */
async function toolRepo() {
  const key = await makeKey(tempDir('bp-key-'));
  const src = makeSource(tempDir('bp-src-'), { name: 'tool', version: '1.0.0' });
  const repo = path.join(tempDir('bp-repo-'), 'repo');
  const build = (...more: string[]) =>
    run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile, ...more]);
  return { src, repo, build };
}

describe('repo build of a version already published', () => {
  it('unchanged: the same SHA-256, nothing said; changed: refused, unless --force-replace', async () => {
    const { src, repo, build } = await toolRepo();

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

    // The payload changed, the version not: refused, with what to do; nothing changed.
    const pool = path.join(repo, 'pool', 'tool', 'tool_1.0.0_all.bpkg');
    const inPool = readFileSync(pool);
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'tool 1.0.0, changed\n');
    const changed = await build();
    expect(changed.code, changed.stderr).toBe(5);
    expect(changed.stderr).toContain(
      'pool/tool/tool_1.0.0_all.bpkg (version 1.0.0): built with other contents under a version already published',
    );
    expect(changed.stderr).toContain('SHA-256 differs');
    expect(changed.stderr).toContain('new version in its manifest.json');
    expect(changed.stderr).toContain('blueprint repo build --force-replace');
    expect(index(repo).packages[0]!.sha256).toBe(sha);
    expect(index(repo).version).toBe(2);
    expect(readFileSync(pool).equals(inPool)).toBe(true);
    expect(existsSync(path.join(repo, 'pool', '.incoming'))).toBe(false);

    // --force-replace: replaced, and said.
    const forced = await build('--force-replace');
    expect(forced.code, forced.stderr).toBe(0);
    const warning = forced.stderr.split('\n').find((l) => l.startsWith('warning: '));
    expect(warning).toContain(
      'pool/tool/tool_1.0.0_all.bpkg replaced (--force-replace) with other contents under the version 1.0.0 already published',
    );
    expect(warning).toContain('SHA-256 differs');
    expect(index(repo).packages[0]!.sha256).not.toBe(sha);
  }, 60_000);

  it('the pool file gone but the index naming that version with another SHA-256: refused as well', async () => {
    const { src, repo, build } = await toolRepo();
    expect((await build()).code).toBe(0);
    rmSync(path.join(repo, 'pool', 'tool'), { recursive: true });
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'other\n');
    const r = await build();
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('pool/tool/tool_1.0.0_all.bpkg (version 1.0.0): built with other contents');
    expect(existsSync(path.join(repo, 'pool', 'tool'))).toBe(false);
    const forced = await build('--force-replace');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('pool/tool/tool_1.0.0_all.bpkg replaced (--force-replace)');
  }, 60_000);

  // A package built before builds were reproducible (its files' build-time mtimes, the disk's order,
  // owners): the same contents built now are other bytes. The pool's file stays, and so does the
  // SHA-256 boxes and mirrors have for it; nothing is said but that it was kept.
  it('the pool holding the same contents in other bytes (an older build): that file kept, no warning', async () => {
    const { repo, build } = await toolRepo();
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
