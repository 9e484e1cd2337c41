/**
 * `blueprint apply`'s exit codes, as Ansible and scripts read them: each code apply gives in these
 * cases is in both lists that document them, `blueprint apply --help` and docs/fleet.md. They
 * disagreed: --help had no 5 (another setup or apply holds the lock: wait and run again) and
 * fleet.md no 3 (the file is not there), and neither said 1 (a plan refused: `blocked:`). The real
 * executable, as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

/** The codes a text's 'Exit codes: 0 …, 2 …' sentence names. */
function documented(text: string): number[] {
  const at = text.indexOf('Exit codes: ');
  if (at < 0) throw new Error('no "Exit codes:" in the text');
  const sentence = text.slice(at + 'Exit codes: '.length).split(/\.\s/)[0]!;
  return [...sentence.matchAll(/(?:^|[,;]\s*)(\d+) /g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

async function codes() {
  const help = await run(['apply', '--help']);
  const fleet = readFileSync(path.join(repoRoot, 'docs/fleet.md'), 'utf8');
  return {
    help: documented(help.stdout),
    fleet: documented(fleet.slice(fleet.indexOf('Exit codes: 0 applied'))),
  };
}

describe('apply exit codes are the documented ones', () => {
  it('3 (no such file), 5 (lock held), 1 (blocked) and 2 (invalid) are in --help and docs/fleet.md', async () => {
    const work = tempDir('bp-apply-codes-');
    const root = path.join(work, 'root');
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(file, 'hostname: box-01\n');
    const seen: number[] = [];
    seen.push((await run(['--root', root, 'apply', '-f', path.join(work, 'none.yaml')])).code);
    writeFileSync(path.join(work, 'bad.yaml'), 'hostname: "bad name"\n');
    seen.push((await run(['--root', root, 'apply', '-f', path.join(work, 'bad.yaml')])).code);
    mkdirSync(path.join(root, 'var/lib/blueprint'), { recursive: true });
    // Held by another apply (a process whose command line is one's): it is named, with its pid, and
    // the hint is a script's (wait, run it again; the lock's file), not the console wizard's. It said
    // "Another setup is running" with "Nothing was written or encrypted here ... the other console".
    const lock = path.join(root, 'var/lib/blueprint/setup.lock');
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'apply', '-f', 'x.yaml']);
    try {
      writeFileSync(lock, String(other.pid));
      const locked = await run(['--root', root, 'apply', '-f', file]);
      expect(locked.stderr).toContain(
        `error: \`blueprint apply\` is running (pid ${other.pid}): it holds the box`,
      );
      expect(locked.stderr).toContain(
        'hint: Nothing was written. Wait for it to finish, then run the same command again',
      );
      expect(locked.stderr).toContain(`The lock is ${lock}`);
      expect(locked.stderr).not.toMatch(/encrypted|other console/);
      seen.push(locked.code);
    } finally {
      other.kill();
    }
    writeFileSync(lock, String(process.pid));
    writeFileSync(path.join(work, 'ab.yaml'), 'hostname: box-01\nsystem: { version: 2.0.0, from: main }\n');
    const blocked = await run(['--root', root, 'apply', '--dry-run', '-f', path.join(work, 'ab.yaml')]);
    expect(blocked.stdout).toContain('blocked: system:');
    seen.push(blocked.code);
    expect(seen).toEqual([3, 2, 5, 1]);
    const { help, fleet } = await codes();
    for (const c of seen) {
      expect(help, `apply --help lacks ${c}`).toContain(c);
      expect(fleet, `docs/fleet.md lacks ${c}`).toContain(c);
    }
    expect(help).toEqual(fleet);
  });
});
