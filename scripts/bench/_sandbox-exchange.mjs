// Which part of the sandbox makes an HTTP exchange with a Node module slower (issue 17)?
//
//   node_modules/.bin/node scripts/bench/_sandbox-exchange.mjs [--rounds 10] [--hot 200]
//     [--paced 40] [--gap-ms 7] [--only full,host,...] [--client raw|node] [--module vectors|rag]
//     [--json FILE]
//   (as root, Podman's API on /run/podman/podman.sock; run under `flock /tmp/bench.lock`)
//
// One image and one server bundle (the vectors module: the kit's Node server, cheap to start),
// started several times: in the container sandboxPolicy makes for its manifest ("full"), in
// containers that differ from it in exactly one setting, and as host processes running the image's
// own Node binary and bundle with the container's environment. Each gets one kept-alive connection
// from this process (a raw unix socket and a minimal response parser, so the client's cost is the
// same small one for all) and is timed on `GET /health` and a small search (384-d, 200 points,
// limit 4, payloads: rag's vectors hop in shape), back to back ("hot") and with --gap-ms idle
// between exchanges ("paced": rag's hops have inference between them). The variants take turns in
// rounds (the order rotated each round); medians and p90 over all rounds, the spread of the
// per-round medians, and the server's CPU per exchange (its threads' schedstat) are printed, with
// `uptime` before and after. Every container and group made here is removed at the end (also on
// ^C). Variants beyond one setting off: full-no-psi (the full sandbox, pressure-stall accounting
// off in its group), host-cpu-group and host-cgroups (a host process in a CPU group like the
// benches', or in groups like a container's in every hierarchy). --module rag: rag's image and
// bundle, /health only. Findings: modules/rag/README.md, Figures, 2026-12-01 (issue 17).
// One file (~560 lines) because this probe was one engineer's single path; its seams, if it
// stays: the libpod/policy helpers, the two clients, the variants, the measurement and the report.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuGroup } from './_cpu-group.mjs';
import { libpod, policyModule } from './_vectors-sandbox.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const { values: o } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    hot: { type: 'string', default: '200' },
    paced: { type: 'string', default: '40' },
    'gap-ms': { type: 'string', default: '7' },
    only: { type: 'string' },
    json: { type: 'string' },
    client: { type: 'string', default: 'raw' },
    module: { type: 'string', default: 'vectors' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (o.help) {
  const text = readFileSync(import.meta.filename, 'utf8').split('\n');
  console.log(
    text
      .slice(
        0,
        text.findIndex((l) => l.startsWith('import')),
      )
      .join('\n'),
  );
  process.exit(0);
}
const ROUNDS = Number(o.rounds);
const HOT = Number(o.hot);
const PACED = Number(o.paced);
const GAP = Number(o['gap-ms']);

const withoutKey = (obj, key) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
const limits = (s, key) => ({ ...s, resource_limits: withoutKey(s.resource_limits, key) });
/**
 * The variants: a change to the full spec (libpod's SpecGenerator), or a host process. Each
 * changes exactly one thing; the extra ones (`EQUIVALENT`) keep the sandbox as strict but in
 * another form.
 */
const CONTAINERS = {
  full: (s) => s,
  'no-seccomp': (s) => ({ ...s, seccomp_profile_path: 'unconfined' }),
  'no-userns': (s) => ({ ...withoutKey(s, 'idmappings'), userns: { nsmode: 'host' } }),
  'no-cpu-limit': (s) => limits(s, 'cpu'),
  'no-memory-limit': (s) => limits(s, 'memory'),
  'rw-root': (s) => ({ ...s, read_only_filesystem: false }),
  'full-no-psi': (s) => s,
};
/**
 * Done to a variant's process once it runs: full-no-psi turns off pressure-stall accounting (PSI,
 * `psi=1` on this kernel) in the container's own unified-hierarchy group, which the kernel updates
 * at every sleep and wake-up of every group above a task. Not a sandbox setting: monitoring.
 */
const AFTER = {
  'full-no-psi': (pid) => {
    const rel = /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))[1];
    writeFileSync(path.join(CG, 'unified', rel, 'cgroup.pressure'), '0');
    return `cgroup.pressure 0 in ${rel}`;
  },
};
/**
 * host: the bundle as a plain process; host-cpu-group: in a CPU group like the benches' host
 * processes (_cpu-group.mjs); host-cgroups: in a group of its own in every hierarchy a container
 * gets one in (cpu, cpuacct, memory, pids and the unified one), with the container's limits.
 */
const HOSTS = { host: { group: false }, 'host-cpu-group': { group: true }, 'host-cgroups': { all: true } };
const CG = '/sys/fs/cgroup';
/** host-cgroups' groups: made, limited like the container's, `pid` moved in; returns the undo. */
function containerLikeGroups(pid, label, resources) {
  const dirs = ['cpu', 'cpuacct', 'memory', 'pids', 'unified'].map((h) =>
    path.join(CG, h, 'libpod_parent', label),
  );
  const set = (d, file, value) => writeFileSync(path.join(d, file), String(value));
  for (const d of dirs) mkdirSync(d);
  set(dirs[0], 'cpu.cfs_period_us', 100_000);
  set(dirs[0], 'cpu.cfs_quota_us', resources.cpus * 100_000);
  set(dirs[2], 'memory.limit_in_bytes', resources.memory);
  set(dirs[3], 'pids.max', resources.pids);
  for (const d of dirs) set(d, 'cgroup.procs', pid);
  return async () => {
    for (const d of dirs)
      for (let i = 0; i < 50; i++)
        try {
          rmdirSync(d); // once the process has gone
          break;
        } catch {
          await sleep(100);
        }
  };
}
const chosen = o.only ? o.only.split(',') : [...Object.keys(CONTAINERS), ...Object.keys(HOSTS)];
for (const v of chosen)
  if (!CONTAINERS[v] && !HOSTS[v])
    throw new Error(`unknown variant ${v}: ${Object.keys({ ...CONTAINERS, ...HOSTS })}`);

/** What the kernel says about the server process: filters, speculation controls, slack, groups. */
function procFacts(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const keys = [
    'NoNewPrivs',
    'Seccomp',
    'Seccomp_filters',
    'Speculation_Store_Bypass',
    'SpeculationIndirectBranch',
    'Cpus_allowed_list',
  ];
  const pick = keys.map((k) => `${k} ${new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?'}`);
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).sort();
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const exe = createHash('sha256')
    .update(readFileSync(`/proc/${pid}/exe`))
    .digest('hex')
    .slice(0, 16);
  const groups = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .filter((l) => /^\d+:(cpu|memory|):/.test(l));
  return [
    `exe sha256 ${exe}; argv ${cmd.join(' ')}`,
    pick.join('; '),
    `timerslack_ns ${readFileSync(`/proc/${pid}/timerslack_ns`, 'utf8').trim()}; ${groups.join(' ')}`,
    `env ${env.join(' ')}`,
  ].join('\n  ');
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const api = process.env.BLUEPRINT_ENGINE_SOCKET ?? '/run/podman/podman.sock';

const work = mkdtempSync(path.join(tmpdir(), 'bpx-'));
const cleanups = [];
let cleaning;
const cleanup = () => {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => console.error('cleanup:', e.message));
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

/** One kept-alive connection (--client raw); exchange(request) resolves with [status, body, ns] (timed on arrival). */
function connect(socketPath) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buf = Buffer.alloc(0);
    let pending;
    sock.on('data', (chunk) => {
      const now = process.hrtime.bigint();
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 || !pending) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      if (Number.isNaN(len)) return pending.reject(new Error(`no content-length: ${head}`));
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      const p = pending;
      pending = undefined;
      p.resolve([Number(head.slice(9, 12)), body, Number(now - p.t0)]);
    });
    sock.once('error', reject);
    // The kit closes a kept-alive connection after 5 s idle: never wait for an answer that cannot come.
    sock.on('close', () => pending?.reject(new Error('connection closed')));
    sock.once('connect', () =>
      resolve({
        exchange: (r) =>
          new Promise((res, rej) => {
            pending = { resolve: res, reject: rej, t0: process.hrtime.bigint() };
            sock.write(r.raw);
          }),
        close: () => sock.destroy(),
      }),
    );
  });
}

/** A request, as the raw client writes it (`raw`) and as node:http is asked it. */
const request = (method, p, body) => {
  const b = body === undefined ? '' : JSON.stringify(body);
  const head = `${method} ${p} HTTP/1.1\r\nhost: x\r\n${b ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\n` : ''}\r\n`;
  return { raw: Buffer.from(head + b), method, path: p, body: b };
};

/**
 * --client node: node:http with a kept-alive agent of one socket, as the rag bench's client asks
 * (scripts/bench/_rag-stacks.mjs call()); timed from the request to the body's end.
 */
function connectNode(socketPath) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const exchange = (r) =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const headers = r.body ? { 'content-type': 'application/json' } : {};
      const req = httpRequest({ socketPath, agent, method: r.method, path: r.path, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve([res.statusCode, Buffer.concat(chunks), Number(process.hrtime.bigint() - t0)]),
        );
      });
      req.on('error', reject);
      req.end(r.body || undefined);
    });
  return Promise.resolve({ exchange, close: () => agent.destroy() });
}
const open = (socket) => (o.client === 'node' ? connectNode(socket) : connect(socket));
// Deterministic vectors (no Math.random: every variant indexes and asks the same).
const vec = (seed) => Array.from({ length: 384 }, (_, i) => Math.sin(seed * 1000 + i * 0.37));
const HEALTH = request('GET', '/health');
const SEARCH = request('POST', '/collections/x/points/search', {
  vector: vec(0.5),
  limit: 4,
  with_payload: true,
});

/** Creates the collection the searches ask (200 points with ~200-byte payloads). */
async function seed(conn) {
  const must = async (bytes) => {
    const [status, body] = await conn.exchange(bytes);
    if (status !== 200) throw new Error(`seed: ${status} ${body}`);
  };
  await must(request('PUT', '/collections/x', { vectors: { size: 384, distance: 'Cosine' } }));
  const points = Array.from({ length: 200 }, (_, i) => ({
    id: i + 1,
    vector: vec(i + 1),
    payload: { doc: `doc-${i % 7}`, page: i, text: 'lorem ipsum '.repeat(16) },
  }));
  await must(request('PUT', '/collections/x/points?wait=true', { points }));
}

// The image and bundle, once.
const { makePackageSource } = await import(path.join(root, 'modules', o.module, 'package.ts'));
const name = `sbx-${process.pid}`;
const { dir: src, manifest } = await makePackageSource({ out: path.join(work, 'src'), name });
const rootfs = path.join(src, 'rootfs', manifest.arch);
const image = `localhost/blueprint-sandbox-exchange:${process.pid}`;
const imageId = execFileSync('podman', ['build', '-q', '-t', image, src], { encoding: 'utf8' }).trim();
cleanups.push(async () => execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' }));
const policy = await policyModule(root, work);
const seccompProfile = path.join(work, 'seccomp.json');
writeFileSync(seccompProfile, JSON.stringify(policy.seccomp));
const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(path.join(src, 'Containerfile'), 'utf8'))[1];
const argv = JSON.parse(`[${entry}]`);

// The modules it uses (rag): their socket variables set, to sockets that are not there (only /health
// is asked, which calls none of them).
const usesEnv = Object.fromEntries(
  (manifest.uses ?? []).map((u) => {
    const used = /^[a-z0-9-]+/.exec(u)[0];
    return [
      `BLUEPRINT_USES_${used.toUpperCase().replaceAll('-', '_')}_SOCKET`,
      `/run/blueprint/${used}/api.sock`,
    ];
  }),
);

/** The full plan for one variant's box (its own socket and data folders under a short path). */
function plan(variant) {
  const box = mkdtempSync(path.join(tmpdir(), 'bpx-box-'));
  cleanups.push(async () => rmSync(box, { recursive: true, force: true }));
  const p = policy.sandboxPolicy({
    root: box,
    name,
    version: manifest.version,
    prefix: src,
    service: policy.parseService({
      ...manifest.service,
      env: { ...manifest.service.env, ...usesEnv },
      image: { id: `sha256:${imageId}` },
    }),
    approvals: { outboundNetwork: false },
    gpu: policy.NO_GPU,
    seccompProfile,
  });
  for (const d of [...p.hostDirs, path.dirname(p.spec.log_configuration.path)])
    mkdirSync(d, { recursive: true });
  const socket = path.join(p.hostDirs[0], manifest.service.socket.file);
  return { spec: { ...p.spec, name: `${name}-${variant}` }, socket, box, dataDir: p.hostDirs[1] };
}

async function waitFor(socket, alive) {
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 600 || !alive()) throw new Error(`no socket ${socket}`);
    await sleep(100);
  }
}

async function startContainer(variant) {
  const p = plan(variant);
  const spec = CONTAINERS[variant](p.spec);
  const created = await libpod(api, 'POST', '/containers/create', spec);
  cleanups.push(async () => {
    await libpod(api, 'POST', `/containers/${created.Id}/stop?t=2`).catch(() => undefined);
    // Right after the stop, runc may still hold the container's shm mount: try again.
    for (let i = 0; ; i++)
      try {
        return await libpod(api, 'DELETE', `/containers/${created.Id}?force=true&t=2`);
      } catch (e) {
        if (/404/.test(e.message)) return;
        if (i === 10) throw e;
        await sleep(500);
      }
  });
  await libpod(api, 'POST', `/containers/${created.Id}/start`);
  await waitFor(p.socket, () => true);
  const info = await libpod(api, 'GET', `/containers/${created.Id}/json`);
  const h = info.HostConfig;
  const after = AFTER[variant]?.(info.State.Pid);
  // What Node sees from inside (same namespaces, cgroups and seccomp filter as the server).
  let inside = '';
  try {
    inside = execFileSync(
      'podman',
      [
        'exec',
        created.Id,
        '/usr/bin/node',
        '-p',
        'JSON.stringify({node:process.version,v8:process.versions.v8,cpus:require("os").availableParallelism(),uvThreads:process.env.UV_THREADPOOL_SIZE??"unset",constrainedMemory:process.constrainedMemory()})',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    ).trim();
  } catch (e) {
    inside = `exec failed: ${e.message.split('\n')[0]}`;
  }
  return {
    socket: p.socket,
    pid: info.State.Pid,
    config: `seccomp ${h.SecurityOpt?.join(' ') ?? '?'}; userns ${h.UsernsMode || 'host'}; cpu ${h.CpuQuota}/${h.CpuPeriod}; memory ${h.Memory}; read-only ${h.ReadonlyRootfs}${after ? `; ${after}` : ''}`,
    inside,
  };
}

async function startHost(variant) {
  const p = plan(variant);
  // The container's environment, its paths moved to the box; the image's Node binary and bundle.
  // Container paths in the environment moved to the box's folders (data, socket).
  const { data, socket } = manifest.service;
  const moved = (v) =>
    v.startsWith(`${data}/`)
      ? path.join(p.dataDir, v.slice(data.length))
      : v.startsWith(`${socket.dir}/`)
        ? path.join(path.dirname(p.socket), v.slice(socket.dir.length))
        : v;
  const env = Object.fromEntries(Object.entries(p.spec.env).map(([k, v]) => [k, moved(v)]));
  const child = spawn(path.join(rootfs, argv[0]), [...argv.slice(1, -1), path.join(rootfs, argv.at(-1))], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  let group;
  let groups;
  // Registered first: a failure below must not leave the process (or its groups) behind.
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exited;
    group?.remove();
    await groups?.();
  });
  group = HOSTS[variant].group ? cpuGroup(`x-${variant}`, manifest.service.resources.cpus) : undefined;
  group?.enter(child.pid);
  const { resources } = policy.parseService({ ...manifest.service, image: { id: `sha256:${imageId}` } });
  if (HOSTS[variant].all) groups = containerLikeGroups(child.pid, `bpx-${process.pid}`, resources);
  await waitFor(p.socket, () => child.exitCode === null);
  const inside = execFileSync(
    path.join(rootfs, argv[0]),
    [
      '-p',
      'JSON.stringify({node:process.version,v8:process.versions.v8,cpus:require("os").availableParallelism(),uvThreads:process.env.UV_THREADPOOL_SIZE??"unset",constrainedMemory:process.constrainedMemory()})',
    ],
    { encoding: 'utf8', env },
  ).trim();
  return {
    socket: p.socket,
    pid: child.pid,
    config: group
      ? `own CPU group ${group.dir}`
      : groups
        ? 'own groups in cpu, cpuacct, memory, pids, unified'
        : 'no CPU group',
    inside,
  };
}

/** Summed run and run-queue wait (ns) of all the process's threads. */
function sched(pid) {
  let run = 0;
  let wait = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`))
    try {
      const [r, w] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      run += r;
      wait += w;
    } catch {} // a thread that ended meanwhile
  return { run, wait };
}

const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * s.length))];
};
// The search only where there is one (vectors); other modules: /health alone.
const KINDS = [
  'health-hot',
  'health-paced',
  ...(o.module === 'vectors' ? ['search-hot', 'search-paced'] : []),
];

async function block(v, kind, n) {
  const bytes = kind.startsWith('health') ? HEALTH : SEARCH;
  const paced = kind.endsWith('paced');
  // A fresh connection each block (the kit drops one idle for 5 s, and the other variants' turns
  // take longer), warmed by a few untimed exchanges of the same kind.
  v.conn.close();
  v.conn = await open(v.socket);
  for (let i = 0; i < 5; i++) await v.conn.exchange(bytes);
  const s0 = sched(v.pid);
  const out = [];
  for (let i = 0; i < n; i++) {
    if (paced) await sleep(GAP);
    const [status, , ns] = await v.conn.exchange(bytes);
    if (status !== 200) throw new Error(`${v.name} ${kind}: ${status}`);
    out.push(ns / 1000);
  }
  const s1 = sched(v.pid);
  v.samples[kind].push(...out);
  v.rounds[kind].push(q(out, 0.5));
  v.cpu[kind].push((s1.run - s0.run) / n / 1000);
  v.wait[kind].push((s1.wait - s0.wait) / n / 1000);
}

try {
  const up0 = uptime();
  console.log(`before: ${up0}`);
  console.log(
    `image ${imageId.slice(0, 12)} (${o.module} ${manifest.version}), node ${path.join(rootfs, argv[0])} sha256 ${createHash(
      'sha256',
    )
      .update(readFileSync(path.join(rootfs, argv[0])))
      .digest('hex')
      .slice(0, 16)}, argv ${argv.join(' ')}`,
  );
  const variants = [];
  for (const v of chosen) {
    const started = CONTAINERS[v] ? await startContainer(v) : await startHost(v);
    const conn = await open(started.socket);
    if (o.module === 'vectors') await seed(conn);
    for (let i = 0; i < 300; i++) await conn.exchange(i % 2 || o.module !== 'vectors' ? HEALTH : SEARCH); // warm up
    const empty = () => Object.fromEntries(KINDS.map((k) => [k, []]));
    variants.push({
      name: v,
      ...started,
      conn,
      samples: empty(),
      rounds: empty(),
      cpu: empty(),
      wait: empty(),
    });
    console.log(`${v}: pid ${started.pid}; ${started.config}`);
    console.log(`  inside: ${started.inside}`);
    console.log(`  ${procFacts(started.pid)}`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) for (const kind of KINDS) await block(v, kind, kind.endsWith('hot') ? HOT : PACED);
    process.stderr.write(`round ${r + 1}/${ROUNDS} ${uptime()}\n`);
  }
  const up1 = uptime();
  const base = variants.find((v) => v.name === 'full') ?? variants[0];
  console.log(`\nafter: ${up1}`);
  console.log(
    `${ROUNDS} rounds x (${HOT} hot + ${PACED} paced at ${GAP} ms) per kind, ${o.client} client; µs: p50 p90 [per-round p50 min-max] server CPU/exchange, run-queue wait`,
  );
  const f = (x) => x.toFixed(0).padStart(4);
  const summary = {};
  for (const kind of KINDS) {
    console.log(`\n${kind}`);
    for (const v of variants) {
      const s = v.samples[kind];
      const p50 = q(s, 0.5);
      const row = {
        p50,
        p90: q(s, 0.9),
        roundsMin: Math.min(...v.rounds[kind]),
        roundsMax: Math.max(...v.rounds[kind]),
        cpu: q(v.cpu[kind], 0.5),
        wait: q(v.wait[kind], 0.5),
      };
      // Paired with the base's median of the same round (the two ran seconds apart).
      const diffs = v.rounds[kind].map((m, r) => m - base.rounds[kind][r]);
      Object.assign(row, { diff: q(diffs, 0.5), diffMin: Math.min(...diffs), diffMax: Math.max(...diffs) });
      summary[v.name] = { ...summary[v.name], [kind]: row };
      const sign = (x) => `${x > 0 ? '+' : ''}${x.toFixed(0)}`;
      const vs = `${sign(row.diff)} [${sign(row.diffMin)}..${sign(row.diffMax)}] vs ${base.name}, paired by round`;
      console.log(
        `  ${v.name.padEnd(16)} ${f(p50)} ${f(row.p90)} [${f(row.roundsMin)}-${f(row.roundsMax)}] cpu ${f(row.cpu)} wait ${f(row.wait)}  ${v === base ? '' : vs}`,
      );
    }
  }
  if (o.json)
    writeFileSync(
      o.json,
      JSON.stringify(
        { before: up0, after: up1, ROUNDS, HOT, PACED, GAP, client: o.client, summary },
        null,
        2,
      ),
    );
  for (const v of variants) v.conn.close();
} finally {
  await cleanup();
}
