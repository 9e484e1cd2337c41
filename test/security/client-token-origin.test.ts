/**
 * A consumer's own token (services/client-tokens.ts) is HMAC(box key, PROVIDER NUL CONSUMER). The
 * box key is made once and kept, so the token was the name's for good: a package `rag` from one
 * repository (or package file) read its token, and a `rag` installed later from elsewhere got the
 * same one. Whoever kept it (the first `rag`, or a module of the same author still installed that
 * reaches llm's socket) was then told apart from the new `rag` by nothing: the provider's kit named
 * its requests `consumer:rag`, taking rag's places in the fair queue, or whatever a provider gives
 * rag by name. Trust is scoped (data-owner.ts keeps a data folder from a package of the same name
 * from elsewhere): the token is the installed package's, its origin and signer in the HMAC too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

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

/** The package manager's record of where `rag` came from. */
function installedFrom(origin: string, signer: string) {
  const db = layout(root).installedDb;
  mkdirSync(path.dirname(db), { recursive: true });
  writeFileSync(db, JSON.stringify({ packages: { rag: { version: '1.0.0', origin, signer } } }));
}

/** rag's start (ensureContainer's wiring): the token it reads at /run/blueprint/tokens/llm. */
async function ragStarts(): Promise<string> {
  const used = await planUses(root, (await findRegistration(root, 'rag'))!);
  await writeTokenCopies(root, 'rag', used);
  await shareWiring(used, 4242);
  return readFileSync(used[0]!.tokenFile!, 'utf8').trim();
}

beforeEach(async () => {
  root = tempDir('bp-token-origin-');
  mkdirSync(layout(root).stateDir, { recursive: true });
  const llm = parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: '/run/llm', file: 'api.sock', clientTokens: true },
    data: '/var/lib/llm',
  });
  await register('llm', llm);
  await register(
    'rag',
    parseService({ image, network: 'loopback-socket', socket: { dir: '/run/rag', file: 's' } }),
    ['llm'],
  );
});

describe('attack: a token kept by a package of the same name from elsewhere', () => {
  it('rag from another repository gets a token of its own; the first one opens nothing', async () => {
    installedFrom('evil', 'a'.repeat(40));
    const kept = await ragStarts();
    // The first rag is removed; rag from the admin's repository is installed and starts.
    installedFrom('main', 'b'.repeat(40));
    const now = await ragStarts();
    expect(now).not.toBe(kept);
    const llm = new ClientTokens(path.join(serviceDirs(root, 'llm').dataDir, 'client-tokens'));
    expect(llm.identify(now)).toBe('rag');
    expect(llm.identify(kept)).toBeUndefined();
  });

  it('the same package again (a restart, a reinstall from the same place): the same token', async () => {
    installedFrom('main', 'b'.repeat(40));
    const first = await ragStarts();
    expect(await ragStarts()).toBe(first);
  });
});
