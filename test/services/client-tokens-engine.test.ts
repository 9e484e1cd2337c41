/**
 * A token per consumer with the real engine (client-tokens.ts): provider p says
 * `socket.clientTokens`; consumer q, which uses p, gets its own token at /run/blueprint/tokens/p
 * (not the admin's p token); p is told where its consumers' tokens are and can read them through
 * its user namespace (the file has the data folder's owner); `bpkg remove q` takes q's line out.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UnpackedPackage } from '../../src/core/pkg/hooks.js';
import { consumerToken } from '../../src/core/services/client-tokens.js';
import { startService } from '../../src/core/services/lifecycle.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { emptyFileBox, podman, quietHook, uniqueName } from './helpers.js';

const { box } = emptyFileBox();
let consumer: UnpackedPackage;
const p = uniqueName('bpt-ctp');
const q = uniqueName('bpt-ctq');
const ADMIN = 'admin-token-0123456789abcdef';

const inside = async (name: string, ...cmd: string[]) => {
  const r = await promisify(execFile)('podman', ['exec', `blueprint-${name}`, '/hello', ...cmd]).catch(
    (e: { stdout: string }) => e,
  );
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  await box.install(p, { socket: { dir: '/run/hello', file: 'hello.sock', clientTokens: true } });
  consumer = await box.install(q, {}, { manifest: { uses: [p] } });
  const data = serviceDirs(box.root, p).dataDir;
  await mkdir(data, { recursive: true });
  await writeFile(path.join(data, 'access-token'), `${ADMIN}\n`, { mode: 0o600 });
}, 300_000);

describe('a token per consumer (real engine)', () => {
  it('the consumer reads its own token, not the admin one; the provider reads the consumers file', async () => {
    expect((await startService({ engine: box.engine, root: box.root }, q)).healthy).toBe(true);
    const own = await consumerToken(box.root, p, q);
    expect(own).not.toBe(ADMIN);
    expect(await inside(q, 'read', `/run/blueprint/tokens/${p}`)).toEqual({ read: own, ok: true });
    const env = JSON.parse(await podman('inspect', `blueprint-${p}`, '--format', '{{json .Config.Env}}'));
    expect(env).toContain('BLUEPRINT_CLIENT_TOKENS_FILE=/var/lib/hello/client-tokens');
    // Readable by the provider's own user, through its user namespace.
    expect(await inside(p, 'read', '/var/lib/hello/client-tokens')).toEqual({
      read: `${q} ${own}`,
      ok: true,
    });
  }, 180_000);

  it('a rotation reaches the running consumer through its mount, no restart; the provider reads the new line', async () => {
    const before = await consumerToken(box.root, p, q);
    const { rotateConsumerTokens } = await import('../../src/core/services/token-rotation.js');
    expect(await rotateConsumerTokens(box.root, p, q)).toEqual({ provider: p, rotated: [q] });
    const now = await consumerToken(box.root, p, q);
    expect(now).not.toBe(before);
    expect(await inside(q, 'read', `/run/blueprint/tokens/${p}`)).toEqual({ read: now, ok: true });
    expect(await inside(p, 'read', '/var/lib/hello/client-tokens')).toEqual({
      read: `${q} ${now}`,
      ok: true,
    });
  }, 120_000);

  it("bpkg remove of the consumer takes its line out of the provider's file", async () => {
    await box.hooks.afterRemove!(consumer, quietHook());
    const file = path.join(serviceDirs(box.root, p).dataDir, 'client-tokens');
    await expect(readFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);
});
