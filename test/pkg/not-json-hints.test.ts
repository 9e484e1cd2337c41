/**
 * A signed package whose manifest.json is not JSON, and a signed index.json that is not JSON, were
 * refused with the parser's message alone ('manifest.json is not valid JSON: …', exit 4) and no
 * `hint:` line, where a manifest that parses but breaks the schema says what to do. Found by the
 * QA6 walk (a publisher's hand-made package with a cut-off manifest). Each now has its hint, in
 * text and in --json. The real executable, as bpkg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg, makeKey, rawTar, signedRepo, tempDir } from '../helpers/pkg.js';

describe('JSON that does not parse, signed', () => {
  it('a package whose manifest.json is cut off: refused with a hint', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const dir = tempDir('bp-pkg-');
    const file = path.join(dir, 'cut_1.0.0_all.bpkg');
    writeFileSync(
      file,
      rawTar([
        { path: 'manifest.json', data: '{"format": 1, "name": "cut", "version": "1.0.0",\n' },
        { path: 'payload/', type: 'Directory' },
        { path: 'payload/a.txt', data: 'a\n' },
      ]),
    );
    await signFile(file, { keyFile: key.privateFile });
    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);

    const r = await bpkg(root, ['install', file, '--yes']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('manifest.json is not valid JSON');
    expect(r.stderr).toMatch(/^hint: .*manifest/m);
    const j = await bpkg(root, ['--json', 'install', file, '--yes']);
    expect(JSON.parse(j.stdout).error.hint).toMatch(/manifest/);
  });

  it('a repository whose signed index.json is cut off: refused with a hint', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint])).code).toBe(0);
    mkdirSync(repo, { recursive: true });
    writeFileSync(path.join(repo, 'index.json'), '{"format": 1,\n');
    await signFile(path.join(repo, 'index.json'), { keyFile: key.privateFile });

    const r = await bpkg(root, ['update']);
    expect(r.code, r.stderr).toBe(4);
    const said = r.stdout + r.stderr;
    expect(said).toContain('Repository index is not valid JSON');
    expect(said).toMatch(/hint: .*index\.json/);
  });
});
