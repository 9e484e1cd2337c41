/**
 * `apply --json`'s error document always says what was changed (`changed: []` when it failed before
 * writing; docs/fleet.md), so a script or an Ansible `changed_when` reads one shape. `setup --json`'s
 * errors before any write had no `changed` (closing-43's "Left"): now the same shape, for each kind
 * of refusal setup makes before writing (a missing answers file, a bad flag, flags beside --answers,
 * no terminal for the wizard). Through the built executable, on an empty box.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('setup --json: an error before any write', () => {
  it('has changed: [] beside code, message and hint; nothing written', async () => {
    const work = tempDir('bp-setup-json-');
    const root = path.join(work, 'root');
    mkdirSync(root);
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, 'hostname: "not a host name!"\n');
    const cases: [string[], number][] = [
      [['--answers', path.join(work, 'none.yaml')], 3],
      [['--answers', bad], 2],
      [['--hostname', 'not a host name!'], 2],
      [['--answers', bad, '--hostname', 'box'], 2],
      [[], 2],
    ];
    for (const [args, code] of cases) {
      const r = await run(['--root', root, '--json', 'setup', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      const { error } = JSON.parse(r.stdout);
      expect(error, args.join(' ')).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      expect(error.changed, args.join(' ')).toEqual([]);
    }
    expect(existsSync(path.join(root, 'var/lib/blueprint/setup-done'))).toBe(false);
  });
});
