/**
 * A provider opts in to deleting a purged consumer's data with `socket.consumerPurge` (docs/
 * module-wiring.md, "A consumer's data, purged"): it needs `clientTokens` (a consumer's data is known
 * by its own token), and its server is told where blueprint leaves the records (BLUEPRINT_PURGE_DIR,
 * its data folder). Before, the field was refused as unknown.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_GPU, sandboxPolicy } from '../../src/core/services/policy.js';
import { parseService } from '../../src/core/services/schema.js';
import { image } from '../helpers/client-token-box.js';

const spec = (socket: Record<string, unknown>) =>
  parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: '/run/vec', file: 'api.sock', ...socket },
    data: '/var/lib/vec',
  });
const env = (s: ReturnType<typeof spec>) =>
  sandboxPolicy({
    root: '/nonexistent-root',
    name: 'vec',
    version: '1.0.0',
    prefix: path.join('/nonexistent-root', 'opt/vec'),
    service: s,
    approvals: { outboundNetwork: false },
    gpu: NO_GPU,
    seccompProfile: '/x/seccomp.json',
  }).spec.env as Record<string, string>;

describe('socket.consumerPurge', () => {
  it('is taken with clientTokens, and the server is told where the records are', () => {
    const s = spec({ clientTokens: true, consumerPurge: true });
    expect(s.socket?.consumerPurge).toBe(true);
    expect(env(s)).toMatchObject({ BLUEPRINT_PURGE_DIR: '/var/lib/vec' });
    expect(env(spec({ clientTokens: true }))).not.toHaveProperty('BLUEPRINT_PURGE_DIR');
  });

  it('is refused without clientTokens, or when not a boolean', () => {
    expect(() => spec({ consumerPurge: true })).toThrow(/consumerPurge.*needs "clientTokens"/);
    expect(() => spec({ clientTokens: true, consumerPurge: 'yes' })).toThrow(/consumerPurge/);
  });
});
