/**
 * Seen by KEYS2: a box's kept index (lists/NAME/index.json, the rollback baseline) damaged on disk
 * made `bpkg update` refuse the repository with 'Stored index is not valid JSON', hint 'The
 * repository publisher must fix index.json', exit 4: a verification refusal blaming the publisher
 * for a file of this box. It is refused still (taken as absent, it would drop the rollback check),
 * but as the box's damaged file (`damaged-file`, exit 7 and "not updated" as a full disk is), named,
 * with the way back, as a damaged meta.json is.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bpkg, lists, signedRepo, tempDir } from '../helpers/pkg.js';

describe('bpkg update with its kept index damaged', () => {
  it('names the box file and the way back, not the publisher', async () => {
    const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const root = tempDir('bp-keptdamaged-');
    const ok = async (...args: string[]) => expect((await bpkg(root, args)).code).toBe(0);
    await ok('key', 'add', key.publicFile, '--fingerprint', key.fingerprint);
    await ok('repo', 'add', 'main', `file://${repo}`, '--key', key.fingerprint);
    await ok('update');
    for (const f of readdirSync(lists(root, 'main')))
      if (f !== 'meta.json') rmSync(lists(root, 'main', f), { recursive: true, force: true });
    writeFileSync(lists(root, 'main', 'index.json'), '{ damaged');
    const up = await bpkg(root, ['--json', 'update']);
    // The box's storage (7), not a refused signature or index (4): nothing came from the publisher.
    expect(up.code, up.stdout).toBe(7);
    const human = await bpkg(root, ['update']);
    expect(human.code).toBe(7);
    expect(human.stdout + human.stderr).toContain('main: not updated:');
    const [main] = JSON.parse(up.stdout) as { error: { code: string; message: string; hint: string } }[];
    expect(main!.error.code).toBe('damaged-file');
    expect(main!.error.message).toContain(lists(root, 'main', 'index.json'));
    // On the box updated, as the text says it (--json's hint had no --root).
    expect(main!.error.hint).toContain(
      `Remove the folder ${lists(root, 'main')} and run \`bpkg --root ${root} update\``,
    );
    expect(main!.error.hint).not.toMatch(/publisher/);
    // The way back works.
    rmSync(lists(root, 'main'), { recursive: true, force: true });
    await ok('update');
  });
});
