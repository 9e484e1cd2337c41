/**
 * `bpkg install` killed (SIGKILL, OOM killer, power cut) just before one of its renames: the
 * transaction is recovered by the next command, but the temporary file that rename was to move
 * (`.journal.json.PID.TIME.tmp`, `.installed.json.…`, `files/.NAME_VERSION.json.…`, the
 * `current.PID.tmp` link) stayed in the package database for good, one more at every kill. The
 * kill comes from strace at the first rename (`inject=…:signal=KILL`), the journal's; the later
 * ones are planted as a dead process leaves them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';
import { deadPid, hasStrace } from '../helpers/power-cut.js';

/** Every `.tmp` name under the root's package database and package folders. */
const temps = (root: string): string[] =>
  ['var/lib/blueprint/pkg', 'opt/blueprint']
    .filter((d) => existsSync(path.join(root, d)))
    .flatMap((d) =>
      (
        readdirSync(path.join(root, d), {
          recursive: true,
          withFileTypes: true,
        }) as import('node:fs').Dirent[]
      )
        .filter((e) => e.name.endsWith('.tmp'))
        .map((e) => path.relative(root, path.join(e.parentPath, e.name))),
    )
    .filter((p) => !p.startsWith('var/lib/blueprint/pkg/lists/'));

const traced = (root: string, inject?: number) => {
  const log = path.join(tempDir(), 'strace.log');
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=rename,renameat,renameat2',
      ...(inject ? ['-e', `inject=rename,renameat,renameat2:signal=KILL:when=${inject}`] : []),
      '-o',
      log,
      blueprintExe,
      '--root',
      root,
      'pkg',
      '--yes',
      'install',
      'hello-data',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { status: r.status, signal: r.signal, lines: readFileSync(log, 'utf8').split('\n') };
};

describe.skipIf(!hasStrace)('an install killed at a rename', () => {
  it('leaves no temporary file once the next command has run', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const base = await trustingRoot(key, repo);

    // Killed for real at its first rename, the journal's.
    const root = path.join(tempDir(), 'killed');
    cpSync(base, root, { recursive: true });
    const killed = traced(root, 1);
    expect(killed.status, killed.lines.join('\n')).not.toBe(0);
    expect(temps(root)).toEqual([
      expect.stringMatching(/^var\/lib\/blueprint\/pkg\/\.journal\.json\.\d+\.\d+\.tmp$/),
    ]);
    const again = await bpkg(root, ['--yes', 'install', 'hello-data']);
    expect(again.code, again.stderr).toBe(0);
    expect(temps(root)).toEqual([]);

    // The later renames, each as a dead process leaves it (strace counts renames per thread, and
    // the thread pool's threads take turns): killed after its commit, the others planted beside.
    const later = path.join(tempDir(), 'later');
    cpSync(base, later, { recursive: true });
    const committed = await bpkg(later, ['--yes', 'install', 'hello-data'], {
      BLUEPRINT_FAULT_INJECT: 'committed',
    });
    expect(committed.code).not.toBe(0);
    const dead = await deadPid();
    const planted = [
      `var/lib/blueprint/pkg/.installed.json.${dead}.1796458936769.tmp`,
      `var/lib/blueprint/pkg/files/.hello-data_1.0.0.json.${dead}.k3j5x9q.tmp`,
    ];
    for (const p of planted) writeFileSync(path.join(later, p), '{');
    symlinkSync('1.0.0', path.join(later, `opt/blueprint/hello-data/current.${dead}.tmp`));
    // A live process's (this one's) is left alone.
    const live = `var/lib/blueprint/pkg/.installed.json.${process.pid}.1796458936769.tmp`;
    writeFileSync(path.join(later, live), '{');
    expect(temps(later)).toHaveLength(4);
    const list = await bpkg(later, ['--yes', 'install', 'hello-data']);
    expect(list.code, list.stderr).toBe(0);
    expect(temps(later)).toEqual([live]);
    expect((await bpkg(later, ['verify'])).code).toBe(0);
  }, 180_000);
});
