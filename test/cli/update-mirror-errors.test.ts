/**
 * `bpkg update` when every URL of a repository fails: the answer named one mirror's error (a
 * refusal over an outage), so an admin with three mirrors down for three reasons learnt one of
 * them, and `--json` gave a script nothing about the others. Now each mirror's error is reported:
 * `errors` (an array: url, code, message, hint) beside the `error` it always carried, and the human
 * answer lists them under the repository's line. The real executable.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

async function failingMirrors() {
  const key = await makeKey(path.join(tempDir(), 'key'));
  const garbage = tempDir('bp-mirror-garbage-');
  writeFileSync(path.join(garbage, 'index.json'), '{"not": "an index"');
  writeFileSync(path.join(garbage, 'index.json.asc'), 'garbage');
  const empty = tempDir('bp-mirror-empty-');
  const root = tempDir('bp-root-');
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', empty, { keys: [key.fingerprint], mirrors: [garbage] });
  // Folders are kept as file:// URLs.
  return { root, garbage: `file://${garbage}`, empty: `file://${empty}` };
}

describe('every mirror of a repository failing', () => {
  it('--json: each mirror’s error in `errors`, the one `error` kept', async () => {
    const { root, garbage, empty } = await failingMirrors();
    const r = await bpkg(root, ['--json', 'update']);
    expect(r.code, r.stderr).toBe(4);
    const [o] = JSON.parse(r.stdout);
    // What it always said: the refusal wins over the missing index.
    expect(o).toMatchObject({ repo: 'main', ok: false, error: { code: 'bad-signature' } });
    expect(o.errors).toEqual([
      expect.objectContaining({ url: empty, code: expect.any(String), message: expect.any(String) }),
      expect.objectContaining({ url: garbage, code: 'bad-signature', message: expect.any(String) }),
    ]);
    expect(o.errors[0].code).not.toBe('bad-signature');
  });

  it('the human answer names each mirror and its error', async () => {
    const { root, garbage, empty } = await failingMirrors();
    const r = await bpkg(root, ['update']);
    expect(r.code, r.stderr).toBe(4);
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toMatch(/^main: REFUSED: /m);
    expect(out).toContain(`  mirror ${empty}: `);
    expect(out).toContain(`  mirror ${garbage}: `);
  });
});
