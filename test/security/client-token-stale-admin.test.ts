/**
 * A provider that took a token per consumer later (embeddings, llm and vectors in December 2026):
 * its consumers had been given a copy of the admin's token (ROOT/run/blueprint/wiring/CONSUMER/
 * PROVIDER.token, mounted at /run/blueprint/tokens/PROVIDER). At the consumer's next start that
 * copy must hold its own token, never the admin's any more, whether its container is made afresh
 * or kept (the spec unchanged: ensureContainer then writes no fresh folder, only shareWiring's copies).
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { consumerToken, writeClientTokens } from '../../src/core/services/client-tokens.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { deleteRegistration, findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const image = { id: `sha256:${'a'.repeat(64)}` };
let root: string;

async function register(
  name: string,
  version: string,
  spec: ReturnType<typeof parseService>,
  uses: string[] = [],
) {
  mkdirSync(path.join(root, 'opt', `${name}-${version}`), { recursive: true });
  await writeRegistration(root, {
    name,
    version,
    prefix: path.join(root, 'opt', `${name}-${version}`),
    spec,
    approvals: { outboundNetwork: false },
    imageId: image.id,
    uses,
  });
}
const llmSpec = (clientTokens: boolean) =>
  parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: '/run/llm', file: 'api.sock', ...(clientTokens ? { clientTokens } : {}) },
    data: '/var/lib/llm',
  });

/** rag's start as ensureContainer does it: `fresh` when its container is made again. */
async function ragStarts(fresh: boolean): Promise<string> {
  const used = await planUses(root, (await findRegistration(root, 'rag'))!);
  if (fresh) await writeTokenCopies(root, 'rag', used);
  await shareWiring(used, 4242);
  return readFileSync(used[0]!.tokenFile!, 'utf8').trim();
}

beforeEach(async () => {
  root = tempDir('bp-token-stale-');
  mkdirSync(layout(root).stateDir, { recursive: true });
  await register('llm', '1.0.0', llmSpec(false));
  await register(
    'rag',
    '1.0.0',
    parseService({ image, network: 'loopback-socket', socket: { dir: '/run/rag', file: 's' } }),
    ['llm'],
  );
  mkdirSync(serviceDirs(root, 'llm').dataDir, { recursive: true });
  writeFileSync(path.join(serviceDirs(root, 'llm').dataDir, 'access-token'), `${ADMIN}\n`);
});

describe("attack: a consumer's copy of the admin's token, from before its provider took one per consumer", () => {
  for (const fresh of [false, true])
    it(`is replaced by its own token at its next start (container ${fresh ? 'made again' : 'kept'})`, async () => {
      expect(await ragStarts(true)).toBe(ADMIN); // llm 1.0.0 knew one token: rag got the admin's
      // llm upgraded to a version that takes a token per consumer.
      await register('llm', '2.0.0', llmSpec(true));
      await deleteRegistration(root, 'llm', '1.0.0');
      const now = await ragStarts(fresh);
      expect(now).not.toBe(ADMIN);
      expect(now).toBe(await consumerToken(root, 'llm', 'rag'));
      const file = new ClientTokens(path.join(serviceDirs(root, 'llm').dataDir, 'client-tokens'));
      expect(file.identify(now)).toBe('rag');
    });

  it("a consumer that runs on: at the provider's start its mounted copy holds its own token, taken at the 401 a new admin token brings", async () => {
    const used = await planUses(root, (await findRegistration(root, 'rag'))!);
    await writeTokenCopies(root, 'rag', used);
    await shareWiring(used, 4242);
    // rag runs with this file bind-mounted (the inode it was started with, as this descriptor holds it).
    const mounted = openSync(used[0]!.tokenFile!, 'r');
    try {
      expect(readFileSync(`/proc/self/fd/${mounted}`, 'utf8').trim()).toBe(ADMIN);
      await register('llm', '2.0.0', llmSpec(true));
      await deleteRegistration(root, 'llm', '1.0.0');
      await writeClientTokens(root, 'llm'); // llm 2.0.0 starts (ensureContainer); rag is not restarted
      const seen = readFileSync(`/proc/self/fd/${mounted}`, 'utf8').trim();
      expect(seen).toBe(await consumerToken(root, 'llm', 'rag'));
      const st = statSync(used[0]!.tokenFile!);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 4242, 0o440]);
    } finally {
      closeSync(mounted);
    }
  });
});
