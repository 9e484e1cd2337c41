/**
 * `blueprint service watch` on a box with no services said 'Watching the installed services' and
 * then nothing, for ever: a first-time user could not tell that there was nothing to watch. It now
 * says so and how to install a module (and that the watch goes on: a module installed meanwhile is
 * watched from its install, so blueprint-services.service keeps running on a new box). The note
 * is on stderr, and not with --json or --quiet: stdout stays the events only.
 */
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';

/** Runs `service watch` and stops it as one Ctrl-C does, once it has begun. */
async function watchOnce(args: string[]) {
  const stop = setTimeout(() => process.emit('SIGINT', 'SIGINT'), 300);
  return runCliHere([...args, 'service', 'watch']).finally(() => clearTimeout(stop));
}

describe('service watch with no services installed', () => {
  it('says there is nothing to watch yet and how to install a module; exit 0 on Ctrl-C', async () => {
    const root = tempDir('bp-watch-none-');
    const r = await watchOnce(['--root', root]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/No services are installed: nothing to watch yet/);
    expect(r.err).toContain(`bpkg --root ${root} install NAME`);
    expect(r.err).toContain('Ctrl-C');
    const json = await watchOnce(['--root', root, '--json']);
    expect(json.code).toBe(0);
    // --json silences notes (as every command's): stdout stays the events, one object a line.
    expect(json.out).toBe('');
  });

  it('with services installed, names what it watches', async () => {
    const root = tokenRoot('bp-watch-some-');
    await register(root, 'hello', consumerSpec('/run/hello'));
    const r = await watchOnce(['--root', root]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('Watching the installed services (hello): one line per event. Ctrl-C stops.');
    expect(r.err).not.toMatch(/nothing to watch/);
  });
});
