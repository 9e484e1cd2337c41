import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';

// `module new` and `module lint` take one argument: none is refused with the command's own words
// and example; a second is refused before the command runs (command.ts, from `args`), for every
// command alike, so the commands check only for none.
describe('module new / lint: one argument', () => {
  it.each([
    ['new', 'Give one module name', 'Example: blueprint module new my-service', 'NAME'],
    ['lint', 'Give one module folder', 'Example: blueprint module lint modules/hello', 'PATH'],
  ])('module %s', async (cmd, missing, example, arg) => {
    const none = await run(['module', cmd]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`error: ${missing}`);
    expect(none.stderr).toContain(`hint: ${example}`);
    const two = await run(['module', cmd, 'a', 'b']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`takes at most 1 argument (${arg}), not 2`);
  });
});
