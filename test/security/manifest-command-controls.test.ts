import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';

/**
 * A manifest's `command` and `probe` are argument lists handed to the engine as they are, and may
 * hold control characters: refusing them would break a `sh -c` script (newlines, tabs), so the
 * schema takes them (decided in the thirteenth session). What matters is that Blueprint never puts
 * them raw on a terminal. They are not shown by `module lint`, `service inspect` or `bpkg info`
 * (none prints a service's command); where they come back is the engine's refusal quoting the
 * OCI runtime (`executable file X not found`), printed one line (a65c5dc) and escaped. Checked
 * here with ESC (an OSC title set), BEL, CR, LF, C1's one-byte CSI (U+009B) and a bidi override.
 */
const HOSTILE = 'sh\x1b]0;owned\x07\r\nhint: forged\u009b2J\u202egnp.exe';
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const forged = (text: string) => text.split(/\r\n|\r|\n/).some((l) => l.startsWith('hint: forged'));

describe('module lint of a manifest whose command and probe hold controls', () => {
  const dir = join(tempDir('bp-command-controls-'), 'hello');
  beforeAll(() => {
    cpSync(join(repoRoot, 'modules/hello'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.service.command = [HOSTILE, '-c', `echo ${HOSTILE}`];
    manifest.service.probe = [HOSTILE, 'probe'];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });

  it('prints nothing raw, in text or JSON', async () => {
    for (const args of [
      ['module', 'lint', dir],
      ['--json', 'module', 'lint', dir],
    ]) {
      const r = await runCliHere(args);
      expect(r.out + r.err, args.join(' ')).not.toMatch(RAW);
      expect(forged(r.out + r.err)).toBe(false);
    }
  });
});

describe("the engine's refusal quoting such a command", () => {
  const socket = join(tempDir('bp-command-controls-engine-'), 'podman.sock');
  const engine = createServer((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        cause: 'no such file or directory',
        message: `crun: executable file \`${HOSTILE}\` not found in $PATH: No such file or directory`,
        response: 500,
      }),
    );
  });
  beforeAll(() => new Promise<void>((r) => engine.listen(socket, r)));
  afterAll(() => engine.close());

  it('is printed on one line, every control shown escaped', async () => {
    vi.doMock('../../src/cli/box.js', async () => {
      const { openEngine } = await import('../../src/core/services/engine.js');
      return {
        cliBox: () => ({
          services: { start: async () => openEngine(socket).libpod('POST', '/containers/blueprint-x/start') },
        }),
      };
    });
    try {
      for (const args of [
        ['service', 'start', 'x'],
        ['--json', 'service', 'start', 'x'],
      ]) {
        const r = await runCliHere(args);
        expect(r.code).not.toBe(0);
        expect(r.out + r.err, args.join(' ')).toContain('executable file');
        expect(r.out + r.err, args.join(' ')).not.toMatch(RAW);
        expect(forged(r.out + r.err)).toBe(false);
      }
    } finally {
      vi.doUnmock('../../src/cli/box.js');
    }
  });
});
