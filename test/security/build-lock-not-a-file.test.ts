/**
 * REVIEW15, attack on 28589e04 (build-lock's place line): dist/.build.lock is read to learn its taker.
 * Something at the lock's path that is no lock file made every build hang without a word:
 * - a dangling symbolic link: 'wx' finds it there (EEXIST) while reading it finds nothing (ENOENT),
 *   taken as "released between the two looks", and the loop went round again at once, with no wait:
 *   a build spinning a CPU forever, its event loop blocked (not even Ctrl-C's handlers ran);
 * - a FIFO (or a link to one): reading it waited for a writer that never came.
 * Such a path is now refused at once, naming the file to remove; a link is never followed (a link to
 * another file is not read, and that file is left as it is).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const lockModule = path.resolve('scripts/build-lock.mjs');

/** takeLock(file) in a process of its own, ended after 6 s if it has not returned. */
function take(file: string) {
  const code = `const { takeLock } = await import(${JSON.stringify(lockModule)});
await takeLock(${JSON.stringify(file)}, { say: (s) => console.log('said: ' + s) });
console.log('taken');`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 6_000,
    killSignal: 'SIGKILL',
  });
  return { ...r, ms: Date.now() - started };
}

const folder = () => mkdtempSync(path.join(os.tmpdir(), 'bp-review15-lock-'));

describe('a build lock path that is no lock file', () => {
  it('a dangling link: refused at once naming the file, its target not made', () => {
    const dir = folder();
    const file = path.join(dir, '.build.lock');
    const target = path.join(dir, 'elsewhere');
    symlinkSync(target, file);
    const r = take(file);
    expect(r.signal, 'killed after 6 s: the build hung').toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${file} is not a lock file`);
    expect(r.stderr).toContain('remove it');
    expect(existsSync(target)).toBe(false);
  }, 20_000);

  it('a FIFO: refused at once, not read', () => {
    const file = path.join(folder(), '.build.lock');
    execFileSync('mkfifo', [file]);
    const r = take(file);
    expect(r.signal, 'killed after 6 s: the build hung').toBeNull();
    expect(r.stderr).toContain(`${file} is not a lock file`);
  }, 20_000);

  it('a link to another file: refused, that file neither read as a lock nor changed', () => {
    const dir = folder();
    const file = path.join(dir, '.build.lock');
    const victim = path.join(dir, 'notes.txt');
    writeFileSync(victim, '1\nmy notes\n');
    symlinkSync(victim, file);
    const r = take(file);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain(`${file} is not a lock file`);
    expect(readFileSync(victim, 'utf8')).toBe('1\nmy notes\n');
  }, 20_000);

  it('an ordinary stale lock is still taken over', () => {
    const file = path.join(folder(), '.build.lock');
    writeFileSync(file, '999999999\n');
    const r = take(file);
    expect(r.stdout).toContain('taken');
  }, 20_000);
});
