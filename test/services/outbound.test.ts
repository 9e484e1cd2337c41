import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { startService, stopService } from '../../src/core/services/lifecycle.js';
import {
  initWithOutbound,
  moduleFlows,
  outboundRuleset,
  parseOutbound,
  type RefusedAddress,
  resolveOutbound,
} from '../../src/core/services/outbound.js';
import { outboundModules } from '../../src/core/services/outbound-audit.js';
import { parseService } from '../../src/core/services/schema.js';
import { auditOutbound } from '../../src/core/system/egress-audit.js';
import {
  buildHello,
  type HelloBuild,
  makeBox,
  podman,
  quietHook,
  type TestBox,
  uniqueName,
} from './helpers.js';

describe('a module declares the hosts it reaches', () => {
  it('takes host:port entries with network "outbound" only', () => {
    const s = parseService({
      image: { archive: 'i.tar', id: `sha256:${'a'.repeat(64)}` },
      network: 'outbound',
      outbound: ['api.example.org:443', '192.0.2.1:80', '[2001:db8::1]:8443'],
    });
    expect(s.outbound.map(parseOutbound)).toEqual([
      { host: 'api.example.org', port: 443 },
      { host: '192.0.2.1', port: 80 },
      { host: '2001:db8::1', port: 8443 },
    ]);
    expect(() =>
      parseService({
        image: { archive: 'i.tar', id: `sha256:${'a'.repeat(64)}` },
        outbound: ['api.example.org:443'],
      }),
    ).toThrow(/needs network "outbound"/);
    for (const bad of ['api.example.org', 'http://x:80', 'x:0', 'x:70000', '*:443'])
      expect(() =>
        parseService({
          image: { archive: 'i.tar', id: `sha256:${'a'.repeat(64)}` },
          network: 'outbound',
          outbound: [bad],
        }),
      ).toThrow(/outbound/);
  });

  it('names are resolved when the container starts; one that does not resolve allows nothing', async () => {
    const r = await resolveOutbound(['a.example:443', 'gone.example:80', '192.0.2.9:25'], async (h) => {
      if (h === 'a.example') return ['192.0.2.1', '2001:db8::1'];
      throw new Error('ENOTFOUND');
    });
    expect(r.unresolved).toEqual(['gone.example:80']);
    const rules = outboundRuleset(r.targets);
    expect(rules).toContain('ip daddr 192.0.2.1 tcp dport 443');
    expect(rules).toContain('ip6 daddr 2001:db8::1 tcp dport 443');
    expect(rules).toContain('ip daddr 192.0.2.9 tcp dport 25');
    expect(rules).not.toContain('dport 80 ');
    expect(rules).toContain('policy drop');
  });
});

/**
 * From inside a real container (the hello module's image, no capabilities, read-only root) on
 * Podman's bridge: servers of this test on the bridge's host address, one port declared, one not.
 */
const hasPodman = (() => {
  try {
    execFileSync('podman', ['--version']);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();
describe.skipIf(!hasPodman)('the container reaches its declared hosts and nothing else (real engine)', () => {
  let build: HelloBuild;
  const names: string[] = [];
  const servers: Server[] = [];
  let gateway: string;
  let allowedPort: number;
  let otherPort: number;
  let pid: number;
  let refused: RefusedAddress[];

  const create = async (name: string) => {
    names.push(name);
    await podman(
      'create',
      '--name',
      name,
      '--network',
      'podman',
      '--cap-drop',
      'all',
      '--security-opt',
      'no-new-privileges',
      '--read-only',
      '--tmpfs',
      '/run/hello',
      build.id,
      'serve',
    );
  };
  const listen = (port = 0) =>
    new Promise<number>((resolve) => {
      const s = createServer((c) => c.on('error', () => undefined).end('hi')).listen(port, gateway, () =>
        resolve((s.address() as { port: number }).port),
      );
      servers.push(s);
    });
  /** The hello binary's probe connects from inside the container and says how it went. */
  const probe = async (name: string, addr: string, port: number) =>
    JSON.parse(await podman('exec', name, '/hello', 'probe', addr, String(port))).connect as string;

  beforeAll(async () => {
    build = await buildHello();
    await podman('load', '-i', build.archive);
    const net = JSON.parse(await podman('network', 'inspect', 'podman'))[0];
    gateway = net.subnets[0].gateway;
    const name = uniqueName('bpt-outbound');
    await create(name);
    const engine = openEngine(chooseSocket(process.env).path);
    // The bridge's host address exists once a container is on it: the rules name the port now,
    // the servers listen once init has brought the bridge up.
    allowedPort = 20000 + Math.floor(Math.random() * 20000);
    otherPort = allowedPort + 1;
    // The bridge's gateway is the host on a private address: approved as an address it is
    // reached; a name that resolves to it (lan.outbound.test, for the other port) opens nothing.
    ({ pid, refused } = await initWithOutbound(
      engine,
      name,
      [`${gateway}:${allowedPort}`, `gw.outbound.test:${allowedPort}`, `lan.outbound.test:${otherPort}`],
      {
        resolve: async (h) =>
          h === 'gw.outbound.test' ? ['192.0.2.77'] : h === 'lan.outbound.test' ? [gateway] : [],
        warn: () => undefined,
      },
    ));
    await listen(allowedPort);
    await listen(otherPort);
    await podman('start', name);
  }, 120_000);
  afterAll(async () => {
    for (const n of names) await podman('rm', '-f', '-t', '0', n).catch(() => undefined);
    for (const s of servers) s.close();
  });

  it('the declared host and port answer; another port of the same host and another address are refused', async () => {
    const c = names[0]!;
    expect(await probe(c, gateway, allowedPort)).toBe('ok');
    expect(await probe(c, gateway, otherPort)).toBe('Connection refused');
    expect(await probe(c, '192.0.2.1', 80)).toBe('Connection refused');
    const flows = await moduleFlows(pid);
    expect(flows).toContainEqual(
      expect.objectContaining({ verdict: 'allowed', address: gateway, port: allowedPort }),
    );
    expect(flows).toContainEqual(
      expect.objectContaining({ verdict: 'refused', address: gateway, port: otherPort }),
    );
    expect(flows).toContainEqual(
      expect.objectContaining({ verdict: 'refused', address: '192.0.2.1', port: 80 }),
    );
  }, 60_000);

  it('a declared name resolves inside to the address the host resolved, a private one not at all', async () => {
    // The container's own view of the file (its mount namespace), read through its first process.
    const hosts = await readFile(`/proc/${pid}/root/etc/hosts`, 'utf8');
    expect(hosts).toContain('192.0.2.77\tgw.outbound.test');
    // The name approved for the other port resolved to the host's private address: no line, no rule.
    expect(hosts).not.toContain('lan.outbound.test');
    expect(refused).toEqual([
      expect.objectContaining({ host: 'lan.outbound.test', port: otherPort, address: gateway }),
    ]);
  });

  it('control: the same container without the rules reaches the other port (the refusal was the rules)', async () => {
    const control = uniqueName('bpt-outbound-control');
    await create(control);
    await podman('start', control);
    expect(await probe(control, gateway, otherPort)).toBe('ok');
  }, 60_000);

  it('the module cannot change its rules from inside (no capability over its namespace)', async () => {
    // The image has no nft; the kernel's answer to the module is what counts: it holds no CAP_NET_ADMIN.
    const status = await podman('exec', names[0]!, '/hello', 'probe');
    expect(JSON.parse(status).CapEff).toMatch(/^0+$/);
  });
});

describe.skipIf(!hasPodman)(
  'service start applies the approved hosts (real engine, the module sandbox)',
  () => {
    let build: HelloBuild;
    let box: TestBox;
    const servers: Server[] = [];
    const name = uniqueName('bpt-out-svc');
    beforeAll(async () => {
      build = await buildHello();
      box = await makeBox(build);
    }, 120_000);
    afterAll(async () => {
      await stopService({ engine: box.engine, root: box.root }, name).catch(() => undefined);
      for (const s of servers) s.close();
      await box?.cleanup();
    });

    it('an outbound module the admin has not approved is refused, naming its hosts', async () => {
      const err = await box
        .install(uniqueName('bpt-out-no'), { network: 'outbound', outbound: ['api.example.org:443'] })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err?.message).toContain('asks for outbound network access to api.example.org:443');
    });

    it('approved, it reaches the approved host:port from inside its sandbox and nothing else', async () => {
      const gateway = JSON.parse(await podman('network', 'inspect', 'podman'))[0].subnets[0]
        .gateway as string;
      const port = 20000 + Math.floor(Math.random() * 20000);
      const hook = quietHook(true);
      await box.install(name, { network: 'outbound', outbound: [`${gateway}:${port}`] }, { hook });
      expect(hook.warnings.join('\n')).toContain(`it can reach ${gateway}:${port} and nothing else`);
      await startService({ engine: box.engine, root: box.root }, name);
      const listen = (p: number) =>
        new Promise<number>((resolve) => {
          const s = createServer((c) => c.on('error', () => undefined).end('hi')).listen(p, gateway, () =>
            resolve((s.address() as { port: number }).port),
          );
          servers.push(s);
        });
      await listen(port);
      const other = await listen(0);
      const probe = async (addr: string, p: number) =>
        JSON.parse(await podman('exec', `blueprint-${name}`, '/hello', 'probe', addr, String(p)))
          .connect as string;
      expect(await probe(gateway, port)).toBe('ok');
      expect(await probe(gateway, other)).toBe('Connection refused');
      // audit outbound: the module's flows, by module, from its namespace's counters.
      const audit = await auditOutbound(box.root, {
        boxTable: async () => undefined,
        modules: await outboundModules(box.root, box.engine),
      });
      expect(audit.flows).toContainEqual(
        expect.objectContaining({ who: name, verdict: 'allowed', address: gateway, port, rule: 'modules' }),
      );
      expect(audit.flows).toContainEqual(
        expect.objectContaining({ who: name, verdict: 'blocked', address: gateway, port: other }),
      );
      // Stopped and started again: a new namespace, the rules again.
      await stopService({ engine: box.engine, root: box.root }, name);
      await startService({ engine: box.engine, root: box.root }, name);
      // Podman may have taken the bridge (and its host address) down and up meanwhile: listen again.
      await Promise.all(servers.splice(0).map((sv) => new Promise((r) => sv.close(r))));
      await listen(port);
      await listen(other);
      expect(await probe(gateway, other)).toBe('Connection refused');
      expect(await probe(gateway, port)).toBe('ok');
    }, 120_000);

    it("its rules are kept by its having no capability: its network namespace is its own user namespace's", async () => {
      // QA13: Podman makes the bridge namespace inside the container's user namespace (lsns's owner),
      // so root inside would be its admin with CAP_NET_ADMIN: what keeps the table is that the
      // process has and can gain none (every set empty, no_new_privs, seccomp), read from the host.
      const pid = (await podman('inspect', '-f', '{{.State.Pid}}', `blueprint-${name}`)).trim();
      const owner = execFileSync('lsns', ['-n', '-p', pid, '-t', 'net', '-o', 'ONS'], {
        encoding: 'utf8',
      }).trim();
      const user = execFileSync('lsns', ['-n', '-p', pid, '-t', 'user', '-o', 'NS'], {
        encoding: 'utf8',
      }).trim();
      expect(owner).toBe(user);
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
        expect(status).toMatch(new RegExp(`^${set}:\\t0{16}$`, 'm'));
      expect(status).toMatch(/^NoNewPrivs:\t1$/m);
      expect(status).toMatch(/^Seccomp:\t2$/m);
    });
  },
);
