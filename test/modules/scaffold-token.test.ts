import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path, { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldModule } from '../../src/core/modules/index.js';
import { call } from '../embeddings/helpers.js';
import { tempDir } from '../helpers/pkg.js';
import { bundleScaffoldServer } from '../helpers/scaffold-bundle.js';

// `blueprint service token NAME` writes the admin's token to `access-token` in the module's data
// folder (ROOT/var/lib/blueprint/modules/NAME, mounted at the manifest's service.data) and says it
// applies at the next start. A scaffolded module must honour it as the catalog modules do: before,
// its manifest had no data folder and its server read no token, so after `service token` and a
// restart its API still answered anyone on the box (QA9's walk).
const work = tempDir('bp-mod-token-');
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

/** The scaffold's server, bundled as build.sh does, run with its manifest's environment and data folder. */
async function serve(name: string, token?: string) {
  const made = await scaffoldModule(name, join(work, name));
  const service = JSON.parse(readFileSync(join(made.dir, 'manifest.json'), 'utf8')).service as {
    data?: string;
    env?: Record<string, string>;
  };
  // The host side of the data folder, where `service token` writes; the sandbox mounts it at data.
  const dataHost = join(work, `${name}-data`);
  mkdirSync(dataHost);
  if (token) writeFileSync(join(dataHost, 'access-token'), `${token}\n`);
  const inSandbox = (p: string) =>
    service.data && (p === service.data || p.startsWith(`${service.data}/`))
      ? path.join(dataHost, path.relative(service.data, p))
      : p;
  const env = Object.fromEntries(Object.entries(service.env ?? {}).map(([k, v]) => [k, inSandbox(v)]));
  const bundle = join(work, `${name}.mjs`);
  await bundleScaffoldServer(made.dir, bundle);
  const socket = join(work, `${name}.sock`);
  const out = { socket, log: '', exited: undefined as unknown as Promise<number | null> };
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH, ...env, BLUEPRINT_SOCKET: socket },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  child.stderr!.on('data', (c) => {
    out.log += c;
  });
  out.exited = new Promise<number | null>((r) => child.once('exit', r));
  for (let i = 0; !/listening on/.test(out.log); i++) {
    if (i > 200 || child.exitCode !== null) throw new Error(`did not start: ${out.log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...out, stop: () => child.kill('SIGTERM') };
}

describe('blueprint module new: the admin access token', () => {
  it('refuses requests without the token `service token` wrote; /health stays open', async () => {
    const token = 'qa9-admin-token-0123456789abcdef';
    const s = await serve('tok-demo', token);
    try {
      expect((await call(s.socket, 'GET', '/')).status, 'no token').toBe(401);
      const wrong = await call(s.socket, 'GET', '/', undefined, {
        authorization: 'Bearer wrong-0123456789abcdef',
      });
      expect(wrong.status).toBe(401);
      const ok = await call(s.socket, 'GET', '/', undefined, { authorization: `Bearer ${token}` });
      expect(ok).toMatchObject({ status: 200, body: { hello: 'from tok-demo' } });
      expect((await call(s.socket, 'GET', '/health')).status).toBe(200);
      expect(s.log).not.toContain(token);
    } finally {
      s.stop();
    }
    expect(await s.exited).toBe(0);
  });

  it('with no token set, serves anyone and says so in its log', async () => {
    const s = await serve('tok-none');
    try {
      expect((await call(s.socket, 'GET', '/')).status).toBe(200);
      expect(s.log).toMatch(/no access token at \S*tok-none-data\/access-token: any local client/);
    } finally {
      s.stop();
    }
    expect(await s.exited).toBe(0);
  });
});
