/**
 * A key's fingerprint, shown to a person, is one form everywhere: upper-case hex without spaces,
 * as GnuPG prints it (and as the model key, the TUI and the dashboard already showed it). `bpkg
 * info`, `bpkg key list`, `bpkg key add`, `bpkg repo list` / `repo add` / `repo set-key`, `bpkg
 * bundle` and `blueprint repo keygen` printed the lower case the keyring keeps, so the same key
 * read differently from screen to screen and beside the publisher's `gpg --fingerprint`. Inputs
 * take either case; --json keeps what it gave (the keyring's lower case). The real executable.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, run, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
let root: string;
const upper = () => key.fingerprint.toUpperCase();
const lower = () => key.fingerprint.toLowerCase();

/** The output shows the key in upper case and never in lower case. */
function showsUpper(text: string) {
  expect(text).toContain(upper());
  expect(text).not.toContain(lower());
}

beforeAll(async () => {
  ({ key, repo } = await signedRepo([GOOD]));
  // A fingerprint with no letter reads the same in both cases (one in 2^40 or so).
  expect(lower()).not.toBe(upper());
  root = await trustingRoot(key, repo);
  const r = await bpkg(root, ['install', 'good']);
  expect(r.code, r.stderr).toBe(0);
});

describe('a fingerprint shown to a person', () => {
  it('bpkg info, key list, repo list: upper case', async () => {
    for (const args of [
      ['info', 'good'],
      ['key', 'list'],
      ['repo', 'list'],
    ]) {
      const r = await bpkg(root, args);
      expect(r.code, r.stderr).toBe(0);
      showsUpper(r.stdout);
    }
  });

  it('repo set-key and repo add take a lower-case fingerprint and say it in upper case', async () => {
    const set = await bpkg(root, ['repo', 'set-key', 'main', lower()]);
    expect(set.code, set.stderr).toBe(0);
    showsUpper(set.stdout);
    const add = await bpkg(root, ['repo', 'add', 'second', repo, '--key', lower()]);
    expect(add.code, add.stderr).toBe(0);
    showsUpper(add.stdout);
  });

  it('key add: the key shown and trusted in upper case, pinned in either case', async () => {
    for (const pin of [lower(), upper()]) {
      const fresh = tempDir('bp-root-');
      const r = await bpkg(fresh, ['key', 'add', key.publicFile, '--fingerprint', pin]);
      expect(r.code, r.stderr).toBe(0);
      showsUpper(`${r.stdout}${r.stderr}`);
    }
  });

  it('bundle: the keys that sign it in upper case', async () => {
    const out = path.join(tempDir('bp-bundle-'), 'out');
    const r = await bpkg(root, ['bundle', 'good', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // The key files are named as the bundle writes them (keys/fpr.pub.asc); the fingerprints shown,
    // and those given to --fingerprint and --key in the commands it prints, are upper case.
    showsUpper(r.stdout.replaceAll(`keys/${lower()}.pub.asc`, 'keys/FILE'));
    expect(r.stdout).toContain(`--fingerprint ${upper()}`);
  });

  it('blueprint repo keygen: the new key in upper case', async () => {
    const dir = path.join(tempDir('bp-keygen-'), 'k');
    const r = await run([
      'repo',
      'keygen',
      '--out',
      dir,
      '--name',
      'Test',
      '--email',
      't@blueprintos.invalid',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const fpr = /key ([0-9A-Fa-f]{40})/.exec(r.stdout)?.[1];
    expect(fpr, r.stdout).toBe(fpr?.toUpperCase());
    expect(existsSync(path.join(dir, 'signing-key.asc'))).toBe(true);
  });

  it('--json keeps the keyring’s form (lower case)', async () => {
    const r = await bpkg(root, ['--json', 'key', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain(lower());
    expect(readFileSync(path.join(root, 'etc/blueprint/repos.d/main.json'), 'utf8')).toContain(lower());
  });
});

describe('a fingerprint in an error', () => {
  let other: TestKey;
  beforeAll(async () => {
    other = await makeKey(path.join(tempDir(), 'other'), { name: 'Other publisher' });
  });
  const noLower = (text: string, ...keys: TestKey[]) => {
    for (const k of keys) {
      expect(text).toContain(k.fingerprint.toUpperCase());
      expect(text).not.toContain(k.fingerprint.toLowerCase());
    }
  };

  it('key add pinned to another fingerprint: both in upper case', async () => {
    const r = await bpkg(tempDir('bp-root-'), [
      'key',
      'add',
      key.publicFile,
      '--fingerprint',
      other.fingerprint.toLowerCase(),
    ]);
    expect(r.code, r.stderr).toBe(4);
    noLower(r.stderr, key, other);
  });

  it('repo set-key with a key not trusted here: upper case', async () => {
    const r = await bpkg(root, ['repo', 'set-key', 'main', other.fingerprint.toLowerCase()]);
    expect(r.code, r.stderr).toBe(3);
    noLower(r.stderr, other);
  });

  it('key remove of what is no fingerprint: the error quotes it as typed, not upper-cased', async () => {
    const r = await bpkg(tempDir('bp-root-'), ['key', 'remove', 'alice@example.com']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('error: No trusted key alice@example.com\n');
  });

  it('an index signed by a trusted key not bound to the repository: upper case, in the command to run too', async () => {
    const box = await trustingRoot(key, repo);
    const { repo: otherRepo } = await signedRepo([GOOD], other);
    expect((await bpkg(box, ['key', 'add', other.publicFile, '--fingerprint', other.fingerprint])).code).toBe(
      0,
    );
    expect((await bpkg(box, ['repo', 'add', 'mixed', otherRepo, '--key', key.fingerprint])).code).toBe(0);
    const r = await bpkg(box, ['update']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^mixed: REFUSED: .*signed by/m);
    noLower(r.stdout, other);
  });
});
