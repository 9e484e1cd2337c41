/**
 * One memory estimate (modules/llm/server/estimate.ts) for the start's admission, the model pool's
 * budget and the manifest's limit: node-llama-cpp's GgufInsights without loading, else the
 * service's own, said why. At the edge, a limit of exactly what the estimates say lets the default
 * start and the other load beside it (the pool refuses nothing the start let in); a byte less
 * refuses the start, with the numbers. The service's bundle as its own process, two model packages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GgufInsights, readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, memoryFor, placeRuntimeFiles } from '../../modules/llm/package.js';
import { estimateNeeds, MAX_TENSORS } from '../../modules/llm/server/estimate.js';
import { RUNTIME_BYTES } from '../../modules/llm/server/memory.js';
import { tempDir } from '../setup/temp-registry.js';
import { F32, FIXTURE_MODELS, ollamaOnSocket, Q8, twoModelPackages } from './helpers.js';

const dir = tempDir('llm-estimate-edge-');
const server = join(dir, 'app/llm/dist/server.mjs');
const children: ChildProcess[] = [];
const at = { context: 256, parallel: 1 };

/** The service serving both packages under LLM_MEMORY_LIMIT `limit`: its log once it listens or exits. */
function serve(limit: number, socket: string): Promise<{ log: string; exited: boolean }> {
  const child = spawn(process.execPath, [server], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BLUEPRINT_SOCKET: socket,
      LLM_FILES_ROOT: FIXTURE_MODELS,
      BLUEPRINT_PACKAGES: twoModelPackages(),
      LLM_CONTEXT: String(at.context),
      LLM_MEMORY_LIMIT: String(limit),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
    },
  });
  children.push(child);
  let log = '';
  child.stderr!.setEncoding('utf8');
  return new Promise((done) => {
    child.stderr!.on('data', (d: string) => {
      log += d;
      if (/limits: [^\n]*\n/.test(log)) done({ log, exited: false });
    });
    child.on('close', () => done({ log, exited: true }));
  });
}

beforeAll(async () => {
  await bundleServer(server);
  placeRuntimeFiles(join(dir, 'app'));
}, 120_000);
afterAll(() => {
  for (const c of children) c.kill();
});

describe('llm: one memory estimate', () => {
  it("is node-llama-cpp's own, read without loading: weights, KV cache and buffers at the context", async () => {
    const e = await estimateNeeds(F32, at);
    expect(e.by).toBe('node-llama-cpp');
    const insights = await GgufInsights.from(await readGgufFileInfo(F32, { readTensorInfo: true }));
    const ctx = insights.estimateContextResourceRequirements({
      contextSize: 256,
      sequences: 1,
      modelGpuLayers: 0,
      flashAttention: false,
    }).cpuRam;
    expect(e.weights).toBe(insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam);
    expect(e.kvCache).toBe(ctx);
    expect(e.total).toBe(e.weights + ctx + RUNTIME_BYTES);
    // The manifest's limit (what `blueprint service start` admits) is this estimate with headroom.
    expect(Number.parseInt(await memoryFor(F32, 256, 1), 10) * 2 ** 20).toBeGreaterThanOrEqual(e.total);
  });

  it("is the service's own, said why, for a tensor table past the bound (not walked)", async () => {
    const big = join(dir, 'big-table.gguf');
    copyFileSync(F32, big);
    const fd = openSync(big, 'r+');
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(BigInt(MAX_TENSORS + 1));
    writeSync(fd, count, 0, 8, 8);
    closeSync(fd);
    const e = await estimateNeeds(big, at);
    expect(e.by).toBe('own');
    expect(e.why).toMatch(/tensor table lists 1048577 tensors/);
    expect(e.total).toBeGreaterThan(RUNTIME_BYTES);
  });

  it('at exactly the estimates, the default starts and the other loads beside it; a byte less refuses the start', async () => {
    const [f32, q8] = [await estimateNeeds(F32, at), await estimateNeeds(Q8, at)];
    mkdirSync(join(dir, 's'), { recursive: true });
    // Both, the runtime counted once: nothing unloaded for the other.
    const both = f32.total + q8.total - RUNTIME_BYTES;
    const a = await serve(both, join(dir, 's/both.sock'));
    expect(a.exited).toBe(false);
    expect(a.log).toContain("memory of tiny-llama: node-llama-cpp's estimate");
    expect(a.log).toContain(`memory: needs ${Math.ceil(f32.total / 2 ** 20)} MiB`);
    expect(a.log).not.toContain('cannot load here');
    const client = ollamaOnSocket(join(dir, 's/both.sock'));
    const r = await client.generate({
      model: 'tiny-llama-q8',
      prompt: 'Hi',
      stream: false,
      options: { num_predict: 1 },
    });
    expect(r.done).toBe(true);
    expect((await client.ps()).models.map((m) => m.name).sort()).toEqual([
      'tiny-llama-q8:latest',
      'tiny-llama:latest',
    ]);
    // The default alone at exactly its estimate: the start's check and the pool's both let it in.
    const b = await serve(f32.total, join(dir, 's/exact.sock'));
    expect(b.exited).toBe(false);
    expect((await ollamaOnSocket(join(dir, 's/exact.sock')).ps()).models.map((m) => m.name)).toEqual([
      'tiny-llama:latest',
    ]);
    // A byte less: refused at start, both numbers said.
    const c = await serve(f32.total - 1, join(dir, 's/less.sock'));
    expect(c.exited).toBe(true);
    expect(c.log).toMatch(
      /cannot start: the model needs \d+ MiB \(weights 1 MiB \+ KV cache 3 MiB \+ overhead 160 MiB\)/,
    );
  }, 180_000);
});
