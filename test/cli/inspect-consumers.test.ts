/**
 * `blueprint service inspect PROVIDER` says what the provider does for the modules that use it:
 * whether each consumer gets a token of its own (manifest `socket.clientTokens`) and whether it
 * deletes a consumer's data when the admin purges that consumer (`socket.consumerPurge`: `bpkg
 * remove --purge CONSUMER`). Before, neither was shown, as words or in --json: an admin could not
 * tell from the box whether removing rag with --purge would reach its chunks in vectors.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { runCliHere } from '../helpers/cli-here.js';
import { image, providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';

// Names of their own: the engine's container names are shared between boxes.
const tag = randomBytes(3).toString('hex');
const PURGES = `bpt-purges-${tag}`;
const TOKENS = `bpt-tokens-${tag}`;
const SHARED = `bpt-shared-${tag}`;

async function box(): Promise<string> {
  const root = tokenRoot('bp-inspect-consumers-');
  await register(
    root,
    PURGES,
    parseService({
      image,
      network: 'loopback-socket',
      socket: { dir: '/run/p', file: 'api.sock', clientTokens: true, consumerPurge: true },
      data: '/var/lib/p',
    }),
  );
  await register(root, TOKENS, providerSpec(TOKENS));
  await register(root, SHARED, providerSpec(SHARED, false));
  return root;
}

const inspect = async (root: string, name: string, json = false) => {
  const r = await runCliHere(['--root', root, ...(json ? ['--json'] : []), 'service', 'inspect', name]);
  expect(r.code, r.err).toBe(0);
  return r.out;
};

describe('service inspect: what a provider does for its consumers', () => {
  it('a provider that takes consumer tokens and purges a consumer’s data on request', async () => {
    const root = await box();
    const text = await inspect(root, PURGES);
    expect(text).toContain('consumers        each its own token (socket.clientTokens)');
    expect(text).toContain(
      `deletes a consumer's data when the admin purges it (\`bpkg --root ${root} remove --purge CONSUMER\`; socket.consumerPurge)`,
    );
    expect(JSON.parse(await inspect(root, PURGES, true)).consumers).toEqual({
      ownTokens: true,
      purgeOnRequest: true,
    });
  });

  it('one that takes consumer tokens only', async () => {
    const root = await box();
    const text = await inspect(root, TOKENS);
    expect(text).toMatch(/consumers +each its own token \(socket\.clientTokens\); takes no purges/);
    expect(text).not.toContain('socket.consumerPurge');
    expect(JSON.parse(await inspect(root, TOKENS, true)).consumers).toEqual({
      ownTokens: true,
      purgeOnRequest: false,
    });
  });

  it('one whose consumers share the admin’s token', async () => {
    const root = await box();
    const text = await inspect(root, SHARED);
    expect(text).toContain(
      `consumers        no token of their own: the admin's, if one is set (\`blueprint --root ${root} service token ${SHARED}\`)`,
    );
    expect(JSON.parse(await inspect(root, SHARED, true)).consumers).toEqual({
      ownTokens: false,
      purgeOnRequest: false,
    });
  });
});
