/**
 * `blueprint service rotate-tokens llm` killed (SIGKILL, OOM, power cut) at its first rename, the
 * record of rotations' (token-generations.ts): the rotation had not happened (the record, the
 * provider's file and each consumer's copy still the old ones, so no consumer is locked out), but
 * the record's temporary file (.client-token-generations.HEX.tmp, in the state folder beside the
 * box key) stayed for good, one more at every kill: no later rotation removed it. The kill comes
 * from strace at the first rename.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeClientTokens } from '../../src/core/services/client-tokens.js';
import { layout } from '../../src/core/system/paths.js';
import { installedFrom, llmWithRag, providerTokens, starts } from '../helpers/client-token-box.js';
import { blueprintExe } from '../helpers/pkg.js';
import { hasStrace, killedAtRename } from '../helpers/power-cut.js';

// No engine: the rotation names the consumers it could not ask about, and succeeds.
const env = { ...process.env, CONTAINER_HOST: 'unix:///nonexistent/podman.sock' };
const temps = (root: string) => readdirSync(layout(root).stateDir).filter((f) => f.endsWith('.tmp'));
const copy = (root: string) =>
  readFileSync(path.join(layout(root).runDir, 'wiring', 'rag', 'llm.token'), 'utf8').trim();

describe.skipIf(!hasStrace)('a token rotation killed at its first rename', () => {
  it('keeps the old tokens everywhere, and leaves no temporary file once run again', async () => {
    const root = await llmWithRag('bp-rotate-killed-');
    installedFrom(root, 'main', 'b'.repeat(40));
    await writeClientTokens(root, 'llm');
    const old = await starts(root, 'rag');
    const args = ['--root', root, 'service', 'rotate-tokens', 'llm'];
    killedAtRename(args, { env });
    expect(copy(root)).toBe(old);
    expect(providerTokens(root).identify(old)).toBe('rag');
    const again = spawnSync(blueprintExe, args, { encoding: 'utf8', timeout: 60_000, env });
    expect(again.status, again.stderr).toBe(0);
    expect(copy(root)).not.toBe(old);
    expect(providerTokens(root).identify(copy(root))).toBe('rag');
    expect(providerTokens(root).identify(old)).toBeUndefined();
    expect(temps(root)).toEqual([]);
  }, 120_000);
});
