/**
 * A start racing a removal wrote a removed consumer's line back into the provider's
 * `client-tokens` (docs/security-audit.md, 2026-12-01 "Left open"): the start read which installed
 * modules use the provider (rag among them), the removal deleted rag's registration and wrote the
 * file without it, then the start wrote what it had read: rag's token opened llm again, until the
 * provider's next start, for whoever kept it. The interleaving is forced: the start's read of the
 * consumers is held (a wrapper around wiring.ts's usersOf) while the removal runs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { consumerToken, dropConsumer, writeClientTokens } from '../../src/core/services/client-tokens.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { deleteRegistration } from '../../src/core/services/registry.js';
import { layout } from '../../src/core/system/paths.js';
import { consumerSpec, providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';

/** The next read of a provider's consumers waits for `release` after it has read them. */
const gate: { held?: Promise<void>; read?: () => void } = {};
vi.mock('../../src/core/services/wiring.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/core/services/wiring.js')>();
  return {
    ...orig,
    usersOf: async (...args: Parameters<typeof orig.usersOf>) => {
      const users = await orig.usersOf(...args);
      const held = gate.held;
      gate.held = undefined;
      if (held) {
        gate.read?.();
        await held;
      }
      return users;
    },
  };
});

let root: string;
const consumer = consumerSpec();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  root = tokenRoot('bp-token-race-');
  await register(root, 'llm', providerSpec('llm'));
  await register(root, 'rag', consumer, ['llm']);
  await register(root, 'more', consumer, ['llm']);
});

describe("attack: a start racing a consumer's removal", () => {
  it("does not write the removed consumer's line back into the provider's client-tokens", async () => {
    let release!: () => void;
    gate.held = new Promise<void>((r) => {
      release = r;
    });
    const read = new Promise<void>((r) => {
      gate.read = r;
    });
    // llm's start (or more's): it has read that rag and more use llm, and is about to write.
    const starting = writeClientTokens(root, 'llm');
    await read;
    // bpkg remove rag meanwhile: its registration goes, then its hook writes llm's file without it.
    await deleteRegistration(root, 'rag', '1.0.0');
    const warned: string[] = [];
    const removing = dropConsumer(root, ['llm'], (l) => warned.push(l));
    await Promise.race([removing, sleep(500)]); // the removal is as far as it can go
    release();
    await Promise.all([starting, removing]);
    expect(warned).toEqual([]);
    const file = readFileSync(path.join(serviceDirs(root, 'llm').dataDir, 'client-tokens'), 'utf8');
    expect(file).toBe(`more ${await consumerToken(root, 'llm', 'more')}\n`);
  });

  it('a lock left by a killed process does not stop the write; one held by a live one is waited for', async () => {
    const lock = path.join(layout(root).stateDir, 'client-tokens.lock');
    writeFileSync(lock, '999999999'); // no such process
    await writeClientTokens(root, 'llm');
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, String(process.ppid)); // a live process of another blueprint
    let written = false;
    const writing = writeClientTokens(root, 'llm').then(() => {
      written = true;
    });
    await sleep(200);
    expect(written).toBe(false);
    rmSync(lock);
    await writing;
    expect(written).toBe(true);
  });
});
