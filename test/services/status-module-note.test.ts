/**
 * `blueprint status`'s services line says what each running module says of itself (llm's loaded
 * models, a module's model), read over its socket within 1 s: a module that does not answer in
 * that time is said so (status never waits on it), a model's name (a package's text) is escaped.
 * A server on the module's socket stands in for the module, as in module-info.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ServiceStatus } from '../../src/app/index.js';
import { readModuleInfoOutcome } from '../../src/core/services/module-info.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import type { LoadedRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { servicesLine } from '../../src/present/host.js';
import { tempDir } from '../setup/temp-registry.js';

const root = tempDir('bp-status-note-');
let n = 0;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A registered module whose socket answers with `handle`. */
async function moduleAnswering(handle: (res: ServerResponse) => void): Promise<LoadedRegistration> {
  const name = `note${++n}`;
  const reg: LoadedRegistration = {
    name,
    version: '1.0.0',
    prefix: path.join(root, 'opt/blueprint', name, '1.0.0'),
    spec: parseService({
      image: { id: `sha256:${'c'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/m', file: 'api.sock' },
    }),
    approvals: { outboundNetwork: false },
    imageId: `sha256:${'c'.repeat(64)}`,
  };
  const dir = serviceDirs(root, name).socketDir;
  mkdirSync(dir, { recursive: true });
  const server = createServer((_req, res) => handle(res));
  await new Promise<void>((r) => server.listen(path.join(dir, 'api.sock'), r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return reg;
}

/** Its row as `service list` reads it: running, with what its /info gave. */
async function row(reg: LoadedRegistration, timeoutMs?: number): Promise<ServiceStatus> {
  const { info, unanswered } = await readModuleInfoOutcome(root, reg, timeoutMs ? { timeoutMs } : {});
  return {
    name: reg.name,
    state: 'running',
    info,
    ...(unanswered ? { infoUnanswered: true as const } : {}),
    usedBy: [],
  } as unknown as ServiceStatus;
}

const json = (body: unknown) => (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

it("names llm's loaded models and a module's model; nothing for a module without /info", async () => {
  const llm = await moduleAnswering(
    json({
      model: 'q8',
      models: [
        { id: 'q8', loaded: true },
        { id: 'tiny', loaded: true, expiresAt: '2026-06-01T10:05:00.000Z' },
        { id: 'big', loaded: false },
      ],
    }),
  );
  const embeddings = await moduleAnswering(json({ model: 'all-minilm', dimension: 384 }));
  const plain = await moduleAnswering((res) => {
    res.writeHead(404);
    res.end();
  });
  const rows = [await row(llm), await row(embeddings), await row(plain)];
  expect(servicesLine(rows)).toBe(
    `${llm.name} running (loaded q8, tiny until 10:05 UTC), ${embeddings.name} running (model all-minilm), ${plain.name} running`,
  );
});

it('a module that does not answer within the deadline is said so, not waited for', async () => {
  const stuck = await moduleAnswering((res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"model":'); // and nothing more
  });
  const r = await row(stuck, 300);
  expect(r.infoUnanswered).toBe(true);
  expect(servicesLine([r])).toBe(`${stuck.name} running (did not answer within 1 s)`);
  // One that refuses (no socket listening) is no answer either, but not a slow one: nothing said.
  for (const c of closers.splice(0)) c();
  const gone = await row(stuck);
  expect(gone.infoUnanswered).toBeUndefined();
  expect(servicesLine([gone])).toBe(`${stuck.name} running`);
});

it("a model's name from a package reaches the terminal escaped", async () => {
  const hostile = await moduleAnswering(
    json({ models: [{ id: 'evil\u001b]0;pwned\u0007\u001b[2J\nname', loaded: true }] }),
  );
  const line = servicesLine([await row(hostile)]);
  expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
  expect(line).toContain('loaded evil');
});
