/**
 * `repo build` writes into its output folder (pool/, by-hash/, keys/, index.json and their .asc).
 * Whoever else can write in that folder could put a link at a name the build writes through (a
 * folder such as by-hash/ or pool/NAME/, or the tar's pool/.incoming/NAME.bpkg.tmp) and have the
 * publisher's build write where they chose: a signature into a folder of theirs, or the package's
 * bytes over a file of the publisher's. Before the fix each build below followed the link: the
 * outside folder got by-hash/SHA256/HEX.asc, and the outside file was overwritten with the tar.
 * Now the output folder is judged first (links resolved, every folder in it and above): a link in
 * it, or a folder another user can change, is refused and nothing is written.
 */
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRepository } from '../../src/core/pkg/build.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

const build = (repoDir: string, key: TestKey, src: string) =>
  buildRepository({ sources: [src], repoDir, name: 'test', signer: { keyFile: key.privateFile } });

async function built() {
  const base = tempDir('bp-build-links-');
  const key = await makeKey(path.join(base, 'key'));
  const repo = path.join(base, 'repo');
  await build(repo, key, makeSource(path.join(base, 's1'), { name: 'good', version: '1.0.0' }));
  const outside = path.join(base, 'outside');
  mkdirSync(outside);
  return {
    base,
    key,
    repo,
    outside,
    next: makeSource(path.join(base, 's2'), { name: 'good', version: '2.0.0' }),
  };
}

describe('repo build never writes through a link in its output folder', () => {
  it('by-hash/ a link to a folder elsewhere: refused, nothing written there', async () => {
    const { key, repo, outside, next } = await built();
    const { rmSync } = await import('node:fs');
    rmSync(path.join(repo, 'by-hash'), { recursive: true });
    symlinkSync(outside, path.join(repo, 'by-hash'));
    await expect(build(repo, key, next)).rejects.toMatchObject({ code: 'link-in-repository' });
    expect(readdirSync(outside)).toEqual([]);
  }, 60_000);

  it("the tar's temporary name a link to one of the publisher's files: refused, the file intact", async () => {
    const { key, repo, outside, next } = await built();
    const victim = path.join(outside, 'victim');
    writeFileSync(victim, 'mine\n');
    mkdirSync(path.join(repo, 'pool', '.incoming'));
    symlinkSync(victim, path.join(repo, 'pool', '.incoming', 'good_2.0.0_all.bpkg.tmp'));
    await expect(build(repo, key, next)).rejects.toMatchObject({ code: 'link-in-repository' });
    expect(readFileSync(victim, 'utf8')).toBe('mine\n');
  }, 60_000);

  it('a folder in it another user owns (by-hash/SHA256): refused before anything is written', async () => {
    const { key, repo, next } = await built();
    const before = readFileSync(path.join(repo, 'index.json'));
    chownSync(path.join(repo, 'by-hash', 'SHA256'), 4321, 4321);
    const err = await build(repo, key, next).catch((e) => e);
    expect(err).toMatchObject({ code: 'shared-folder' });
    expect(err.hint).toMatch(/only you can write/);
    expect(readFileSync(path.join(repo, 'index.json'))).toEqual(before);
    expect(existsSync(path.join(repo, 'pool', 'good', 'good_2.0.0_all.bpkg'))).toBe(false);
  }, 60_000);

  it('the output folder itself a link to a folder of ours is judged where it leads, and built there', async () => {
    const { base, key, repo, next } = await built();
    const alias = path.join(base, 'alias');
    symlinkSync(repo, alias);
    await expect(build(alias, key, next)).resolves.toMatchObject({ version: 2 });
  }, 60_000);
});
