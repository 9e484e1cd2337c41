/**
 * `blueprint status` when the services cannot be read from the container engine (none at the
 * socket, or one that takes the connection and never answers): it printed the whole box, services
 * 'unknown (why)', and exited 0, so a script or Ansible's `failed_when: rc != 0` (docs/fleet.md's ad
 * hoc `blueprint --json status`) could not see the engine was down. Now it still prints the whole
 * status (text and --json) and exits 6 (engine unavailable), as `service list` would and as `docker
 * info` exits non-zero with the daemon down; the error is also said on stderr, with its hint. A box
 * with no services does not need the engine: 0 as before. The real executable.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let wedged: string;
const held: Socket[] = [];

beforeAll(async () => {
  wedged = path.join(tempDir('bp-status-wedged-'), 'podman.sock');
  server = createServer((c) => {
    held.push(c);
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(wedged, r));
});
afterAll(() => {
  for (const c of held) c.destroy();
  server.close();
});

function run(args: string[], socket: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(blueprintExe, args, {
    env: { PATH: '/usr/bin:/bin', CONTAINER_HOST: `unix://${socket}`, BLUEPRINT_ENGINE_TIMEOUT_MS: '1500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err });
    }),
  );
}

function boxWithService(): string {
  const root = tempDir('bp-status-down-');
  installedRag(root);
  return root;
}

const absent = () => path.join(tempDir('bp-status-absent-'), 'podman.sock');

describe('status when the engine cannot be asked', () => {
  it('--json, no engine at the socket: the whole status on stdout, exit 6, the error on stderr', async () => {
    const socket = absent();
    const r = await run(['--root', boxWithService(), '--json', 'status'], socket);
    expect(r.code, r.err).toBe(6);
    const doc = JSON.parse(r.out);
    expect(doc.host.hostname).toBeTruthy();
    expect(doc.services).toMatchObject({
      code: 'engine-down',
      error: `The container engine is not running (no API at ${socket})`,
    });
    expect(doc.services.hint).toContain('CONTAINER_HOST');
    expect(r.err).toMatch(/^error: The container engine is not running/m);
    expect(r.err).toMatch(/^hint: .*CONTAINER_HOST/m);
  });

  it('text, an engine that never answers: the status text whole, exit 6', async () => {
    const r = await run(['--root', boxWithService(), 'status'], wedged);
    expect(r.code, r.err).toBe(6);
    expect(r.out).toContain('services: unknown (The container engine did not answer within 1500 ms');
    expect(r.out).toMatch(/^ {2}packages: /m); // the rest of the box is there
    expect(r.err).toContain('error: The container engine did not answer within 1500 ms');
  });

  it('--json, an engine that never answers: exit 6 with the document', async () => {
    const r = await run(['--root', boxWithService(), '--json', 'status'], wedged);
    expect(r.code, r.err).toBe(6);
    expect(JSON.parse(r.out).services).toMatchObject({ code: 'engine-down' });
  });

  it('a box with no services does not need the engine: 0', async () => {
    const r = await run(['--root', tempDir('bp-status-none-'), '--json', 'status'], absent());
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).services).toEqual([]);
    expect(r.err).toBe('');
  });

  it('status --help says so', async () => {
    const r = await run(['status', '--help'], absent());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/6 +the container engine could not be asked/);
  });
});
