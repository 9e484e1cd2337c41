import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderNamed } from '../../src/core/pkg/fetch.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `bpkg install /media/stick/main` (a bundle's repository folder) is answered with the steps that
 * read it as a repository, the key's among them when the stick's `keys/` holds one key file. That
 * listing read the whole `keys/` folder into memory (readdir): a hostile stick with millions of
 * names there cost them all, for a hint. The folder hint (54826c5) and bundledRepository look at
 * 10,000 entries at most; so does this one now. A folder with more is not looked through: no key
 * is picked from part of it, and the hint says why.
 */
const FPR = 'ab'.repeat(20);

function stickRepo(junk: number): string {
  const repo = path.join(tempDir('bp-bundle-keys-'), 'main');
  mkdirSync(path.join(repo, 'keys'), { recursive: true });
  writeFileSync(path.join(repo, 'index.json'), '{}');
  writeFileSync(path.join(repo, 'keys', `${FPR}.pub.asc`), 'key');
  for (let i = 0; i < junk; i++) writeFileSync(path.join(repo, 'keys', `junk-${i}`), '');
  return repo;
}

describe("a bundle's keys folder is looked at up to 10,000 entries", () => {
  it('one key among a few names: its key step, as before', async () => {
    const repo = stickRepo(3);
    const err = await folderNamed(repo, async () => []);
    expect(err?.hint).toContain(
      `\`bpkg key add ${path.join(repo, 'keys', `${FPR}.pub.asc`)} --fingerprint ${FPR.toUpperCase()}\``,
    );
  });

  it('more than 10,000 entries: no key picked, the hint says the folder was not looked through', async () => {
    const repo = stickRepo(10_000);
    const err = await folderNamed(repo, async () => []);
    expect(err?.code).toBe('not-a-file');
    expect(err?.hint).not.toContain(FPR.toUpperCase());
    expect(err?.hint).toContain(`${path.join(repo, 'keys')} holds more than 10,000 entries`);
    expect(err?.hint).toContain("trust its publisher's key (`bpkg key add FILE --fingerprint FPR`;");
    expect(err?.hint).toContain('--key FPR');
  });
});
