/**
 * A consumer's token was computed from the box key, the two names and where the consumer came
 * from, and nothing else: the same for good. One that leaked (a consumer module taken over, then
 * removed and installed again from the same repository and signer) opened the provider as that
 * consumer forever, and the admin had no way to change it (docs/security-audit.md, 2026-12-01
 * "Left open"). `blueprint service rotate-tokens PROVIDER [CONSUMER]` (services.rotateTokens):
 * the provider's kit refuses the old token, accepts the new one, the consumer's copy holds it, and
 * a running consumer is named (it holds the old one until restarted).
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContext } from '../../src/app/context.js';
import { openBox, type ServiceOps } from '../../src/app/index.js';
import { rotateTokens } from '../../src/app/token-rotation.js';
import { consumerToken } from '../../src/core/services/client-tokens.js';
import { deleteRegistration } from '../../src/core/services/registry.js';
import { layout } from '../../src/core/system/paths.js';
import { rotationText } from '../../src/present/services.js';
import {
  consumerSpec,
  installedFrom,
  providerSpec,
  providerTokens,
  register,
  starts,
  tokenRoot,
} from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';

let root: string;
let engine: Server;
let sock: string;

const asConsumer = consumerSpec();
const copyOf = (consumer: string) => path.join(layout(root).runDir, 'wiring', consumer, 'llm.token');
const llmKit = () => providerTokens(root);

/** The engine, as far as the rotation asks it: rag's container runs, no other exists. */
function fakeEngine(): Promise<void> {
  sock = path.join(tempDir('bp-rotate-engine-'), 'podman.sock');
  engine = createServer((c) => {
    c.once('data', (b) => {
      const m = /^GET \S*\/containers\/([^/\s]+)\/json/.exec(b.toString());
      const running = m?.[1]?.endsWith('rag');
      const body = running
        ? JSON.stringify({
            Id: 'x',
            Name: m![1],
            State: { Running: true, Status: 'running' },
            Config: { Labels: {} },
          })
        : JSON.stringify({ message: 'no such container' });
      c.end(
        `HTTP/1.1 ${running ? '200 OK' : '404 Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
  });
  return new Promise((r) => engine.listen(sock, r));
}

beforeEach(async () => {
  root = tokenRoot('bp-token-rotate-');
  await register(root, 'llm', providerSpec('llm'));
  await register(root, 'vectors', providerSpec('vectors'));
  await register(root, 'old', providerSpec('old', false));
  await register(root, 'rag', asConsumer, ['llm', 'vectors']);
  await register(root, 'more', asConsumer, ['llm']);
  installedFrom(root, 'main', 'b'.repeat(40));
  await fakeEngine();
});
afterEach(() => new Promise<void>((r) => engine.close(() => r())));

const box = () => openBox(root, { env: { CONTAINER_HOST: `unix://${sock}` } });

describe("attack: a consumer's leaked token", () => {
  it('is the same after the consumer is removed and installed again from the same repository', async () => {
    const leaked = await starts(root, 'rag');
    await deleteRegistration(root, 'rag', '1.0.0');
    await register(root, 'rag', asConsumer, ['llm', 'vectors']);
    expect(await starts(root, 'rag')).toBe(leaked);
    expect(llmKit().identify(leaked)).toBe('rag');
  });

  it('rotate-tokens llm rag: the kit refuses the old token and takes the new one; the copy holds it; rag is named to restart', async () => {
    const leaked = await starts(root, 'rag');
    const more = await starts(root, 'more');
    const ragVectors = await consumerToken(root, 'vectors', 'rag');
    const r = await box().services.rotateTokens('llm', { consumer: 'rag' });
    expect(r).toEqual({ provider: 'llm', rotated: ['rag'], mustRestart: ['rag'], restarted: [] });
    expect(rotationText(r)).toContain('blueprint service restart rag');
    const now = readFileSync(copyOf('rag'), 'utf8').trim();
    expect(now).not.toBe(leaked);
    expect(now).toBe(await consumerToken(root, 'llm', 'rag'));
    expect(llmKit().identify(leaked)).toBeUndefined();
    expect(llmKit().identify(now)).toBe('rag');
    const st = statSync(copyOf('rag'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 4242, 0o440]);
    // Only that pair: more's token for llm and rag's for vectors are as they were.
    expect(llmKit().identify(more)).toBe('more');
    expect(await consumerToken(root, 'vectors', 'rag')).toBe(ragVectors);
    // The next start (and a reinstall from the same place) keeps the new token, not the leaked one.
    expect(await starts(root, 'rag')).toBe(now);
    // All of llm's consumers at once.
    const all = await box().services.rotateTokens('llm');
    expect(all.rotated).toEqual(['more', 'rag']);
    expect(llmKit().identify(now)).toBeUndefined();
    expect(llmKit().identify(more)).toBeUndefined();
    expect(llmKit().identify(readFileSync(copyOf('more'), 'utf8').trim())).toBe('more');
  });

  it("a running consumer's mounted copy (the file it was started with) holds the new token: rag reads it again at a 401", async () => {
    const leaked = await starts(root, 'rag');
    // The bind mount holds the inode the consumer was started with, as this descriptor does.
    const mounted = openSync(copyOf('rag'), 'r');
    try {
      await box().services.rotateTokens('llm', { consumer: 'rag' });
      const seen = readFileSync(`/proc/self/fd/${mounted}`, 'utf8').trim();
      expect(seen).not.toBe(leaked);
      expect(llmKit().identify(seen)).toBe('rag');
      const st = statSync(copyOf('rag'));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 4242, 0o440]);
    } finally {
      closeSync(mounted);
    }
  });

  it('an engine that cannot be asked: the tokens are rotated all the same, every consumer named', async () => {
    const leaked = await starts(root, 'rag');
    const away = openBox(root, { env: { CONTAINER_HOST: `unix://${sock}.none` } });
    const r = await away.services.rotateTokens('llm');
    expect(r.mustRestart).toEqual(['more', 'rag']);
    expect(llmKit().identify(leaked)).toBeUndefined();
  });

  it('--restart: the running consumers are restarted, and no longer named', async () => {
    await starts(root, 'rag');
    const restarts: string[] = [];
    const ops = { restart: async (n: string) => void restarts.push(n) } as unknown as ServiceOps;
    const ctx = makeContext(root, { env: { CONTAINER_HOST: `unix://${sock}` } });
    const r = await rotateTokens(ctx, ops, 'llm', { restart: true });
    expect(restarts).toEqual(['rag']); // more has no container
    expect(r).toEqual({ provider: 'llm', rotated: ['more', 'rag'], mustRestart: [], restarted: ['rag'] });
    expect(rotationText(r)).not.toContain('blueprint service restart');
  });

  it('--restart with an engine that cannot be asked: nothing restarted, every consumer still named', async () => {
    await starts(root, 'rag');
    const restarts: string[] = [];
    const ops = { restart: async (n: string) => void restarts.push(n) } as unknown as ServiceOps;
    const ctx = makeContext(root, { env: { CONTAINER_HOST: `unix://${sock}.none` } });
    const r = await rotateTokens(ctx, ops, 'llm', { restart: true });
    expect(restarts).toEqual([]);
    expect(r.mustRestart).toEqual(['more', 'rag']);
    expect(rotationText(r)).toContain('blueprint service restart rag');
  });

  it('is refused for a provider without tokens per consumer, a module that does not use it, and a record not root-only', async () => {
    await register(root, 'x', asConsumer, ['old']);
    await expect(box().services.rotateTokens('old')).rejects.toMatchObject({ code: 'no-client-tokens' });
    await expect(box().services.rotateTokens('llm', { consumer: 'x' })).rejects.toMatchObject({
      code: 'not-a-consumer',
    });
    await box().services.rotateTokens('llm', { consumer: 'more' });
    const record = path.join(layout(root).stateDir, 'client-token-generations');
    expect(statSync(record).mode & 0o777).toBe(0o600);
    const kept = readFileSync(record);
    rmSync(record);
    writeFileSync(record, kept, { mode: 0o644 });
    await expect(consumerToken(root, 'llm', 'more')).rejects.toMatchObject({ code: 'bad-client-key' });
  });
});
