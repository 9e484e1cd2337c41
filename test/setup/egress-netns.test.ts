import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { dnsmasqConf } from '../../src/core/setup/egress.js';
import { specDestinations } from '../../src/core/setup/resources.js';
import { auditOutbound } from '../../src/core/system/egress-audit.js';
import { netnsPair } from '../helpers/netns-pair.js';
import { until } from '../helpers/until.js';
import { hasNft, sshAdminSpec as spec, tempRoot } from './helpers.js';

/**
 * The rules applied for real, in network namespaces this test makes: "box" (the rules, dnsmasq
 * with the generated nftset= lines) and "net" (a DNS server that knows repo.test and lan.test,
 * and TCP servers on an allowed and on a not-allowed address; the documentation range
 * 198.51.100.0/24 stands for the internet, 10.199.0.0/24 for a LAN). Nothing outside the two
 * namespaces is touched.
 */
const canNetns =
  hasNft && process.getuid?.() === 0 && existsSync('/usr/sbin/dnsmasq') && existsSync('/usr/sbin/ip');
describe.skipIf(!canNetns)('default-deny egress applied in a namespace', () => {
  const pair = netnsPair(`bpeg${process.pid}`);
  const { box, net, sh } = pair;
  const procs: ChildProcess[] = [];
  let root: string;
  let cleanup: () => Promise<void>;
  let dests: ReturnType<typeof specDestinations>;
  const bg = (ns: string, ...argv: string[]) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'ignore' });
    procs.push(p);
    return p;
  };
  /** From inside the box: 'ok' when the server answered, else the error code (a drop times out). */
  const connect = (host: string, port: number) =>
    sh(
      box,
      process.execPath,
      '-e',
      `const s=require('net').connect({host:${JSON.stringify(host)},port:${port},timeout:1500});` +
        `s.on('data',d=>{console.log(String(d));s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});` +
        `s.on('error',e=>console.log(e.code))`,
    ).trim();
  /** 'open' when a TCP connection is made, as `uid` (default root, the resolver's uid here). */
  const open = (host: string, port: number, uid?: number) =>
    sh(
      box,
      ...(uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups']),
      process.execPath,
      '-e',
      `const s=require('net').connect({host:${JSON.stringify(host)},port:${port},timeout:1500});` +
        `s.on('connect',()=>{console.log('open');s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});` +
        `s.on('error',e=>console.log(e.code))`,
    ).trim();
  const resolve = (name: string) =>
    sh(
      box,
      process.execPath,
      '-e',
      `const r=new (require('dns').promises.Resolver)({timeout:2000,tries:1});r.setServers(['127.0.0.1']);` +
        `r.resolve4(${JSON.stringify(name)}).then(a=>console.log(a.join(',')),e=>console.log(e.code))`,
    ).trim();
  const counter = (name: string) =>
    JSON.parse(sh(box, 'nft', '-j', 'list', 'counter', 'inet', 'blueprint', name)).nftables[1].counter
      .packets as number;
  const setElems = (name: string) =>
    JSON.stringify(JSON.parse(sh(box, 'nft', '-j', 'list', 'set', 'inet', 'blueprint', name)));

  beforeAll(async () => {
    ({ root, cleanup } = await tempRoot('egress-ns'));
    pair.create({
      box: [['198.51.100.2/24'], ['10.199.0.2/24']],
      // A LAN beside the "internet": a host on a private address the box reaches on its link.
      net: [['198.51.100.1/24'], ['198.51.100.3/24'], ['10.199.0.5/24']],
    });
    // The outside: a DNS server that says repo.test is 198.51.100.1, TCP servers answering on every address.
    bg(
      net,
      'dnsmasq',
      '-k',
      '-C',
      '/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--listen-address=198.51.100.1',
      '--bind-interfaces',
      '--pid-file=',
      '-u',
      'root',
      '--address=/repo.test/198.51.100.1',
      '--address=/lan.test/10.199.0.5', // an allowed name whose DNS answers (or rebinds to) the LAN
      '--local-ttl=7200', // longer than an address stays in a set
    );
    bg(
      net,
      process.execPath,
      '-e',
      `for(const p of [8080,8081])require('net').createServer(s=>s.end('hello from '+s.localAddress)).listen(p,'0.0.0.0')`,
    );
    // The box: the generated rules and dnsmasq, whose upstream stands for systemd-resolved's stub.
    const s = spec({
      network: {
        dns: { servers: ['198.51.100.1'] },
        ntp: 'none',
        unattendedUpgrades: false,
        allow: ['10.199.0.5:8081'], // a LAN host the admin means, by its address
      },
      repositories: [
        { name: 'lab', url: 'http://repo.test:8080/', key: 'K' },
        { name: 'rebound', url: 'http://lan.test:8080/', key: 'K' },
      ],
    });
    dests = specDestinations(s, []);
    await writeFile(path.join(root, 'rules.nft'), nftablesRules(s, dests, { resolverUid: 0 }));
    sh(box, 'nft', '-f', path.join(root, 'rules.nft'));
    await writeFile(
      path.join(root, 'dnsmasq.conf'),
      dnsmasqConf(dests).replace(/^server=.*$/m, 'server=198.51.100.1'),
    );
    bg(box, 'dnsmasq', '-k', '-C', path.join(root, 'dnsmasq.conf'), '--pid-file=', '-u', 'root');
    // Both dnsmasqs and the TCP servers listen (before: a 700 ms sleep, which a loaded machine
    // could outrun).
    const listens = (ns: string, udp: boolean, port: number) =>
      new RegExp(`:${port}\\s`).test(sh(ns, 'ss', udp ? '-Hlnu' : '-Hlnt'));
    await until(
      'the stand-ins and dnsmasq listen',
      () =>
        listens(net, true, 53) &&
        listens(net, false, 8080) &&
        listens(net, false, 8081) &&
        listens(box, true, 53),
      30_000,
      50,
    );
  });
  afterAll(async () => {
    for (const p of procs) p.kill();
    pair.remove();
    await cleanup();
  });

  it('a repository address is dropped until its name is resolved, then it answers', () => {
    const blocked = counter('out_blocked');
    expect(connect('198.51.100.1', 8080)).toBe('timeout');
    expect(counter('out_blocked')).toBeGreaterThan(blocked);
    expect(resolve('repo.test')).toBe('198.51.100.1');
    expect(setElems('repositories_tcp_8080_v4')).toContain('198.51.100.1');
    expect(connect('198.51.100.1', 8080)).toBe('hello from 198.51.100.1');
    expect(counter('out_repositories')).toBeGreaterThan(0);
    expect(counter('out_dns')).toBeGreaterThan(0);
  });

  it('an allowed name that resolves to a private address opens nothing: counted and logged apart', () => {
    expect(resolve('lan.test')).toBe('10.199.0.5'); // the name still resolves for the box
    expect(setElems('repositories_tcp_8080_v4')).toContain('10.199.0.5'); // dnsmasq added it
    expect(connect('10.199.0.5', 8080)).toBe('timeout');
    expect(counter('out_private')).toBeGreaterThan(0); // no other test sends there
    expect(setElems('blocked_v4')).toContain('10.199.0.5');
  });

  it('the same LAN host approved by its address answers', () => {
    expect(connect('10.199.0.5', 8081)).toBe('hello from 10.199.0.5');
    expect(counter('out_admin')).toBeGreaterThan(0);
  });

  it('any other address is dropped and counted, and remembered by destination', () => {
    const blocked = counter('out_blocked');
    expect(connect('198.51.100.3', 8080)).toBe('timeout');
    expect(counter('out_blocked')).toBeGreaterThan(blocked);
    const elems = setElems('blocked_v4');
    expect(elems).toContain('198.51.100.3');
    expect(elems).toMatch(/"packets":\s*[1-9]/);
  });

  it('audit outbound lists both, which rule allowed the allowed one, and keeps them on disk', async () => {
    const boxTable = async () => sh(box, 'nft', '-j', 'list', 'table', 'inet', 'blueprint');
    const a = await auditOutbound(root, { boxTable, destinations: dests });
    const find = (verdict: string, address: string, port: number) =>
      a.flows.find((f) => f.verdict === verdict && f.address === address && f.port === port);
    expect(find('allowed', '198.51.100.1', 8080)).toMatchObject({
      who: 'box',
      proto: 'tcp',
      rule: 'repositories',
    });
    expect(find('allowed', '198.51.100.1', 53)).toMatchObject({ rule: 'dns', proto: 'udp' });
    expect(find('blocked', '198.51.100.3', 8080)?.packets).toBeGreaterThan(0);
    expect(a.counters.out_blocked!.packets).toBeGreaterThan(0);
    const stored = JSON.parse(
      await readFile(path.join(root, 'var/lib/blueprint/audit/outbound.json'), 'utf8'),
    );
    expect(stored.flows.length).toBe(a.flows.length);
    // Read again with nothing new: the counts do not double.
    const again = await auditOutbound(root, { boxTable, destinations: dests });
    const blocked = (x: typeof a) =>
      x.flows.find((f) => f.verdict === 'blocked' && f.address === '198.51.100.3')!.packets;
    expect(blocked(again)).toBe(blocked(a));
  });

  it('every lookup puts an expired address back (dnsmasq keeps no cache of its own)', () => {
    // As if the address had expired: dnsmasq fills a set only from answers it asks upstream for,
    // and the upstream here says 7200 s, longer than an address stays in a set.
    sh(box, 'nft', 'flush', 'set', 'inet', 'blueprint', 'repositories_tcp_8080_v4');
    expect(connect('198.51.100.1', 8080)).toBe('timeout');
    expect(resolve('repo.test')).toBe('198.51.100.1');
    expect(setElems('repositories_tcp_8080_v4')).toContain('198.51.100.1');
    expect(connect('198.51.100.1', 8080)).toBe('hello from 198.51.100.1');
  });

  it("DNS servers are reached by the resolver's user only: for anyone else port 53 is no way out", () => {
    expect(open('198.51.100.1', 53)).toBe('open');
    expect(open('198.51.100.1', 53, 65534)).toBe('timeout');
  });

  it('loopback stays open', () => {
    expect(resolve('repo.test')).toBe('198.51.100.1');
    expect(counter('out_loopback')).toBeGreaterThan(0);
  });
});
