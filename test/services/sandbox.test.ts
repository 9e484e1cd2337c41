import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { execInService, inspectService } from '../../src/core/services/inspect.js';
import { httpOverSocket, startService } from '../../src/core/services/lifecycle.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { emptyFileBox, uniqueName } from './helpers.js';

// The sandbox proven from inside a real Podman container: the hello module's probe reports what
// its process may do, and the kernel's view of its pid 1 must agree.
const { box } = emptyFileBox();
const name = uniqueName('bpt-sandbox');
const deps = () => ({ engine: box.engine, root: box.root });
const probe = async (...args: string[]) => {
  const r = await execInService(box.engine, name, ['/hello', 'probe', ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string | number>;
};

beforeAll(async () => {
  await box.install(name);
  const r = await startService(deps(), name);
  expect(r.healthy).toBe(true);
});

describe('the hello module in the sandbox', () => {
  it('answers over its unix socket on the host, with no TCP port', async () => {
    const sock = `${serviceDirs(box.root, name).socketDir}/hello.sock`;
    const r = await httpOverSocket(sock, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('hello');
  });

  it('has no capabilities, no-new-privileges and a seccomp filter', async () => {
    const p = await probe();
    expect(p.CapEff).toBe('0000000000000000');
    expect(p.CapBnd).toBe('0000000000000000');
    expect(p.NoNewPrivs).toBe('1');
    expect(p.Seccomp).toBe('2');
  });

  it('cannot write its root filesystem', async () => {
    expect((await probe()).writeRoot).toBe('Read-only file system');
  });

  it('cannot create a user namespace (stricter seccomp profile)', async () => {
    expect((await probe()).unshareUser).toBe('Operation not permitted');
  });

  it('runs in a user namespace that does not map root to host root', async () => {
    const map = String((await probe()).uidMap)
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(map[0]).toBe(0);
    expect(map[1]).toBeGreaterThan(65535);
    expect(map[2]).toBe(65536);
  });

  it('has only a loopback interface and cannot reach a host loopback TCP port', async () => {
    const server = net.createServer((s) => s.end('x'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // Control: the port is open on the host.
      await new Promise<void>((resolve, reject) =>
        net.connect(port, '127.0.0.1', resolve).on('error', reject).unref(),
      );
      const p = await probe('127.0.0.1', String(port));
      expect(p.connect).not.toBe('ok');
      const ifaces = String(p.netDev)
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
      expect(ifaces).toEqual(['lo']);
    } finally {
      server.close();
    }
  });

  it('is killed when it exceeds its memory limit (64m)', async () => {
    const r = await execInService(box.engine, name, ['/hello', 'hog', '256']);
    expect(r.exitCode).toBe(137);
    expect(r.stdout).not.toContain('allocated 256 MiB');
  });

  it('cannot fork past its pids limit (32)', async () => {
    const r = await execInService(box.engine, name, ['/hello', 'forks', '200']);
    const out = JSON.parse(r.stdout) as { started: number; error: string };
    expect(out.started).toBeLessThan(32);
    expect(out.error).toBe('Resource temporarily unavailable');
    expect(r.exitCode).toBe(1);
  });

  it('inspect reports the policy asked for and the same facts from the kernel', async () => {
    const i = await inspectService(deps(), name);
    expect(i.state).toBe('running');
    expect(i.policy.network).toBe('loopback-socket');
    expect(i.policy.memoryBytes).toBe(64 * 1024 * 1024);
    const p = i.process!;
    expect(p.capEff).toBe('0000000000000000');
    expect(p.noNewPrivs).toBe(1);
    expect(p.seccomp).toBe(2);
    expect(p.rootReadOnly).toBe(true);
    expect(p.mapsHostRoot).toBe(false);
    expect(p.interfaces).toEqual(['lo']);
    expect(p.cgroup.memoryBytes).toBe(64 * 1024 * 1024);
    expect(p.cgroup.pids).toBe(32);
    expect(p.cgroup.cpus).toBe(0.5);
    expect(i.probe?.writeRoot).toBe('Read-only file system');
  });
});
