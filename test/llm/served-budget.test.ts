/**
 * The service's bundle as its own process serving two model packages under a memory limit that
 * holds the default or the other, not both (LLM_MEMORY_LIMIT, as the container's cgroup limit is
 * read): the start loads the default only, and the first request for the other unloads the idle
 * default to make room (main.ts's wiring of each GGUF's estimate and the limit into the model pool;
 * the pool's own cases are keep-alive.test.ts's).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.js';
import { estimateNeeds } from '../../modules/llm/server/estimate.js';
import { RUNTIME_BYTES } from '../../modules/llm/server/memory.js';
import { tempDir } from '../setup/temp-registry.js';
import { F32, FIXTURE_MODELS, ollamaOnSocket, Q8, twoModelPackages } from './helpers.js';

const dir = tempDir('llm-served-budget-');
const server = join(dir, 'app/llm/dist/server.mjs');
const socket = join(dir, 'api.sock');
let child: ChildProcess | undefined;
let log = '';

/** What main.ts estimates for a model at 256 tokens, one sequence (estimate.ts, its one estimate). */
async function need(file: string): Promise<number> {
  return (await estimateNeeds(file, { context: 256, parallel: 1 })).total;
}

beforeAll(async () => {
  await bundleServer(server);
  placeRuntimeFiles(join(dir, 'app'));
  const [f32, q8] = [await need(F32), await need(Q8)];
  // The default fits; the default and the other together do not (the runtime counted once).
  const limit = f32 + Math.floor((q8 - RUNTIME_BYTES) / 2);
  child = spawn(process.execPath, [server], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BLUEPRINT_SOCKET: socket,
      LLM_FILES_ROOT: FIXTURE_MODELS,
      BLUEPRINT_PACKAGES: twoModelPackages(),
      LLM_CONTEXT: '256',
      LLM_MEMORY_LIMIT: String(limit),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
    },
  });
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((ready, fail) => {
    child!.stderr!.on('data', (d: string) => {
      log += d;
      if (/limits: [^\n]*\n/.test(log)) ready();
    });
    child!.on('close', (code) => fail(new Error(`the service exited (${code}): ${log}`)));
  });
}, 120_000);
afterAll(() => {
  child?.kill();
});

describe('llm: two models under a memory limit that holds one', () => {
  it('the default is loaded at start; the other, asked for, takes the idle default’s place', async () => {
    expect(log).toMatch(
      /serving tiny-llama \(F32[^\n]*the default; also tiny-llama-q8, each loaded at its first request/,
    );
    const client = ollamaOnSocket(socket);
    expect((await client.ps()).models.map((m) => m.name)).toEqual(['tiny-llama:latest']);
    // Not loaded yet: its GGUF's header says what it is.
    const tags = await client.list();
    expect(tags.models.map((m) => [m.name, m.details.quantization_level])).toEqual([
      ['tiny-llama:latest', 'F32'],
      ['tiny-llama-q8:latest', 'Q8_0'],
    ]);
    const r = await client.generate({
      model: 'tiny-llama-q8',
      prompt: 'Hi',
      stream: false,
      options: { num_predict: 2 },
    });
    expect(r.done).toBe(true);
    expect(r.load_duration).toBeGreaterThan(0);
    expect((await client.ps()).models.map((m) => m.name)).toEqual(['tiny-llama-q8:latest']);
    expect(log).toContain('unloaded model tiny-llama (room for tiny-llama-q8)');
  }, 120_000);
});
