import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Box, ServiceStatus } from '../../src/app/index.js';
import { pickInfo, readModuleInfo } from '../../src/core/services/module-info.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import type { LoadedRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { moduleInfoText, statusTable } from '../../src/present/services.js';
import { coreSources } from '../../src/tui/sources.js';
import { tempDir } from '../setup/temp-registry.js';

// The client side of `GET /info` on a module's socket. The server here stands in for a module
// (llm's /info answers the same fields); what is tested is what blueprint does with the answer.
const root = tempDir('bp-info-');

const LLM_INFO = {
  model: 'tiny-llama-q8',
  contextLength: 4096,
  trainedContextLength: 8192,
  quantisation: 'Q8_0',
  device: 'cpu',
  deviceReason: 'no GPU passed through',
  gpuLayers: 0,
  threads: 2,
  models: ['tiny-llama-q8'],
  memory: { estimateBytes: 1, limitBytes: 2 },
};

let n = 0;
function registration(): LoadedRegistration {
  const name = `info${++n}`;
  return {
    name,
    version: '1.0.0',
    prefix: path.join(root, 'opt/blueprint', name, '1.0.0'),
    spec: parseService({
      image: { id: `sha256:${'b'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/m', file: 'api.sock' },
    }),
    approvals: { outboundNetwork: false },
    imageId: `sha256:${'b'.repeat(64)}`,
  };
}

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

/** Listens on the module's socket as its server would. */
async function serve(
  reg: LoadedRegistration,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<IncomingMessage[]> {
  const dir = serviceDirs(root, reg.name).socketDir;
  mkdirSync(dir, { recursive: true });
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path.join(dir, 'api.sock'), r));
  return seen;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe("a module's /info, read over its unix socket", () => {
  it("reads llm's model, context and device, keeping flat fields only", async () => {
    const reg = registration();
    const seen = await serve(reg, (_req, res) => json(res, 200, LLM_INFO));
    const info = await readModuleInfo(root, reg);
    expect(seen[0]?.url).toBe('/info');
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(info).toEqual({
      model: 'tiny-llama-q8',
      contextLength: 4096,
      trainedContextLength: 8192,
      quantisation: 'Q8_0',
      device: 'cpu',
      deviceReason: 'no GPU passed through',
      gpuLayers: 0,
      threads: 2,
    });
    expect(moduleInfoText(info)).toBe(
      'model tiny-llama-q8, context 4096, device cpu (no GPU passed through)',
    );
    expect(moduleInfoText(info, true)).toBe('model tiny-llama-q8, context 4096, device cpu');
  });

  it("sends the module's access token when the admin set one", async () => {
    const reg = registration();
    const token = 'a-token-of-32-characters-or-so-1234';
    mkdirSync(serviceDirs(root, reg.name).dataDir, { recursive: true });
    writeFileSync(path.join(serviceDirs(root, reg.name).dataDir, 'access-token'), `${token}\n`);
    await serve(reg, (req, res) =>
      req.headers.authorization === `Bearer ${token}`
        ? json(res, 200, { model: 'with-token' })
        : json(res, 401, { error: 'missing or wrong access token' }),
    );
    expect(await readModuleInfo(root, reg)).toEqual({ model: 'with-token' });
  });

  it('no info, never an error: refused, missing, not JSON, not an object, no socket', async () => {
    const answers: Array<(res: ServerResponse) => void> = [
      (res) => json(res, 401, { model: 'x' }),
      (res) => json(res, 404, { error: 'not found' }),
      (res) => res.end('model: x'),
      (res) => json(res, 200, ['model', 'x']),
    ];
    for (const answer of answers) {
      const reg = registration();
      await serve(reg, (_req, res) => answer(res));
      expect(await readModuleInfo(root, reg)).toBeNull();
    }
    expect(await readModuleInfo(root, registration())).toBeNull();
  });

  it('bounded: a huge answer and one that never ends give no info', async () => {
    const huge = registration();
    await serve(huge, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // No content-length: the reader must count what arrives.
      res.write(`{"model":"${'x'.repeat(200_000)}`);
      res.end('"}');
    });
    expect(await readModuleInfo(root, huge)).toBeNull();
    const stuck = registration();
    await serve(stuck, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"model":'); // and nothing more
    });
    expect(await readModuleInfo(root, stuck, { timeoutMs: 300 })).toBeNull();
  });

  it('untrusted text: controls are shown, not acted on, and long values cut', async () => {
    const reg = registration();
    await serve(reg, (_req, res) =>
      json(res, 200, {
        model: 'evil\x1b]0;owned\x07\x1b[2J',
        device: 'cpu\u202e',
        deviceReason: 'r'.repeat(500),
        'bad key': 'dropped',
        __proto__x: 'dropped',
      }),
    );
    const info = await readModuleInfo(root, reg);
    expect(Object.keys(info!).sort()).toEqual(['device', 'deviceReason', 'model']);
    expect(String(info!.deviceReason).length).toBe(200);
    const text = moduleInfoText(info);
    expect(text).not.toMatch(/[\x1b\x07\u202e]/);
    expect(text).toContain('model evil\\x1b]0;owned\\x07\\x1b[2J');
    expect(text).toContain('device cpu\\u{202e}');
  });

  it('an llm serving several models says them all, the default first (as `ollama ps` lists what is loaded)', () => {
    // /info's `models`: each model served, with its id; only the default's fields are flat.
    const info = pickInfo({
      ...LLM_INFO,
      model: 'tiny-q8',
      models: [{ id: 'tiny-q8', contextLength: 256 }, { id: 'tiny' }, { id: 'evil\x1b[2J' }, { nope: 1 }],
    });
    expect(info?.models).toBe('tiny-q8, tiny, evil\x1b[2J');
    expect(moduleInfoText(info)).toMatch(
      /^model tiny-q8 \(default; also tiny, evil\\x1b\[2J\), context 4096, /,
    );
    // One model: as before.
    expect(moduleInfoText(pickInfo({ ...LLM_INFO, models: [{ id: LLM_INFO.model }] }))).toMatch(
      /^model tiny-llama-q8, context 4096/,
    );
  });

  it('an llm loading models on demand: which are loaded now, and until when if idle', () => {
    // /info's `models` with `loaded` and `expiresAt` (null: kept while the service runs).
    const info = pickInfo({
      ...LLM_INFO,
      model: 'tiny',
      models: [
        { id: 'tiny', loaded: true, expiresAt: null },
        { id: 'q8', loaded: true, expiresAt: '2026-06-01T10:05:00.000Z' },
        { id: 'big', loaded: false },
        { id: 'evil', loaded: true, expiresAt: '\x1b[2J' },
      ],
    });
    expect(info?.models).toBe('tiny, q8, big, evil');
    expect(info?.loaded).toBe('tiny, q8@2026-06-01T10:05:00.000Z, evil@\x1b[2J');
    // The module's text is escaped, a time that is not one included.
    expect(moduleInfoText(info)).toMatch(
      /^model tiny \(default; also q8, big, evil\), loaded tiny, q8 until 10:05 UTC, evil until \\x1b\[2J, context 4096, /,
    );
    // One model, loaded and kept: nothing more to say than before.
    const one = pickInfo({
      ...LLM_INFO,
      model: 'tiny',
      models: [{ id: 'tiny', loaded: true, expiresAt: null }],
    });
    expect(moduleInfoText(one)).toMatch(/^model tiny, context 4096/);
    // Its one model unloaded (a request's keep_alive 0): said so.
    const none = pickInfo({ ...LLM_INFO, model: 'tiny', models: [{ id: 'tiny', loaded: false }] });
    expect(moduleInfoText(none)).toMatch(/^model tiny, loaded none, context 4096/);
  });

  it('at most 32 fields are kept', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(pickInfo(many)!)).toHaveLength(32);
  });

  it('`service status` shows it under the table', () => {
    const row = {
      name: 'llm',
      version: '0.1.0',
      containerVersion: '0.1.0',
      state: 'running',
      health: 'healthy',
      uptimeSeconds: 5,
      restarts: 0,
      memoryBytes: 1024,
      cpuPercent: 1,
      pids: 3,
      rating: { score: 8, max: 8, items: [] },
      info: { model: 'tiny', contextLength: 512, device: 'cpu', deviceReason: 'no GPU' },
      uses: [],
      usedBy: [],
    } as unknown as ServiceStatus;
    expect(statusTable([row]).split('\n').slice(-2)).toEqual([
      '',
      'llm: model tiny, context 512, device cpu (no GPU)',
    ]);
    expect(statusTable([{ ...row, info: null }])).not.toContain('model');
  });

  it("the console's services screen shows it in the row's detail, escaped", async () => {
    const status = {
      name: 'llm',
      version: '0.1.0',
      state: 'running',
      health: 'healthy',
      memoryBytes: null,
      uses: [],
      usedBy: [],
      info: { model: 'tiny\x1b[31m', contextLength: 512, device: 'cpu', deviceReason: 'no GPU' },
    };
    const box = {
      root,
      services: {
        registrations: async () => [
          { name: 'llm', version: '0.1.0', network: 'loopback-socket', outboundApproved: false },
        ],
        listAll: async () => ({ services: [status], damaged: [] }),
      },
    } as unknown as Box;
    const rows = await coreSources(box).services();
    expect(rows.available && rows.value[0]?.detail).toBe(
      '0.1.0 net:loopback-socket model tiny\\x1b[31m, context 512, device cpu healthy',
    );
  });
});
