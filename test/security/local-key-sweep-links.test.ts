/**
 * The sweep of killed makers' private key folders (aed33656, src/core/pkg/local-key.ts) runs as
 * root at every model import and removes `.local-key-PID-UUID` entries of ROOT/var/lib/blueprint.
 * Guards (REVIEW12, found sound): a link planted at such a name is removed as a link (the folder it
 * points at, and what it holds, stay), a file at such a name is removed, a live process's folder
 * (its key being made) stays, and names that only look alike (another pid form, no UUID) stay.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const live = spawn('sleep', ['120'], { stdio: 'ignore' });
afterAll(() => {
  live.kill('SIGKILL');
});

describe('the local key sweep', () => {
  it("removes a planted link as a link, a gone maker's file; keeps a live maker's folder and look-alikes", async () => {
    const base = tempDir('bp-local-key-sweep-');
    const root = path.join(base, 'root');
    const parent = path.join(root, 'var/lib/blueprint');
    mkdirSync(parent, { recursive: true });
    const elsewhere = path.join(base, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'keep'), "not the sweep's");
    symlinkSync(elsewhere, path.join(parent, `.local-key-999999999-${UUID}`));
    writeFileSync(path.join(parent, `.local-key-999999998-${UUID}`), 'a file');
    const liveOne = `.local-key-${live.pid}-${UUID}`;
    mkdirSync(path.join(parent, liveOne));
    const alike = [`.local-key-999999997-not-a-uuid`, `.local-key--1-${UUID}`, `.local-key-0x10-${UUID}`];
    for (const n of alike) mkdirSync(path.join(parent, n));

    const r = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(path.join(elsewhere, 'keep'))).toBe(true);
    expect(
      readdirSync(parent)
        .filter((n) => n.startsWith('.local-key-'))
        .sort(),
    ).toEqual([liveOne, ...alike].sort());
  }, 60_000);
});
