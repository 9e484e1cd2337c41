import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint service watch` printed nothing until an event came: on a quiet box (or one with no
 * services) a user saw a silent terminal and could not tell it was working. It says once, on
 * stderr, what it watches and how to stop it (not with --json: stdout stays one object per line).
 */
describe('service watch', () => {
  it('says it is watching and that Ctrl-C stops it; ends 0 on Ctrl-C', async () => {
    const root = tempDir('bp-watch-line-');
    // One Ctrl-C ends the watch whenever it comes (a second would exit the process, as a user's does).
    const stop = setTimeout(() => process.emit('SIGINT', 'SIGINT'), 300);
    const r = await runCliHere(['--root', root, 'service', 'watch']).finally(() => clearTimeout(stop));
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    // An empty root: it says there is nothing to watch yet (test/cli/watch-nothing has both cases).
    expect(r.err).toContain('nothing to watch yet');
    expect(r.err).toContain('Ctrl-C');
  });
});
