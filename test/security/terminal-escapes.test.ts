/**
 * Issue 11, finding 6: key user IDs and package summaries reached the terminal unfiltered. A key's
 * user ID rewrote the trust prompt to show another fingerprint; `search`, `info` and `list` emitted
 * cursor moves and window titles. Control characters are now refused in indexes and manifests, and
 * whatever untrusted text still reaches a terminal (key user IDs, records written by an older
 * version) is shown escaped, by the real executable and by the TUI.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { signFile } from '../../src/core/pkg/build.js';
import { parseIndex, parseManifest } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { layout } from '../../src/core/system/paths.js';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { escapeData } from '../../src/present/escape-data.js';
import { fitCell } from '../../src/tui/components/Table.js';
import { evilIndexBytes } from '../helpers/index-cases.js';
import { blueprintExe, bpkg, buildRepo, makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

/** Anything a terminal would act on, other than newline and tab. */
const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FAKE_FPR = '0000000000000000000000000000000000000000';
/** Moves up to the "Key …" line, erases it and writes a fingerprint of the attacker's choosing. */
const HOSTILE_NAME = `Mallory\x1b[1A\x1b[2K\rKey ${FAKE_FPR}\u202e`;
const HOSTILE_SUMMARY = '\x1b]0;owned\x07\x1b[2J\x1b[Hclean summary\u009b31m';

function refused(fn: () => unknown, code: string): BlueprintError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'should have been refused').toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe(code);
  return err as BlueprintError;
}

describe('indexes and manifests with control characters are refused when parsed', () => {
  for (const [what, bad] of [
    ['ESC', 'a\x1b[2Jb'],
    ['BEL', 'a\x07'],
    ['CR', 'a\rb'],
    ['newline', 'a\nb'],
    ['DEL', 'a\x7f'],
    ['C1 CSI', 'a\u009b2J'],
    ['right-to-left override', 'abc\u202efed'],
    ['first-strong isolate', 'abc\u2068'],
  ] as const) {
    it(`index summary with ${what}`, () => {
      const err = refused(() => parseIndex(evilIndexBytes({}, { summary: bad })), 'bad-index');
      expect(err.message).toMatch(/packages\.0\.summary/);
    });
    it(`index repository name with ${what}`, () => {
      refused(() => parseIndex(evilIndexBytes({ repository: bad })), 'bad-index');
    });
    it(`manifest summary and license with ${what}`, () => {
      const m = { name: 'evil', version: '1.0.0', arch: 'all', summary: 'fine' };
      expect(refused(() => parseManifest({ ...m, summary: bad }), 'bad-manifest').message).toMatch(/summary/);
      expect(refused(() => parseManifest({ ...m, license: bad }), 'bad-manifest').message).toMatch(/license/);
    });
  }

  it('a manifest description keeps its newlines and tabs but not escapes', () => {
    const m = { name: 'evil', version: '1.0.0', arch: 'all', summary: 'fine' };
    expect(parseManifest({ ...m, description: 'line one\n\tline two' }).description).toBe(
      'line one\n\tline two',
    );
    refused(() => parseManifest({ ...m, description: 'one\n\x1b[1Atwo' }), 'bad-manifest');
  });

  it('a dependency cannot smuggle an escape after its version', () => {
    const m = { name: 'evil', version: '1.0.0', arch: 'all', summary: 'fine' };
    refused(() => parseManifest({ ...m, depends: ['base>=1.0.0\x1b[2J'] }), 'bad-manifest');
    expect(parseManifest({ ...m, depends: ['base >= 1.0.0-rc.1'] }).depends).toEqual(['base >= 1.0.0-rc.1']);
  });
});

describe('the escape helper', () => {
  it('shows controls as visible text and leaves ordinary text alone', () => {
    expect(escapeLine('a\x1b[2Jb\nc\u009b\u202e')).toBe('a\\x1b[2Jb\\x0ac\\x9b\\u{202e}');
    expect(escapeText('a\x1b\nb\tc\r')).toBe('a\\x1b\nb\tc\\x0d');
    expect(escapeLine('Grüße, 日本, 🎉 — ok')).toBe('Grüße, 日本, 🎉 — ok');
    const doc = JSON.stringify({ s: HOSTILE_SUMMARY }, null, 2);
    expect(escapeJson(doc)).not.toMatch(RAW);
    expect(JSON.parse(escapeJson(doc))).toEqual({ s: HOSTILE_SUMMARY });
    expect(escapeData({ a: ['\x1b'], n: 1 })).toEqual({ a: ['\\x1b'], n: 1 });
  });

  it('the TUI table escapes a cell before measuring it', () => {
    expect(fitCell('ab\x1b[2Jcd', 12)).toBe('ab\\x1b[2Jcd ');
  });
});

/** A box that trusts the hostile-named key, with a repository signed by it and `evil` installed. */
let key: TestKey;
let root: string;
beforeAll(async () => {
  const base = tempDir('bp-esc-');
  key = await makeKey(path.join(base, 'key'), { name: HOSTILE_NAME });
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'evil', version: '1.0.0' })]);
  root = tempDir('bp-esc-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  await pm.update();
  await pm.install(['evil']);
  // What an older version (which allowed any character) could have recorded. A version or kept
  // version not a version's name is a damaged record since 988c6144 (below), never shown.
  const db = JSON.parse(readFileSync(layout(root).installedDb, 'utf8'));
  Object.assign(db.packages.evil, {
    summary: HOSTILE_SUMMARY,
    origin: 'main\x1b[1A\x1b[2K',
    signer: `${key.fingerprint}\u009b2K`,
  });
  writeFileSync(layout(root).installedDb, JSON.stringify(db));
});

describe.skipIf(!existsSync(blueprintExe))('the real executable escapes untrusted text', () => {
  it('the trust prompt shows the real fingerprint, and the user ID cannot rewrite it', async () => {
    const fresh = tempDir('bp-esc-trust-');
    const r = await bpkg(fresh, ['key', 'add', key.publicFile, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stdout).not.toMatch(RAW);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`Key ${key.fingerprint.toUpperCase()}`);
    // The user ID is on its own line, visibly escaped, and nothing else claims to be the key.
    expect(lines[1]).toContain('Mallory\\x1b[1A\\x1b[2K\\x0dKey 0000');
    expect(lines.filter((l) => l.startsWith('Key '))).toEqual([`Key ${key.fingerprint.toUpperCase()}`]);
    const list = await bpkg(fresh, ['key', 'list']);
    expect(list.stdout).not.toMatch(RAW);
    expect(list.stdout).toContain('Mallory\\x1b[1A');
  });

  it('without a terminal and without --fingerprint the refusal names the real fingerprint', async () => {
    const r = await bpkg(tempDir('bp-esc-trust-'), ['key', 'add', key.publicFile]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toContain(`--fingerprint ${key.fingerprint.toUpperCase()}`);
  });

  for (const args of [['list'], ['info', 'evil'], ['search', 'evil'], ['search', '']])
    it(`bpkg ${args.join(' ')} prints no raw control characters`, async () => {
      const r = await bpkg(root, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(RAW);
      expect(r.stdout).toMatch(/evil/);
      // search shows the repository's entry (its hostile version is refused by the index's schema).
      const shown = { list: '\\x1b]0;owned\\x07\\x1b[2J', info: 'main\\x1b[1A', search: 'evil  1.0.0' };
      expect(r.stdout).toContain(shown[args[0] as keyof typeof shown]);
      const json = await bpkg(root, ['--json', ...args]);
      expect(json.stdout).not.toMatch(RAW);
      // --json keeps the data as it is: only its encoding changed.
      if (args[0] === 'list') expect(JSON.parse(json.stdout)[0].summary).toBe(HOSTILE_SUMMARY);
    });

  it('a recorded version with control characters is a damaged record (exit 7), said escaped', async () => {
    const box = tempDir('bp-esc-db-');
    mkdirSync(path.dirname(layout(box).installedDb), { recursive: true });
    const db = JSON.parse(readFileSync(layout(root).installedDb, 'utf8'));
    Object.assign(db.packages.evil, { version: '1.0.0\x1b[8m', previous: '0.9.0\x1b]2;title\x07' });
    writeFileSync(layout(box).installedDb, JSON.stringify(db));
    for (const args of [['list'], ['info', 'evil'], ['search', 'evil']]) {
      const r = await bpkg(box, args);
      expect(r.code, args.join(' ')).toBe(7);
      expect(r.stderr).toContain('installed.json is damaged');
      expect(r.stdout + r.stderr).not.toMatch(RAW);
    }
  });

  it('a hostile index is refused by `bpkg update`, and the refusal is printed escaped', async () => {
    const base = tempDir('bp-esc-idx-');
    const repo = path.join(base, 'repo');
    mkdirSync(repo, { recursive: true });
    const idx = JSON.parse(
      evilIndexBytes({ '\x1b]2;pwned\x07': 1 }, { summary: HOSTILE_SUMMARY }).toString(),
    );
    writeFileSync(path.join(repo, 'index.json'), JSON.stringify(idx));
    await signFile(path.join(repo, 'index.json'), { keyFile: key.privateFile });
    const box = tempDir('bp-esc-idx-root-');
    expect((await bpkg(box, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(box, ['repo', 'add', 'main', pathToFileURL(repo).href])).code).toBe(0);
    const r = await bpkg(box, ['update']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/REFUSED/);
    expect(r.stdout + r.stderr).not.toMatch(RAW);
  });
});

describe('the TUI shows untrusted text escaped', () => {
  it('over the real core: package rows and key names', async () => {
    const app = renderApp(sourcesFor(root));
    await type(app, '2');
    const packages = await frameWith(app, 'Packages (1)');
    expect(packages).not.toMatch(RAW);
    expect(packages).toContain('\\x1b]0;owned');
    await type(app, '4');
    const keys = await frameWith(app, 'Trusted signing keys (1)');
    expect(keys).not.toMatch(RAW);
    expect(keys).toContain('Mallory\\x1b[1A');
    app.unmount();
  });

  it("errors core throws reach the screens escaped, the wizard's included", async () => {
    const sources = sourcesFor(root);
    const hostile = 'nope\x1b]0;title\x07';
    const err = await sources.packageAction!('install', hostile, () => {}, new AbortController().signal).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('nope\\x1b]0;title\\x07');
    expect(err?.message).not.toMatch(RAW);
    const ops = await sources.moduleOps();
    const wizardErr = await ops!.remove([hostile]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(wizardErr?.message).toContain('nope\\x1b]0;title\\x07');
    expect(wizardErr?.message).not.toMatch(RAW);
  });

  it('whatever a source hands the screens: table cells, dialogs, progress and errors', async () => {
    const app = renderApp(
      sourcesFor(root, {
        packages: async () => ({
          available: true,
          value: [{ name: 'evil', version: '1.0.0\x1b[5A', installed: false, summary: HOSTILE_SUMMARY }],
        }),
        signerOf: async () => ({ version: '1.0.0\x1b[1A', fingerprint: FAKE_FPR, signer: HOSTILE_NAME }),
        packageAction: async (_a, _n, progress) => {
          progress('unpacking \x1b[2J\x1b[Hevil');
          throw new Error('bad \x1b]0;title\x07 thing');
        },
      }),
    );
    await type(app, '2');
    expect(await frameWith(app, 'Packages (1)')).not.toMatch(RAW);
    await type(app, 'i');
    const confirm = await frameWith(app, 'Confirm: install evil?');
    expect(confirm).not.toMatch(RAW);
    expect(confirm).toContain('Mallory\\x1b[1A');
    await type(app, 'y');
    const failed = await frameWith(app, 'Press any key.');
    expect(failed).not.toMatch(RAW);
    expect(failed).toContain('unpacking \\x1b[2J');
    expect(failed).toContain('bad \\x1b]0;title\\x07 thing');
    app.unmount();
  });
});
