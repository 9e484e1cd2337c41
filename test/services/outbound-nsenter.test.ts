import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nftInNetns } from '../../src/core/services/outbound.js';

/**
 * A container whose process is gone by the time its rules are loaded (it exited, or was stopped
 * meanwhile): nsenter fails at once, before it reads the rules written to its input. That must be
 * the refusal with a hint, never an EPIPE thrown from the pipe (an uncaught exception that ends
 * the whole program).
 */
describe('nftInNetns when the process has gone', () => {
  it('rejects with outbound-rules, and the unread input is no uncaught EPIPE', async () => {
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    const rules = `# ${'x'.repeat(1 << 20)}\n`;
    await expect(nftInNetns(Number(gone), ['-f', '-'], rules)).rejects.toMatchObject({
      code: 'outbound-rules',
    });
    // Give the pipe's error, should there be one, the turn to surface as an unhandled error.
    await new Promise((r) => setTimeout(r, 200));
  });
});
