import { execFileSync, spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { open, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { loadAnswersFile, loadSpecFile } from '../../src/core/setup/index.js';
import { initialDraft, STEPS } from '../../src/core/setup/wizard.js';
import { consolePasswordHash, sshPublicKey, tempRoot } from '../setup/helpers.js';

/**
 * `setup --answers FILE` and `apply -f FILE` read the file, and each repository key it names by
 * path, whole and as root: a FIFO (a key path `key: /run/some.fifo` in a file a fleet tool wrote,
 * or the answers file itself) held setup for good; a huge file (a sparse one costs nothing to
 * make) ended it with an untyped RangeError; `/dev/zero` would read until memory ran out. Each is
 * read as an untrusted file: a regular file of at most 1 MiB, opened without waiting, or refused
 * by name.
 */
let dir: string;
let cleanup: () => Promise<void>;
const fifos: string[] = [];
beforeEach(async () => {
  ({ root: dir, cleanup } = await tempRoot('file-reads'));
});
afterEach(async () => {
  // Lets a read that waited on a FIFO (before the fix) finish, so the test file can end.
  for (const f of fifos.splice(0)) {
    const w = await open(f, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
    await w?.close();
  }
  await cleanup();
});

const FPR = 'A'.repeat(40);
const answers = (key: string) =>
  JSON.stringify({
    hostname: 'box',
    admin: { name: 'admin', keys: [sshPublicKey()], passwordHash: consolePasswordHash() },
    repository: { name: 'fleet', url: 'https://repo.example.org/', key, fingerprint: FPR },
  });

function fifo(name: string): string {
  const f = path.join(dir, name);
  execFileSync('mkfifo', [f]);
  fifos.push(f);
  return f;
}

/** The outcome, or 'hung' when nothing came in 5 s. */
function within5s(p: Promise<unknown>): Promise<unknown> {
  const timer = new Promise((resolve) => setTimeout(() => resolve('hung'), 5000).unref());
  return Promise.race([
    p.then(
      (v) => v,
      (err: unknown) => err,
    ),
    timer,
  ]);
}

describe('files an answers or apply file names', () => {
  it('a FIFO as the answers file is refused, not waited on', async () => {
    const out = await within5s(loadAnswersFile(fifo('answers.yaml')));
    expect(out).toBeInstanceOf(UsageError);
    expect((out as UsageError).message).toContain('answers.yaml');
  });

  it('a FIFO as a repository key file is refused, not waited on', async () => {
    const file = path.join(dir, 'answers.json');
    await writeFile(file, answers(fifo('key.asc')));
    const out = await within5s(loadAnswersFile(file));
    expect(out).toBeInstanceOf(UsageError);
    expect((out as UsageError).message).toContain('repository.key');
  });

  it('a 3 GiB sparse apply file or key file is refused by name', async () => {
    const big = path.join(dir, 'big.yaml');
    await writeFile(big, '');
    await truncate(big, 3 * 1024 ** 3);
    expect(await within5s(loadSpecFile(big))).toBeInstanceOf(UsageError);
    const file = path.join(dir, 'answers.json');
    await writeFile(file, answers('big.yaml'));
    const out = await within5s(loadAnswersFile(file));
    expect(out).toBeInstanceOf(UsageError);
    expect((out as UsageError).message).toContain('repository.key');
  });

  it("a FIFO named in the console wizard's key steps is refused, not waited on", async () => {
    const env = { cwd: dir, gpuSummary: [] };
    for (const id of ['key', 'repoKey']) {
      const step = STEPS.find((s) => s.id === id)!;
      const out = await within5s(step.accept(fifo(`${id}.pub`), initialDraft('box'), env));
      expect(out).toEqual(expect.stringContaining('not a regular file'));
    }
  });

  it('a device or FIFO named as a key file is not even opened (an open of /dev/watchdog arms it)', async () => {
    // Stand-in for a device whose open acts (/dev/watchdog: a close without its magic word
    // reboots the box): a writer waiting on a FIFO goes on only once someone opens it to read.
    const f = fifo('watchdog');
    const flag = path.join(dir, 'opened');
    const writer = spawn('sh', ['-c', 'exec 3>"$1"; echo opened > "$2"', 'sh', f, flag]);
    const file = path.join(dir, 'answers.json');
    await writeFile(file, answers(f));
    expect(await within5s(loadAnswersFile(file))).toBeInstanceOf(UsageError);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(flag)).toBe(false);
    writer.kill();
  });

  it('/dev/zero as a key file is refused at once', async () => {
    const file = path.join(dir, 'answers.json');
    await writeFile(file, answers('/dev/zero'));
    const out = await within5s(loadAnswersFile(file));
    expect(out).toBeInstanceOf(UsageError);
  });
});
