import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';

/**
 * The box lets nothing out but what its configuration allows (docs/egress.md), and an admin adds a
 * destination with `network.allow` in the file `apply -f` takes. `apply --help` showed every
 * section of that file but `network`, which it names as one that stays as the box has it: how to
 * allow a host could not be learnt from the program (QA7's walk).
 */
describe('blueprint apply --help', () => {
  it('shows the network section and where egress is explained', () => {
    const r = spawnSync(blueprintExe, ['apply', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}network: .*allow: \["[a-z.]+:443"\]/m);
    expect(r.stdout).toMatch(/docs\/egress\.md/);
  });
});
