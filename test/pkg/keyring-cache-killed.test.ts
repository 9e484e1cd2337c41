/**
 * The keyring cache (lists/keyring.json, sealed-write.ts) is written beside as
 * `.keyring.json.PID.tmp` and renamed into place: a command killed between the two (SIGKILL, OOM
 * killer, power cut) left that file in lists/ for good, one more at every kill, since nothing swept
 * it (writeFileAtomic sweeps its dead writers' temporaries, writeSealed did not). The kill comes
 * from strace at the rename; a dead writer's file is also planted, and a live one's is left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, bpkg, lists, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';
import { hasStrace } from '../helpers/power-cut.js';

const temps = (root: string) =>
  readdirSync(lists(root))
    .filter((n) => n.startsWith('.keyring.json.') && n.endsWith('.tmp'))
    .sort();

async function deadPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

describe.skipIf(!hasStrace)('the keyring cache killed while it was written', () => {
  it("leaves no temporary file once the next write of it has run; a live writer's stays", async () => {
    const { key, repo } = await signedRepo([{ name: 'good', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    const cache = path.join(lists(root), 'keyring.json');
    // Gone, `key list` writes it again: killed at that write's rename.
    rmSync(cache, { force: true });
    const log = path.join(tempDir(), 'strace.log');
    const killed = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=rename,renameat,renameat2',
        '-e',
        'inject=rename,renameat,renameat2:signal=KILL:when=1',
        '-o',
        log,
        blueprintExe,
        '--root',
        root,
        'pkg',
        'key',
        'list',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(killed.status).not.toBe(0);
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
