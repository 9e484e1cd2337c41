/**
 * The record of rotated consumer tokens (core/services/token-generations.ts) is read strictly: a
 * link at its name (to a file with good counts), another shape of JSON, a count that is not a
 * whole number at least 0, or a file over 1 MiB is refused (bad-client-key), never read as "no
 * rotation", which would give back the tokens a rotation replaced. An absent one is made with a new
 * generation (test/security/client-token-counts-lost). Its folder is root's alone, so
 * no one else can remove or replace it.
 */
import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generationOf, readGenerations } from '../../src/core/services/token-generations.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

function record(): { root: string; file: string } {
  const root = tempDir('token-gen-');
  const dir = layout(root).stateDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { root, file: path.join(dir, 'client-token-generations') };
}

describe('the record of rotated consumer tokens', () => {
  it('is read when whole and root-only; absent is no rotation, under a new generation', async () => {
    const { root, file } = record();
    const made = await generationOf(root, 'llm', 'rag');
    expect(made).toEqual({ generation: expect.stringMatching(/^[0-9a-f]{64}$/), count: 0 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await generationOf(root, 'llm', 'rag')).toEqual(made);
    // Records written here are ones without a mark of the latest (from before it): read as they are.
    const unmarked = (text: string) => {
      rmSync(path.join(path.dirname(file), 'client-token-seen'));
      writeFileSync(file, text, { mode: 0o600 });
    };
    unmarked(`{"format":2,"generation":"${'a'.repeat(64)}","rotated":{"llm":{"rag":3}}}\n`);
    expect(await generationOf(root, 'llm', 'rag')).toEqual({ generation: 'a'.repeat(64), count: 3 });
    expect((await generationOf(root, 'llm', '__proto__')).count).toBe(0);
    expect((await generationOf(root, '__proto__', 'rag')).count).toBe(0);
    // A record from before the generation: read with none, its counts as they were.
    unmarked('{"llm":{"rag":3}}\n');
    expect(await generationOf(root, 'llm', 'rag')).toEqual({ generation: '', count: 3 });
  });

  it.each([
    ['not JSON', '{"llm":'],
    ['an array', '[]'],
    ['a count below 0', '{"llm":{"rag":-1}}'],
    ['a fraction', '{"llm":{"rag":1.5}}'],
    ['a count as text', '{"llm":{"rag":"3"}}'],
    ['a count past safe integers', '{"llm":{"rag":9007199254740993}}'],
    ['a provider that is not an object', '{"llm":3}'],
    ['over 1 MiB', `{"llm":{"rag":1}}${' '.repeat(1 << 20)}`],
    ['a generation that is not 64 hex digits', `{"format":2,"generation":"${'a'.repeat(63)}","rotated":{}}`],
    ['no counts beside the generation', `{"format":2,"generation":"${'a'.repeat(64)}"}`],
    ['a key of another name', `{"format":2,"generation":"${'a'.repeat(64)}","rotated":{},"x":1}`],
  ])('refuses %s', async (_why, text) => {
    const { root, file } = record();
    writeFileSync(file, text, { mode: 0o600 });
    await expect(readGenerations(root)).rejects.toMatchObject({ code: 'bad-client-key' });
  });

  it('refuses a link at its name, though what it points at is a good record', async () => {
    const { root, file } = record();
    const elsewhere = path.join(root, 'elsewhere');
    writeFileSync(elsewhere, '{"llm":{"rag":3}}\n', { mode: 0o600 });
    symlinkSync(elsewhere, file);
    await expect(readGenerations(root)).rejects.toMatchObject({ code: 'bad-client-key' });
  });

  it.each([
    ['not JSON', '{"generation":'],
    ['another key', `{"generation":"${'a'.repeat(64)}","rotations":0,"x":1}`],
    ['a count as text', `{"generation":"${'a'.repeat(64)}","rotations":"0"}`],
    ['a bad generation', '{"generation":"zz","rotations":0}'],
  ])('refuses a mark of the latest record that is %s', async (_why, text) => {
    const { root, file } = record();
    await generationOf(root, 'llm', 'rag');
    writeFileSync(path.join(path.dirname(file), 'client-token-seen'), text, { mode: 0o600 });
    await expect(readGenerations(root)).rejects.toMatchObject({ code: 'bad-client-key' });
  });

  it("refuses a link at the mark's name", async () => {
    const { root, file } = record();
    await generationOf(root, 'llm', 'rag');
    const seen = path.join(path.dirname(file), 'client-token-seen');
    const elsewhere = path.join(root, 'elsewhere');
    writeFileSync(elsewhere, '{"generation":"","rotations":0}\n', { mode: 0o600 });
    rmSync(seen);
    symlinkSync(elsewhere, seen);
    await expect(readGenerations(root)).rejects.toMatchObject({ code: 'bad-client-key' });
  });
});
