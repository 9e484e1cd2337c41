import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { runCliHere } from '../helpers/cli-here.js';
import { buildHello, fileBox, uniqueName } from '../services/helpers.js';

/**
 * `blueprint service inspect` runs the module's probe inside its container and reads its JSON.
 * When the probe printed something else, the error quoted up to 500 characters of what it printed,
 * line breaks and all, and the CLI keeps an error message's newlines: the module's text printed
 * lines of its own under `error:`, a `hint:` exactly like blueprint's among them if it liked (the
 * probe is the module's: the manifest names the command, the module's files decide what it
 * prints). inspect-lines (2f7986c) made a JSON probe's keys one line each; this is its other
 * path. The module's text is now one line, its breaks shown as \x0a.
 *
 * The hello module's `hog 16` stands in for a hostile probe: it prints two lines, not JSON.
 */
const name = uniqueName('bpt-probe-lines');
const box = fileBox(buildHello, name, {
  overrides: { probe: ['/hello', 'hog', '16'] },
  start: true,
  timeout: 120_000,
});

describe('a probe that prints no JSON cannot print lines of its own', () => {
  it('the error quotes it on one line', async () => {
    const err = await openBox(box.root, {})
      .services.inspect(name)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('printed no JSON');
    expect((err as Error).message).toContain('16 MiB\\x0aallocated 16 MiB');
    expect((err as Error).message).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  });

  it('blueprint service inspect prints it under error:, and no line of the module’s starts a line', async () => {
    const r = await runCliHere(['--root', box.root, 'service', 'inspect', name]);
    expect(r.code).not.toBe(0);
    const lines = r.err.split('\n');
    expect(
      lines.some((l) => l.startsWith('allocated 16 MiB')),
      r.err,
    ).toBe(false);
    expect(lines[0]).toMatch(/^error: .*printed no JSON.*allocated 16 MiB/);
  });
});
