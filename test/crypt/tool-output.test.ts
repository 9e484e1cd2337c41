/**
 * cryptsetup's and systemd-cryptenroll's output as the encryption step keeps it (src/core/crypt/encrypt.ts
 * systemTools): its stderr was kept whole in memory (a Buffer per chunk, then one string), and a failed
 * step's error quoted its last two lines whole, however long. Now the stderr's tail
 * (system/tool-output.ts OutputTail), stdout up to 4 MiB (a LUKS2 header's JSON is at most that), and
 * the error's quoted lines each at most 300 characters. A real process: a stand-in tool (a shell script).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedInCrypttab, systemTools } from '../../src/core/crypt/encrypt.js';
import { tempDir } from '../setup/temp-registry.js';

// 3 MB of 100-character lines on stderr, then a last line; 6 MB on stdout.
const NOISE = [
  "head -c 3000000 /dev/zero | tr '\\0' a | fold -w 100 >&2",
  "printf '\\nthe last line\\n' >&2",
  "head -c 6000000 /dev/zero | tr '\\0' b",
  'exit 3',
].join('\n');

describe("the encryption step's tool output", () => {
  it('keeps a bounded tail of stderr and a bounded stdout', async () => {
    const r = await systemTools.run(['sh', '-c', NOISE]);
    expect(r.code).toBe(3);
    expect(r.stderr.length).toBeLessThan(256 * 1024);
    expect(r.stderr.trimEnd().endsWith('the last line')).toBe(true);
    expect(r.stdout.length).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it("a failed step's error quotes bounded lines", async () => {
    // A real cryptsetup stand-in on PATH whose last two lines are 200,000 characters each.
    const bin = tempDir();
    writeFileSync(
      path.join(bin, 'cryptsetup'),
      "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\0' x >&2\necho >&2\nhead -c 200000 /dev/zero | tr '\\0' y >&2\necho ' the reason' >&2\nexit 1\n",
    );
    chmodSync(path.join(bin, 'cryptsetup'), 0o755);
    const PATH = process.env.PATH;
    process.env.PATH = `${bin}:${PATH}`;
    try {
      const err = await namedInCrypttab(systemTools, '/dev/null', path.join(bin, 'crypttab')).catch(
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('the reason');
      expect((err as Error).message.length).toBeLessThan(2048);
    } finally {
      process.env.PATH = PATH;
    }
  });
});
