/**
 * A wedged engine: a socket that takes the connection and never answers (a stuck `podman system
 * service`). `--json status`, `service list`, `service status NAME` and `doctor` waited on it for
 * good, and a SIGTERM did not end them: the command had taken its signal, so the first SIGTERM only
 * aborted it, and nothing waiting on the engine listened (a process outlived `timeout 60` by 11
 * minutes; QA3 item 0). Now a quick call (a read) has a deadline, after which it fails as the engine
 * down does (exit 6) saying so, and any wait on the engine ends on the signal (143 for SIGTERM). The
 * real executable, as a script or systemd runs it; the deadline shortened by its knob in (a).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let sock: string;
const held: Socket[] = [];
let connections = 0;

beforeAll(async () => {
  sock = path.join(tempDir('bp-wedged-'), 'podman.sock');
  // Takes every connection and answers nothing.
  server = createServer((c) => {
    connections++;
    held.push(c);
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(() => {
  for (const c of held) c.destroy();
  server.close();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

function run(args: string[], env: Record<string, string> = {}, termAfterMs?: number): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(blueprintExe, args, {
    env: { PATH: '/usr/bin:/bin', CONTAINER_HOST: `unix://${sock}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const term = termAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), termAfterMs);
  // Never left behind: a run that outlives the test's bound is killed, and the test then fails on it.
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, signal, out, err, ms: Date.now() - t0 });
    }),
  );
}

function boxWithService(): string {
  const root = tempDir('bp-wedged-box-');
  installedRag(root);
  return root;
}

describe('an engine that takes the connection and never answers', () => {
  it('service status fails as the engine down does (6) once the deadline passes, saying so', async () => {
    const before = connections;
    const r = await run(['--root', boxWithService(), '--json', 'service', 'status', 'rag'], {
      BLUEPRINT_ENGINE_TIMEOUT_MS: '2000',
    });
    expect(r.code, r.err).toBe(6);
    expect(connections).toBeGreaterThan(before); // it did ask the wedged engine
    expect(r.ms).toBeLessThan(12_000);
    const { error } = JSON.parse(r.out);
    expect(error.code).toBe('engine-down');
    expect(error.message).toContain('did not answer within 2 s');
    expect(error.message).toContain(sock);
    expect(error.hint).toContain('CONTAINER_HOST');
  });

  it('--json status reports it as it reports the engine down: the rest of the box, the services why, exit 6', async () => {
    const r = await run(['--root', boxWithService(), '--json', 'status'], {
      BLUEPRINT_ENGINE_TIMEOUT_MS: '2000',
    });
    // 6 as for the engine down (test/cli/status-engine-down): the document is still the status.
    expect(r.code, r.err).toBe(6);
    expect(r.ms).toBeLessThan(12_000);
    const doc = JSON.parse(r.out);
    expect(doc.services.error).toContain('did not answer within 2 s');
    expect(doc.host.hostname).toBeTruthy();
  });

  it('doctor says the engine did not answer (6) once the deadline passes', async () => {
    const r = await run(['--root', tempDir('bp-wedged-doc-'), '--json', 'doctor'], {
      BLUEPRINT_ENGINE_TIMEOUT_MS: '2000',
    });
    expect(r.code, r.err).toBe(6);
    expect(r.ms).toBeLessThan(12_000);
    const answers = JSON.parse(r.out).checks.find((c: { name: string }) => c.name === 'engine answers');
    expect(answers.ok).toBe(false);
    expect(answers.detail).toContain('did not answer within 2 s');
  });

  // The default deadline (30 s) is far off: only the signal can end these in time.
  for (const args of [['service', 'status', 'rag'], ['service', 'list'], ['--json', 'status'], ['doctor']]) {
    it(`SIGTERM 1 s into \`${args.join(' ')}\` ends it with 143 at once`, async () => {
      const r = await run(['--root', boxWithService(), ...args], {}, 1000);
      expect(r.signal, r.err).toBe(null);
      expect(r.code, r.err).toBe(143);
      expect(r.err).toContain('Interrupted by SIGTERM');
      expect(r.ms).toBeLessThan(4000);
    });
  }
});
