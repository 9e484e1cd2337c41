import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectService } from '../../src/core/services/inspect.js';
import {
  inspectContainer,
  removeContainer,
  startService,
  stopService,
} from '../../src/core/services/lifecycle.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { listServices } from '../../src/core/services/status.js';
import { servicesLine } from '../../src/present/host.js';
import { run } from '../helpers/pkg.js';
import { cli, emptyFileBox, podman, uniqueName } from './helpers.js';

// Module wiring (issue 17) with the real engine: a module that declares `uses: [A]` gets A's socket
// folder and token, read-only, and reaches A through it; the socket of a module it did not declare
// is not there for it to reach, and another user namespace that got A's folder anyway is refused.

const { box, build } = emptyFileBox();
const a = uniqueName('bpt-wa'); // used by c
const b = uniqueName('bpt-wb'); // not declared by c
const c = uniqueName('bpt-wc');
const token = 'wiring-token-0123456789abcdef';

const deps = () => ({ engine: box.engine, root: box.root });
const inC = async (...cmd: string[]) => {
  const r = await promisify(execFile)('podman', ['exec', `blueprint-${c}`, '/hello', ...cmd]).catch(
    (e: { stdout: string }) => e,
  );
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  await box.install(a);
  await box.install(b);
  await box.install(c, {}, { manifest: { uses: [`${a}>=1.0.0,<2.0.0`] } });
  // The admin sets a's access token, as the embeddings/llm/vectors READMEs say.
  const data = serviceDirs(box.root, a).dataDir;
  await mkdir(data, { recursive: true });
  await writeFile(path.join(data, 'access-token'), `${token}\n`, { mode: 0o600 });
}, 300_000);

describe('module wiring (real engine)', () => {
  it('starting a consumer starts what it uses first and waits for its health', async () => {
    await startService(deps(), b);
    const r = await startService(deps(), c);
    expect(r.healthy).toBe(true);
    expect((await inspectContainer(box.engine, a, box.root))?.State.Running).toBe(true);
  }, 120_000);

  it('the consumer reaches the declared socket and reads its token, read-only', async () => {
    expect(await inC('connect', `/run/blueprint/uses/${a}/hello.sock`)).toEqual({ connect: 'ok' });
    expect(await inC('read', `/run/blueprint/tokens/${a}`)).toEqual({ read: token, ok: true });
    const env = JSON.parse(await podman('inspect', `blueprint-${c}`, '--format', '{{json .Config.Env}}'));
    const key = a.toUpperCase().replace(/-/g, '_');
    expect(env).toContain(`BLUEPRINT_USES_${key}_SOCKET=/run/blueprint/uses/${a}/hello.sock`);
    expect(env).toContain(`BLUEPRINT_USES_${key}_TOKEN_FILE=/run/blueprint/tokens/${a}`);
  });

  it('attack: an undeclared socket is unreachable from inside, and nothing else is mounted', async () => {
    for (const p of [
      `/run/blueprint/uses/${b}/hello.sock`,
      path.join(serviceDirs(box.root, b).socketDir, 'hello.sock'),
      `/run/blueprint/services/${b}/hello.sock`,
    ])
      expect(await inC('connect', p)).toEqual({ connect: 'No such file or directory' });
    expect((await inC('read', `/run/blueprint/tokens/${b}`)).ok).toBeUndefined();
    const info = await inspectContainer(box.engine, c, box.root);
    const mounts = (info?.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => [m.Destination, m.RW]);
    expect(mounts.sort()).toEqual(
      [
        ['/run/blueprint/tokens/' + a, false],
        ['/run/blueprint/uses/' + a, false],
        ['/run/hello', true],
        ['/var/lib/hello', true],
      ].sort(),
    );
    // No network was added for the wiring.
    expect(info?.HostConfig?.NetworkMode).toBe('none');
  });

  it("attack: another user namespace given a's socket folder anyway cannot connect (the folder's ACL names c only)", async () => {
    const dir = serviceDirs(box.root, a).socketDir;
    const out = await promisify(execFile)('podman', [
      'run',
      '--rm',
      '--userns=auto',
      '--network=none',
      '-v',
      `${dir}:/x:ro`,
      build.id.replace(/^sha256:/, ''), // its entrypoint is /hello
      'connect',
      '/x/hello.sock',
    ]).catch((e: { stdout: string; stderr: string }) => e);
    expect(out.stdout, 'stderr' in out ? out.stderr : '').not.toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ connect: 'Permission denied' });
  }, 60_000);

  it('service inspect shows the wiring both ways', async () => {
    const ic = await inspectService(deps(), c);
    expect(ic.policy.uses).toEqual([
      {
        name: a,
        range: '>=1.0.0 <2.0.0',
        version: '1.0.0',
        socket: `/run/blueprint/uses/${a}/hello.sock`,
        token: true,
        ownToken: false,
      },
    ]);
    expect(ic.usedBy).toEqual([]);
    expect((await inspectService(deps(), a)).usedBy).toEqual([c]);
    // The wiring's mounts are what the manifest's `uses` declared: rated as such, not as foreign
    // mounts (they cost the consumer 2 points each module, 1/8 for rag in the demo).
    const rated = ic.rating.items.filter(
      (i) => i.data?.target && String(i.data.target).startsWith('/run/blueprint/'),
    );
    expect(rated.map((i) => [i.code, i.points, i.data?.target, i.data?.module])).toEqual([
      ['uses-mount', 0, `/run/blueprint/uses/${a}`, a],
      ['uses-mount', 0, `/run/blueprint/tokens/${a}`, a],
    ]);
    expect(ic.rating.items.filter((i) => i.code === 'foreign-mount')).toEqual([]);
  }, 60_000);

  it('service status (and blueprint status, the TUI) show who uses whom', async () => {
    const rows = (await listServices(deps())).filter((s) => [a, b, c].includes(s.name));
    const byName = Object.fromEntries(rows.map((s) => [s.name, [s.uses, s.usedBy]]));
    expect(byName).toEqual({ [a]: [[], [c]], [b]: [[], []], [c]: [[a], []] });
    expect(servicesLine(rows)).toContain(`${a} running (used by ${c})`);
  }, 60_000);

  it('the executable: service stop refuses (exit 5, naming the user); inspect shows the wiring', async () => {
    const stop = await cli(box.root, ['service', 'stop', a]);
    expect(stop.code).toBe(5);
    expect(stop.stderr).toContain(`${a} is in use by ${c}`);
    expect(stop.stderr).toContain('--force');
    const text = await run(['--root', box.root, 'service', 'inspect', c], {
      env: { PATH: process.env.PATH },
    });
    expect(text.stdout).toContain(
      `uses             ${a} 1.0.0 (>=1.0.0 <2.0.0) through /run/blueprint/uses/${a}/hello.sock`,
    );
    const status = await run(['--root', box.root, 'status'], { env: { PATH: process.env.PATH } });
    expect(status.stdout).toContain(`${a} running (used by ${c})`);
  }, 120_000);

  it('stop of a used module names who uses it and refuses unless forced', async () => {
    await expect(stopService(deps(), a)).rejects.toMatchObject({
      code: 'in-use',
      message: expect.stringContaining(c),
    });
    expect((await inspectContainer(box.engine, a, box.root))?.State.Running).toBe(true);
    expect(await stopService(deps(), a, undefined, { force: true })).toBe(true);
    // The consumer keeps running; a later start of it brings a back.
    await startService(deps(), c);
    expect((await inspectContainer(box.engine, a, box.root))?.State.Running).toBe(true);
    // The provider's restart (its folder chowned again by the U option) keeps the consumer's entry.
    expect(await inC('connect', `/run/blueprint/uses/${a}/hello.sock`)).toEqual({ connect: 'ok' });
  }, 120_000);

  it("the consumer's ACL entry leaves the provider's folder with its container", async () => {
    const dir = serviceDirs(box.root, a).socketDir;
    const named = async () =>
      (await promisify(execFile)('getfacl', ['-pn', dir])).stdout
        .split('\n')
        .filter((l) => /^group:\d+:/.test(l));
    expect(await named()).toHaveLength(1);
    expect((await named())[0]).toMatch(/:--x$/);
    await removeContainer(box.engine, `blueprint-${c}`);
    expect(await named()).toEqual([]);
  }, 60_000);

  it('a loop of uses is refused before anything starts; a used module not installed is named', async () => {
    const x = uniqueName('bpt-wx');
    const y = uniqueName('bpt-wy');
    const lone = uniqueName('bpt-wl');
    await box.install(x, {}, { manifest: { uses: [y] } });
    await box.install(y, {}, { manifest: { uses: [x] } });
    await box.install(lone, {}, { manifest: { uses: ['bpt-not-installed'] } });
    await expect(startService(deps(), x)).rejects.toMatchObject({
      code: 'uses-loop',
      message: expect.stringContaining(`${x} → ${y} → ${x}`),
    });
    await expect(startService(deps(), lone)).rejects.toMatchObject({
      code: 'uses-missing',
      hint: 'Install it: `bpkg install bpt-not-installed`',
    });
    for (const n of [x, y, lone]) expect(await inspectContainer(box.engine, n, box.root)).toBeUndefined();
  }, 120_000);
});
