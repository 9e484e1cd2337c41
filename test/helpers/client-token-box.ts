/**
 * The client-token tests' box: a temp root with the services' state folder, and modules registered
 * in it as `bpkg install` would (a prefix under opt/, one image, no outbound network), so a provider
 * with per-consumer tokens (llm) and its consumers can be started, rotated and removed for real.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

export const image = { id: `sha256:${'a'.repeat(64)}` };

/** A fresh root (temp folder named `prefix`…) with its state folder made. */
export function tokenRoot(prefix: string): string {
  const root = tempDir(prefix);
  mkdirSync(layout(root).stateDir, { recursive: true });
  return root;
}

/** Registers module `name` 1.0.0 under `root`, using the modules `uses`. */
export async function register(
  root: string,
  name: string,
  spec: ReturnType<typeof parseService>,
  uses: string[] = [],
) {
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

/**
 * A provider on a loopback socket with a data folder, its server told where its access token is
 * (as every catalog module is); `clientTokens`: a token per consumer.
 */
export const providerSpec = (name: string, clientTokens = true) =>
  parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: `/run/${name}`, file: 'api.sock', ...(clientTokens ? { clientTokens } : {}) },
    data: `/var/lib/${name}`,
    env: { TOKEN_FILE: `/var/lib/${name}/access-token` },
  });

/** A consumer on a loopback socket in `dir`. */
export const consumerSpec = (dir = '/run/c') =>
  parseService({ image, network: 'loopback-socket', socket: { dir, file: 's' } });

/**
 * A fresh root (named `prefix`…) with llm (tokens per consumer) and rag, a consumer of llm (its
 * socket in `ragDir`).
 */
export async function llmWithRag(prefix: string, ragDir = '/run/rag'): Promise<string> {
  const root = tokenRoot(prefix);
  await register(root, 'llm', providerSpec('llm'));
  await register(root, 'rag', consumerSpec(ragDir), ['llm']);
  return root;
}

/** The package manager's record of where `name` (rag) came from. */
export function installedFrom(root: string, origin: string, signer: string, name = 'rag') {
  const db = layout(root).installedDb;
  mkdirSync(path.dirname(db), { recursive: true });
  writeFileSync(db, JSON.stringify({ packages: { [name]: { version: '1.0.0', origin, signer } } }));
}

/**
 * A consumer's start (ensureContainer's wiring, its group 4242): the token it reads for `provider`
 * (at /run/blueprint/tokens/PROVIDER in its container).
 */
export async function starts(root: string, name: string, provider = 'llm'): Promise<string> {
  const used = await planUses(root, (await findRegistration(root, name))!);
  await writeTokenCopies(root, name, used);
  await shareWiring(used, 4242);
  return readFileSync(used.find((u) => u.name === provider)!.tokenFile!, 'utf8').trim();
}

/** What the provider's kit makes of its `client-tokens` file now: who a token names. */
export const providerTokens = (root: string, provider = 'llm') =>
  new ClientTokens(path.join(serviceDirs(root, provider).dataDir, 'client-tokens'));
