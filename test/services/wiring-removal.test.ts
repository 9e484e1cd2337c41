/**
 * A consumer without tokens: `writeTokenCopies` removes its old folder of token copies (wiring.ts
 * removeCopies), before every container create of every service. Done with synchronous calls, as
 * the other file calls before create are (fs-cb.ts): its open went through node:fs's callbacks,
 * which started libuv's thread pool on the way to create, four threads the main thread waits to
 * see started (2-10 ms before create under `strace` on this VM, issue 20). The removal is done when
 * the call returns; a link at the wiring folder is still not followed.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

describe('token copies of a consumer that uses nothing', () => {
  it('its old folder is gone when the call returns (no trip through the thread pool)', async () => {
    const root = tempDir('bp-wiring-rm-');
    const consumer = path.join(layout(root).runDir, 'wiring', 'c1');
    mkdirSync(consumer, { recursive: true });
    writeFileSync(path.join(consumer, 'a.token'), 'x');
    const removing = writeTokenCopies(root, 'c1', []);
    expect(existsSync(consumer)).toBe(false);
    await removing;
    expect(existsSync(path.join(layout(root).runDir, 'wiring'))).toBe(true); // only the consumer's
  });

  it('no wiring folder: nothing to do', async () => {
    const root = tempDir('bp-wiring-rm-');
    await writeTokenCopies(root, 'c1', []);
    expect(existsSync(path.join(layout(root).runDir, 'wiring'))).toBe(false);
  });

  it('attack: a link at the wiring folder is not followed (what it points at keeps its files)', async () => {
    const root = tempDir('bp-wiring-rm-');
    const victim = path.join(tempDir('bp-wiring-victim-'), 'c1');
    mkdirSync(victim, { recursive: true });
    writeFileSync(path.join(victim, 'keep'), 'x');
    mkdirSync(layout(root).runDir, { recursive: true });
    symlinkSync(path.dirname(victim), path.join(layout(root).runDir, 'wiring'));
    await writeTokenCopies(root, 'c1', []);
    expect(existsSync(path.join(victim, 'keep'))).toBe(true);
  });
});
