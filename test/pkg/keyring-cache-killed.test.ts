import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, lists, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { deadPid, hasStrace, killedAtRename } from '../helpers/power-cut.js';

const temps = (root: string) =>
  readdirSync(lists(root))
    .filter((n) => n.startsWith('.keyring.json.') && n.endsWith('.tmp'))
    .sort();

describe.skipIf(!hasStrace)('the keyring cache killed while it was written', () => {
  it("leaves no temporary file once the next write of it has run; a live writer's stays", async () => {
    const { key, repo } = await signedRepo([{ name: 'good', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    const cache = path.join(lists(root), 'keyring.json');
    // Gone, `key list` writes it again: killed at that write's rename.
    rmSync(cache, { force: true });
    killedAtRename(['--root', root, 'pkg', 'key', 'list']);
    expect(temps(root)).toEqual([expect.stringMatching(/^\.keyring\.json\.\d+\.tmp$/)]);
    expect(existsSync(cache)).toBe(false);

    // Another dead writer's, and a live one's (this process's), planted beside.
    writeFileSync(path.join(lists(root), `.keyring.json.${await deadPid()}.tmp`), 'x');
    const live = `.keyring.json.${process.pid}.tmp`;
    writeFileSync(path.join(lists(root), live), 'x');
    expect(temps(root)).toHaveLength(3);

    const list = await bpkg(root, ['key', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(existsSync(cache)).toBe(true);
    expect(temps(root)).toEqual([live]);
  }, 120_000);
});
