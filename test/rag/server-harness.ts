/**
 * The rag service and the three it uses, each as its container runs it but without the sandbox:
 * the esbuild bundles in their own Node 24 processes on unix sockets in a temporary folder, wired
 * by the same BLUEPRINT_USES_NAME_SOCKET variables the services layer sets. Embeddings serve the
 * GloVe model (word vectors with meaning, so topics separate), llm the tiny test llama.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { bundleServer as bundleLlm, placeRuntimeFiles } from '../../modules/llm/package.js';
import { bundleServer as bundleRag } from '../../modules/rag/package.js';
import { defaultModelCache, ensureGloveModel, GLOVE_MODEL } from '../../scripts/models/glove.js';
import { bundle as bundleEmbeddings, serve as serveEmbeddings } from '../embeddings/served.js';
import { type ServedProcess, spawnServed } from '../helpers/served-module.js';
import { FIXTURE_MODELS } from '../llm/helpers.js';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';
import { bundle as bundleVectors, newDataDir, serve as serveVectors } from '../vectors/served.js';

const repo = resolve(import.meta.dirname, '../..');
const cache = join(repo, 'node_modules/.cache/blueprint-rag-test');

/** A served bundle: the same handle the shared helper gives (socket, pid, log, exit, kill, stop). */
export type Proc = ServedProcess;

/** Spawns a bundle and waits for its "serving" line (the shared helper, with rag's longer waits). */
export function spawnServer(
  file: string,
  env: Record<string, string>,
  socket: string,
  ready = /serving /,
): Promise<Proc> {
  return spawnServed(file, env, socket, { ready, startMs: 120_000, killAfterMs: 15_000 });
}

export interface Stack {
  dir: string;
  embeddings: { socket: string; stop(): Promise<unknown> };
  vectors: { socket: string; stop(): Promise<unknown> };
  llm: Proc;
  ragFile: string;
  /** The embeddings bundle, to start another model's service. */
  embeddingsFile: string;
  /** Env that wires a rag process to the three. */
  wiring: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'stack-'));
  const models = defaultModelCache();
  ensureGloveModel(models);
  const llmApp = join(dir, 'llm-app');
  const llmFile = join(llmApp, 'llm/dist/server.mjs');
  // Outside any node_modules, as in the image: the bundle must need nothing beside it.
  const ragDir = tempDir('rag-bundle-');
  const ragFile = join(ragDir, 'server.mjs');
  const [embFile, vecFile] = await Promise.all([
    bundleEmbeddings(),
    bundleVectors(),
    bundleLlm(llmFile).then(() => placeRuntimeFiles(llmApp)),
    bundleRag(ragFile),
  ]);
  const embeddings = await serveEmbeddings(embFile, {
    EMBEDDINGS_MODEL_DIR: models,
    EMBEDDINGS_MODEL: GLOVE_MODEL,
  });
  const vectors = await serveVectors(vecFile, newDataDir());
  const llm = await spawnServer(
    llmFile,
    {
      LLM_MODEL_DIR: FIXTURE_MODELS,
      LLM_MODEL: 'tiny-llama',
      LLM_VERIFY: 'off',
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
    },
    join(dir, 'llm.sock'),
  );
  return {
    dir,
    embeddings,
    vectors,
    llm,
    ragFile,
    embeddingsFile: embFile,
    wiring: {
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: embeddings.socket,
      BLUEPRINT_USES_VECTORS_SOCKET: vectors.socket,
      BLUEPRINT_USES_LLM_SOCKET: llm.socket,
    },
    stop: async () => {
      await Promise.allSettled([embeddings.stop(), vectors.stop(), llm.stop()]);
      rmSync(dir, { recursive: true, force: true });
      dropTempDir(ragDir);
    },
  };
}

/** Starts rag on the stack with this data folder. */
export function startRag(stack: Stack, dataDir: string, env: Record<string, string> = {}): Promise<Proc> {
  const socket = join(stack.dir, `rag-${Math.random().toString(36).slice(2, 8)}.sock`);
  return spawnServer(stack.ragFile, { ...stack.wiring, RAG_DATA_DIR: dataDir, ...env }, socket);
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP request over a unix socket; the body as bytes, text or JSON. */
export function http(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((done, fail) => {
    const payload =
      body === undefined
        ? undefined
        : body instanceof Uint8Array
          ? body
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const json = body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string';
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {}
          done({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed });
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/** The points vectors holds in `collection` (of `document` alone when given), counted exactly. */
export async function pointCount(stack: Stack, collection: string, document?: string): Promise<number> {
  const filter =
    document === undefined ? {} : { filter: { must: [{ key: 'document', match: { value: document } }] } };
  const path = `/collections/${encodeURIComponent(collection)}/points/count`;
  const r = await http(stack.vectors.socket, 'POST', path, { ...filter, exact: true });
  return (r.json as { result: { count: number } }).result.count;
}

/**
 * The admin's own collection `name`, made through vectors' API and not by rag (the name is anyone's
 * to give), holding `points` of the embedding of 'my own note'. Returns that embedding.
 */
export async function adminsOwnCollection(
  stack: Stack,
  name: string,
  points: (vector: number[]) => unknown[],
): Promise<number[]> {
  const [vector] = (await http(stack.embeddings.socket, 'POST', '/embed', { inputs: ['my own note'] }))
    .json as number[][];
  const made = await http(stack.vectors.socket, 'PUT', `/collections/${name}`, {
    vectors: { size: vector!.length, distance: 'Cosine' },
  });
  expect(made.status, made.text).toBe(200);
  const put = await http(stack.vectors.socket, 'PUT', `/collections/${name}/points?wait=true`, {
    points: points(vector!),
  });
  expect(put.status, put.text).toBe(200);
  return vector!;
}
