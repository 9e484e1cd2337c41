/**
 * The service's bundle as its own process (as in the container, without the sandbox): refusals at
 * start — a model that does not fit under the memory limit, a model file that does not match the
 * signed manifest's hash — each with a message that says why.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.js';
import { tempDir } from '../setup/temp-registry.js';
import { F32, FIXTURE_MODELS } from './helpers.js';

const dir = tempDir('llm-served-');
const server = join(dir, 'app/llm/dist/server.mjs');
const sha = createHash('sha256').update(readFileSync(F32)).digest('hex');
const files = { 'tiny-llama/tiny-llama-f32.gguf': sha };

beforeAll(async () => {
  await bundleServer(server);
  placeRuntimeFiles(join(dir, 'app'));
}, 60_000);

/**
 * Starts the service; resolves with its exit code and log once it exits, or once it logs that it
 * is serving (then it is stopped, and the code is null). No clock: its start (a model load and the
 * template renderer's own Node process) took seconds at load, and a kill after a fixed time failed
 * the start test on a loaded CI box; vitest's timeout is the bound.
 */
function start(env: Record<string, string>): Promise<{ code: number | null; log: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [server], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        BLUEPRINT_SOCKET: join(dir, 'api.sock'),
        LLM_MODEL_DIR: FIXTURE_MODELS,
        LLM_MODEL: 'tiny-llama',
        LLM_FILES_ROOT: FIXTURE_MODELS,
        LLM_FILES: JSON.stringify(files),
        LLM_DEVICE: 'cpu',
        LLM_THREADS: '1',
        ...env,
      },
    });
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      log += d;
      if (/serving [^\n]*\n/.test(log)) child.kill();
    });
    child.on('close', (code) => done({ code, log }));
  });
}

describe('llm service start-up checks', () => {
  it('refuses a model that does not fit under the memory limit, giving both numbers and what to do', async () => {
    const r = await start({ LLM_MEMORY_LIMIT: String(100 * 1024 * 1024) });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(
      /cannot start: the model needs \d+ MiB \(weights 1 MiB \+ KV cache \d+ MiB \+ overhead \d+ MiB\) but only 100 MiB is available; try .*smaller quantisation/,
    );
    expect(r.log).toContain('verified 1 model files'); // checked first, then measured, never loaded
    expect(r.log).not.toContain('serving');
  });

  it('refuses a model file whose SHA-256 is not the manifest’s, naming the file', async () => {
    const wrong = { 'tiny-llama/tiny-llama-f32.gguf': '0'.repeat(64) };
    const r = await start({ LLM_FILES: JSON.stringify(wrong) });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(
      /tiny-llama\/tiny-llama-f32\.gguf: sha256 [0-9a-f]{64} but the manifest says 0{64}/,
    );
  });

  it('starts with the memory it needs and logs the admission', async () => {
    const child = start({ LLM_MEMORY_LIMIT: String(1024 * 1024 * 1024) });
    const r = await child;
    expect(r.log).toMatch(/memory: needs \d+ MiB \(weights .*\) of 1024 MiB/);
    expect(r.log).toContain('serving tiny-llama (F32');
  });

  it('a model llama.cpp cannot load is named in the refusal, with what to do', async () => {
    // A model package whose signed GGUF llama.cpp refuses (its tensor data cut short here; an
    // architecture this llama.cpp does not know reads the same): the log said only "cannot start:
    // Failed to load model", not which of the installed models, nor what to do.
    const models = join(dir, 'cut-models');
    const cut = readFileSync(F32).subarray(0, 400_000);
    mkdirSync(join(models, 'cut'), { recursive: true });
    writeFileSync(join(models, 'cut/cut.gguf'), cut);
    const r = await start({
      LLM_MODEL_DIR: models,
      LLM_MODEL: '',
      LLM_FILES: '',
      BLUEPRINT_PACKAGES: JSON.stringify([
        {
          name: 'model-cut',
          version: '1.0.0',
          folder: 'cut',
          path: '/cut',
          files: { 'cut/cut.gguf': createHash('sha256').update(cut).digest('hex') },
        },
      ]),
      LLM_FILES_ROOT: models,
    });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(
      /cannot start: model cut \(model-cut 1\.0\.0\) did not load: .*remove it \(`blueprint model rm cut`\)/,
    );
  });
});
