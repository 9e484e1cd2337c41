/**
 * A consumer's start racing a rotation of its token: the start wrote the provider's file, computed
 * the consumer's token, and wrote its copy later, outside the tokens' lock. A rotation in between
 * changed the file and the copy, then the start's copy write put the old token back: the consumer
 * sent a token its provider refuses (401, again after reading its file) until its next restart.
 * Forced: the start's write of the copy is held (a wrapper around safe-write.ts's writeFileAt)
 * while the rotation runs.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { consumerToken } from '../../src/core/services/client-tokens.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { rotateConsumerTokens } from '../../src/core/services/token-rotation.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

/** The next write of a token copy with a token in it waits for `held` (after `reached`). */
const gate: { held?: Promise<void>; reached?: () => void } = {};
vi.mock('../../src/core/system/safe-write.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/core/system/safe-write.js')>();
  return {
    ...orig,
    writeFileAt: async (...args: Parameters<typeof orig.writeFileAt>) => {
      const held = gate.held;
      if (held && args[1].endsWith('.token') && String(args[2]).length > 0) {
        gate.held = undefined;
        gate.reached?.();
        await held;
      }
      return orig.writeFileAt(...args);
    },
  };
});

const image = { id: `sha256:${'a'.repeat(64)}` };
let root: string;
async function register(name: string, spec: ReturnType<typeof parseService>, uses: string[] = []) {
  mkdirSync(path.join(root, 'opt', name), { recursive: true });
  await writeRegistration(root, {
    name,
    version: '1.0.0',
    prefix: path.join(root, 'opt', name),
    spec,
    approvals: { outboundNetwork: false },
    imageId: image.id,
    uses,
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  root = tempDir('bp-token-rotate-race-');
  mkdirSync(layout(root).stateDir, { recursive: true });
  await register(
    'llm',
    parseService({
      image,
      network: 'loopback-socket',
      socket: { dir: '/run/llm', file: 'api.sock', clientTokens: true },
      data: '/var/lib/llm',
    }),
  );
  await register(
    'rag',
    parseService({ image, network: 'loopback-socket', socket: { dir: '/run/rag', file: 's' } }),
    ['llm'],
  );
});

describe("attack: a consumer's start racing a rotation of its token", () => {
  it('leaves the copy holding the token the provider takes', async () => {
    const used = await planUses(root, (await findRegistration(root, 'rag'))!);
    await writeTokenCopies(root, 'rag', used);
    let release!: () => void;
    gate.held = new Promise<void>((r) => {
      release = r;
    });
    const reached = new Promise<void>((r) => {
      gate.reached = r;
    });
    const starting = shareWiring(used, 4242);
    await reached; // the start has its token for rag and is about to write the copy
    const rotating = rotateConsumerTokens(root, 'llm', 'rag');
    await Promise.race([rotating, sleep(500)]);
    release();
    await Promise.all([starting, rotating]);
    const copy = readFileSync(used[0]!.tokenFile!, 'utf8').trim();
    expect(copy).toBe(await consumerToken(root, 'llm', 'rag'));
    expect(
      new ClientTokens(path.join(serviceDirs(root, 'llm').dataDir, 'client-tokens')).identify(copy),
    ).toBe('rag');
  });
});
