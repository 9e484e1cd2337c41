// The two served rag stacks scripts/bench/rag.mjs measures, both from the same four package sources
// (test/helpers/rag-stack.ts) and both answering on a rag socket:
//   sandboxed  installed into a test box with bpkg and started with `blueprint service start`: four
//              Podman sandboxes wired by `uses` (read-only root, no network, user namespaces, limits)
//   processes  the same server bundles from the packages' rootfs, as plain host processes on
//              sockets in a temporary folder, wired by the same variables (what the sandbox adds)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { stackNames, stackSources } from '../../test/helpers/rag-stack.ts';
import { likeAContainer } from './_cpu-group.mjs';
import { exe } from './_lib.mjs';

/**
 * One request over a unix socket; `onFirstText` when the first streamed text arrives, `onHeaders`
 * with the response's headers.
 */
export function call(
  socketPath,
  method,
  path,
  body,
  { contentType = 'application/json', onFirstText, onHeaders } = {},
) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.isBuffer(body)
      ? body
      : body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath, method, path, headers: payload ? { 'content-type': contentType } : {} },
      (res) => {
        onHeaders?.(res.headers);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
          if (onFirstText && /"content":"[^"]/.test(c)) {
            onFirstText();
            onFirstText = undefined;
          }
        });
        res.on('end', () => {
          if (res.statusCode >= 400)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** rag's Server-Timing and its clock (RAG_TIMING_CLOCK=1) as the parts of one retrieval, in ms. */
function timingOf(timing, sent, head, end) {
  const t = Object.fromEntries(
    [...String(timing).matchAll(/(\w+);dur=([\d.]+)/g)].map(([, k, v]) => [k, Number(v)]),
  );
  const clock = /clock;desc="([\d. ]+)"/.exec(String(timing));
  if (clock) {
    const [start, , , , ready] = clock[1].split(' ').map(Number);
    Object.assign(t, { toRag: start - sent, fromRag: head - ready, body: end - head });
  }
  return t;
}

/**
 * The kit's lean client class (modules/kit/client/unix-http.ts, bundled by the caller: Node cannot
 * load the kit's sources directly), for the retrievals the figure times.
 */
let LeanClient;
export function setLeanClient(cls) {
  LeanClient = cls;
}

/** What the bench does with a stack: ingest, retrieve, time a chat's first token, and each hop alone. */
function client(sockets, chat, collection = 'rag-default') {
  const rag = sockets.rag;
  async function nodeRetrieve(query) {
    let timing = '';
    let head = 0;
    const sent = performance.timeOrigin + performance.now();
    await call(
      rag,
      'POST',
      '/v1/retrieve',
      { query, k: 4 },
      {
        onHeaders: (h) => {
          head = performance.timeOrigin + performance.now();
          timing = h['server-timing'];
        },
      },
    );
    const end = performance.timeOrigin + performance.now();
    return timingOf(timing, sent, head, end);
  }
  let lean;
  async function leanRetrieve(query) {
    lean ??= new LeanClient({ socketPath: rag, idleMs: 2_000 });
    const sent = performance.timeOrigin + performance.now();
    const r = await lean.request({
      method: 'POST',
      path: '/v1/retrieve',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, k: 4 }),
      timeoutMs: 60_000,
    });
    // The whole answer arrives as one piece (head and body together), then read as text as
    // call() reads node:http's.
    const head = performance.timeOrigin + performance.now();
    const text = r.body.toString('utf8');
    if (r.status !== 200) throw new Error(`POST /v1/retrieve: ${r.status} ${text.slice(0, 300)}`);
    const end = performance.timeOrigin + performance.now();
    return timingOf(r.headers['server-timing'], sent, head, end);
  }
  return {
    hops: {
      ragSocket: rag,
      health: () => call(rag, 'GET', '/health'),
      // As rag asks since it takes base64 (modules/rag/server/backends.ts), decoded the same way.
      embed: async (q) => {
        const r = await call(sockets.embeddings, 'POST', '/v1/embeddings', {
          input: q,
          encoding_format: 'base64',
        });
        const b = Buffer.from(JSON.parse(r).data[0].embedding, 'base64');
        return Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4));
      },
      search: (vector) =>
        call(sockets.vectors, 'POST', `/collections/${encodeURIComponent(collection)}/points/search`, {
          vector,
          limit: 4,
          with_payload: true,
        }),
    },
    ingest: (doc) =>
      call(rag, 'POST', `/v1/documents?source=${encodeURIComponent(doc.source)}`, doc.bytes, {
        contentType: 'application/pdf',
      }),
    /**
     * Resolves with rag's Server-Timing (embed, search, total in ms) and, when rag gives its clock
     * (RAG_TIMING_CLOCK=1), the exchange's parts on one clock: `toRag` from our request to rag's
     * handler, `fromRag` from rag's answer ready to our client having its head, `body` the rest.
     * Asked with the kit's lean HTTP/1.1 client (modules/kit/client, the one rag itself asks
     * embeddings and vectors with) once `setLeanClient` gave it: the in-process pipeline pays no
     * client at all, and node:http's client machinery, run cold between queries, cost ~0.2-0.4 ms
     * a retrieval of the bench's own process, none of it the hops' (`nodeRetrieve` still measures
     * it: rag.mjs's hops phase gives both).
     */
    retrieve: (query) => (LeanClient ? leanRetrieve(query) : nodeRetrieve(query)),
    nodeRetrieve,
    closeClient: () => lean?.close(),
    async timeToFirstToken(question) {
      const t0 = performance.now();
      let first = 0;
      const body = {
        messages: [{ role: 'user', content: question }],
        stream: true,
        max_tokens: chat.maxTokens,
        k: chat.k,
        temperature: 0,
      };
      await call(rag, 'POST', '/v1/chat/completions', body, {
        onFirstText: () => (first = performance.now()),
      });
      return (first || performance.now()) - t0;
    },
  };
}

const run = (args) => execFileSync(exe, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });

/** Builds the four package sources and a signed repository of them; returns the sources. */
export async function buildStack(work, generateSigningKey, opts) {
  const names = stackNames(`bench-${process.pid}${opts.tag ? `-${opts.tag}` : ''}`);
  const key = await generateSigningKey('rag bench', 'bench@blueprintos.invalid');
  mkdirSync(join(work, 'key'));
  writeFileSync(join(work, 'key/signing-key.asc'), key.privateKey, { mode: 0o600 });
  writeFileSync(join(work, 'key/signing-key.pub.asc'), key.publicKey);
  const dirs = await stackSources(join(work, 'src'), names, opts);
  // opts.env (rag.mjs --glibc-tunables): more service variables for all four modules alike, in
  // their manifests before signing, so the sandboxes and the host processes (hostEnv) both get them.
  if (opts.env)
    for (const dir of dirs) {
      const file = join(dir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      Object.assign(manifest.service.env, opts.env);
      writeFileSync(file, JSON.stringify(manifest, null, 2));
    }
  for (const dir of dirs)
    run(['repo', 'build', dir, '--repo', join(work, 'repo'), '--key', join(work, 'key/signing-key.asc')]);
  const [embeddings, vectors, llm, rag] = dirs;
  return { work, names, fingerprint: key.fingerprint, sources: { embeddings, vectors, llm, rag } };
}

export function sandboxed(stack, chat) {
  const { work, names } = stack;
  const boxRoot = join(work, 'root');
  const bpkg = (...a) => run(['--root', boxRoot, '--yes', 'pkg', ...a]);
  bpkg('key', 'add', join(work, 'key/signing-key.pub.asc'), '--fingerprint', stack.fingerprint);
  bpkg('repo', 'add', 'main', join(work, 'repo'));
  bpkg('update');
  bpkg('install', names.rag);
  run(['--root', boxRoot, 'service', 'start', names.rag]);
  const sock = (n) => join(boxRoot, 'run/blueprint/services', n, 'api.sock');
  let usage;
  return {
    ...client(
      { rag: sock(names.rag), embeddings: sock(names.embeddings), vectors: sock(names.vectors) },
      chat,
      // The box names the module (BLUEPRINT_MODULE): a rag not named `rag` keeps MODULE@NAME
      // (modules/rag/server/names.ts vectorsName).
      names.rag === 'rag' ? 'rag-default' : `${names.rag}@default`,
    ),
    names,
    /** CPU time (ms) the rag, embeddings and vectors sandboxes have used: their cgroups' cpuacct. */
    cpuMs() {
      usage ??= [names.rag, names.embeddings, names.vectors].map(cpuacctFile);
      return usage.reduce((ms, f) => ms + (f ? Number(readFileSync(f, 'utf8')) / 1e6 : Number.NaN), 0);
    },
    /** The same, each sandbox apart (as processes' cpuMsByRole, so the report sets them side by side). */
    cpuMsByRole() {
      usage ??= [names.rag, names.embeddings, names.vectors].map(cpuacctFile);
      const ms = (f) => (f ? Number(readFileSync(f, 'utf8')) / 1e6 : Number.NaN);
      return { embeddings: ms(usage[1]), vectors: ms(usage[2]), rag: ms(usage[0]) };
    },
    /** The embeddings service's memory now (its Node process in the sandbox, seen from the host). */
    embeddingsMemory: () => memoryOf(nodeIn(containerPid(names.embeddings))),
    close() {
      this.closeClient();
      try {
        bpkg('remove', names.rag, names.llm, names.vectors, names.embeddings);
      } catch (err) {
        console.error(`could not remove the bench's packages: ${err.message}`);
      }
    },
  };
}

/** The cpuacct.usage file (ns) of the container of service `name` (cgroup v1, Podman's cgroupfs), if found. */
function cpuacctFile(name) {
  try {
    const pid = execFileSync('podman', ['inspect', '--format', '{{.State.Pid}}', `blueprint-${name}`], {
      encoding: 'utf8',
    }).trim();
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => /^\d+:([^:]*,)?cpuacct(,[^:]*)?:/.test(l));
    const file = line && join('/sys/fs/cgroup/cpuacct', line.split(':')[2], 'cpuacct.usage');
    return file && existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The host pid of the container of service `name`, if found. */
function containerPid(name) {
  try {
    return Number(
      execFileSync('podman', ['inspect', '--format', '{{.State.Pid}}', `blueprint-${name}`], {
        encoding: 'utf8',
      }).trim(),
    );
  } catch {
    return undefined;
  }
}

/** `pid` if it runs node, else its first child that does (an init in the container), if any. */
function nodeIn(pid) {
  if (!pid) return undefined;
  // The command line, not comm: Node 24 names its main thread "MainThread".
  const isNode = (p) => /(^|\/)node\0/.test(readFileSync(`/proc/${p}/cmdline`, 'latin1'));
  try {
    if (isNode(pid)) return pid;
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/))
      if (c && isNode(c)) return Number(c);
  } catch {}
  return undefined;
}

/**
 * Resident memory and how much of it is transparent huge pages (MiB) of process `pid`: whether
 * each way's engine got the huge pages GLIBC_TUNABLES=glibc.malloc.hugetlb=1 asks for (the engine
 * is 16-25 % faster with them), so a run where one side did not is told apart.
 */
export function memoryOf(pid) {
  try {
    const r = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(r)?.[1] ?? Number.NaN);
    return { rssMiB: Math.round(kb('Rss') / 1024), hugeMiB: Math.round(kb('AnonHugePages') / 1024) };
  } catch {
    return undefined;
  }
}

/** CPU time (ms) process `pid` has used, all its threads: /proc/PID/stat utime + stime (USER_HZ 100). */
function processCpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** A package's service env as the sandbox would give it, its paths mapped into `here` and its package. */
function hostEnv(source, here, threads) {
  const env = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')).service.env;
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === '/models') out[k] = join(source, 'payload/models');
    else if (v.startsWith('/var/lib/')) out[k] = join(here, v.slice('/var/lib/'.length));
    else out[k] = v;
  }
  // What the container's cgroup would have told them, and no second hash check of the model.
  return {
    ...out,
    EMBEDDINGS_THREADS: String(threads),
    LLM_THREADS: String(threads),
    EMBEDDINGS_VERIFY: 'off',
    LLM_VERIFY: 'off',
    EMBEDDINGS_DEVICE: 'cpu',
    LLM_DEVICE: 'cpu',
  };
}

/** The image root's /app of a package source: rootfs/ARCH/app (one root per architecture) or rootfs/app. */
function appOf(source) {
  const flat = join(source, 'rootfs/app');
  if (existsSync(flat)) return flat;
  const { arch } = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));
  return join(source, 'rootfs', arch, 'app');
}

/** The Node flags of a package's image (its Containerfile's ENTRYPOINT), so a host process runs as the container. */
function nodeFlags(source) {
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(source, 'Containerfile'), 'utf8'))?.[1] ?? '';
  return JSON.parse(`[${entry}]`).filter((a) => a.startsWith('--'));
}

async function serve(server, env, socket, cpus, flags = []) {
  // RAG_BENCH_CPU_PROF=DIR: each host process writes a V8 CPU profile there when it stops.
  const prof = process.env.RAG_BENCH_CPU_PROF;
  const profile = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = spawn(process.execPath, [...flags, ...profile, server], {
    env: { PATH: process.env.PATH, BLUEPRINT_SOCKET: socket, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const undo = cpus ? likeAContainer(child.pid, cpus) : undefined;
  if (undo) child.once('exit', () => undo());
  let log = '';
  child.stderr.on('data', (c) => {
    log += c;
  });
  for (let i = 0; i < 1200 && !/serving /.test(log); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!/serving /.test(log)) throw new Error(`${server} did not start: ${log}`);
  return child;
}

/** `cpus`: each process in a CPU group like a container's with this quota (none: the root group). */
export async function processes(stack, chat, threads, cpus) {
  const here = join(stack.work, 'processes');
  const { sources: s, names } = stack;
  const sockets = {};
  const children = [];
  const env = {};
  for (const role of ['embeddings', 'vectors', 'llm']) {
    env[role] = hostEnv(s[role], join(here, role), threads);
    // RAG_BENCH_EMBEDDINGS_ENV='K=V K2=V2' (probes): the embeddings host process with these set.
    if (role === 'embeddings' && process.env.RAG_BENCH_EMBEDDINGS_ENV)
      for (const kv of process.env.RAG_BENCH_EMBEDDINGS_ENV.split(/\s+/).filter(Boolean)) {
        const [k, v] = kv.split(/=(.*)/s);
        env[role][k] = v;
      }
    for (const v of Object.values(env[role]))
      if (v.startsWith(here)) mkdirSync(join(v, '..'), { recursive: true });
    mkdirSync(join(here, role), { recursive: true });
    sockets[role] = join(here, `${role}.sock`);
    const server = join(appOf(s[role]), role === 'llm' ? 'llm/dist/server.mjs' : 'server.mjs');
    children.push(await serve(server, env[role], sockets[role], cpus, nodeFlags(s[role])));
  }
  const wiring = {};
  for (const role of ['embeddings', 'vectors', 'llm'])
    wiring[`BLUEPRINT_USES_${names[role].toUpperCase().replaceAll('-', '_')}_SOCKET`] = sockets[role];
  // rag's clock in its Server-Timing: the bench splits the client<->rag exchange with it.
  const ragEnv = { ...hostEnv(s.rag, join(here, 'rag'), threads), RAG_TIMING_CLOCK: '1' };
  mkdirSync(join(ragEnv.RAG_DATA_DIR), { recursive: true });
  sockets.rag = join(here, 'rag.sock');
  children.push(
    await serve(
      join(appOf(s.rag), 'server.mjs'),
      { ...ragEnv, ...wiring },
      sockets.rag,
      cpus,
      // RAG_BENCH_RAG_FLAGS='--flag ...' (probes): rag's host process with these Node flags besides its own.
      [...nodeFlags(s.rag), ...(process.env.RAG_BENCH_RAG_FLAGS ?? '').split(/\s+/).filter(Boolean)],
    ),
  );
  const retrieval = [children[0], children[1], children[3]]; // embeddings, vectors, rag (not llm)
  const api = client(sockets, chat);
  return {
    ...api,
    /** CPU time (ms) the rag, embeddings and vectors processes have used (10 ms ticks). */
    cpuMs: () => retrieval.reduce((ms, c) => ms + processCpuMs(c.pid), 0),
    /** The same, each process apart. */
    embeddingsMemory: () => memoryOf(retrieval[0].pid),
    /** The processes' ids by role (probes read their threads' scheduler counters). */
    pids: () => ({ embeddings: retrieval[0].pid, vectors: retrieval[1].pid, rag: retrieval[2].pid }),
    cpuMsByRole: () => ({
      embeddings: processCpuMs(retrieval[0].pid),
      vectors: processCpuMs(retrieval[1].pid),
      rag: processCpuMs(retrieval[2].pid),
    }),
    close: async () => {
      api.closeClient();
      for (const c of children.reverse()) {
        c.kill('SIGTERM');
        if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
      }
    },
  };
}
