/**
 * `blueprint --root /tmp/x pkg info foo` said 'No repository is configured: add one with `bpkg repo
 * add NAME URL`, then run `bpkg update`.': an admin who copies the command acts on the live box (/),
 * not on the one they named. A hint's commands (in backticks, starting with blueprint, bpkg or sudo
 * blueprint) now carry the --root typed, in either spelling, as one shell word; their help
 * (`… --help`) and commands that never read a box (module, repo) do not need it, and a command that
 * names its own --root keeps it. Without a typed --root the hints are as before. The executable.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const hint = (stderr: string) => /^hint: (.*)$/m.exec(stderr)?.[1] ?? '';

describe('the commands a hint names carry the typed --root', () => {
  it('--root DIR and --root=DIR, on stderr and in --json', async () => {
    const root = tempDir('bp-hint-root-');
    for (const args of [
      ['--root', root, 'pkg', 'info', 'foo'],
      [`--root=${root}`, 'pkg', 'info', 'foo'],
      ['pkg', 'info', 'foo', '--root', root],
    ]) {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(3);
      expect(hint(r.stderr)).toBe(
        `No repository is configured: add one with \`bpkg --root ${root} repo add NAME URL\`, then run \`bpkg --root ${root} update\`.`,
      );
    }
    const json = await run(['--json', '--root', root, 'pkg', 'info', 'foo']);
    expect(JSON.parse(json.stdout).error.hint).toContain(`\`bpkg --root ${root} update\``);
    // As bpkg: the same.
    const asBpkg = await run(['--root', root, 'info', 'foo'], { argv0: 'bpkg' });
    expect(hint(asBpkg.stderr)).toContain(`\`bpkg --root ${root} update\``);
  });

  it('a root with a space is one shell word; a relative one is the folder it names', async () => {
    const spaced = path.join(tempDir('bp-hint-root-'), 'my box');
    mkdirSync(spaced);
    const r = await run(['--root', spaced, 'pkg', 'info', 'foo']);
    expect(hint(r.stderr)).toContain(`\`bpkg --root '${spaced}' update\``);
    const parent = tempDir('bp-hint-root-');
    mkdirSync(path.join(parent, 'box'));
    const rel = await run(['--root', 'box', 'pkg', 'info', 'foo'], { cwd: parent });
    expect(hint(rel.stderr)).toContain(`\`bpkg --root ${path.join(parent, 'box')} update\``);
  });

  it('a near command (did you mean) carries it; help and a command without a box do not', async () => {
    const root = tempDir('bp-hint-root-');
    const near = await run(['--root', root, 'pkg', 'show', 'hello']);
    expect(hint(near.stderr)).toBe(`Did you mean \`blueprint --root ${root} pkg info hello\`?`);
    const help = await run(['--root', root, 'gpu', '--bogus']);
    expect(hint(help.stderr)).toBe('See `blueprint gpu --help`.');
  });

  it('a hint below a table (a damaged service) carries it too', async () => {
    const root = tokenRoot('bp-hint-root-');
    await register(root, 'u6damaged', consumerSpec('/run/a'));
    const { readFileSync, writeFileSync } = await import('node:fs');
    const f = path.join(root, 'var/lib/blueprint/services/u6damaged/1.0.0.json');
    writeFileSync(f, readFileSync(f, 'utf8').slice(0, 40));
    const r = await run(['--root', root, 'service', 'list']);
    expect(r.code).toBe(7);
    expect(r.stdout).toContain(
      `hint: Install the module again: \`bpkg --root ${root} install u6damaged --reinstall\``,
    );
  });

  it('status, on a box not set up yet, points at setup on that box', async () => {
    const root = tempDir('bp-hint-root-');
    const r = await run(['--root', root, 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(not set up: run \`blueprint --root ${root} setup\`)`);
  });

  it('without a typed --root (BLUEPRINT_ROOT), the hints are as before', async () => {
    const root = tempDir('bp-hint-root-');
    const r = await run(['pkg', 'info', 'foo'], { env: { BLUEPRINT_ROOT: root } });
    expect(r.code).toBe(3);
    expect(hint(r.stderr)).toBe(
      'No repository is configured: add one with `bpkg repo add NAME URL`, then run `bpkg update`.',
    );
  });
});
