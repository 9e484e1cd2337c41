/**
 * The rag bundle as its own process, as its container runs it, with the modules it uses absent
 * (their sockets name nothing): a document is parsed before any of them is asked, so a document
 * that parses is their 503. The parse-attack tests (test/security/rag-*) need only that much.
 */
import { createServer, get, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { bundleServer } from '../../modules/rag/package.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { tempDir } from '../setup/temp-registry.js';
import { spawnServer } from './server-harness.js';

/** Bundles rag into a fresh temporary folder and serves it there, with `env` added. */
export async function startLoneRag(prefix: string, env: Record<string, string> = {}): Promise<ServedProcess> {
  const dir = tempDir(prefix);
  const file = join(dir, 'server.mjs');
  await bundleServer(file);
  const nowhere = join(dir, 'none.sock');
  return spawnServer(
    file,
    {
      RAG_DATA_DIR: join(dir, 'data'),
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: nowhere,
      BLUEPRINT_USES_VECTORS_SOCKET: nowhere,
      BLUEPRINT_USES_LLM_SOCKET: nowhere,
      ...env, // a test may give a used module after all
    },
    join(dir, 'api.sock'),
  );
}

/**
 * The lone rag with an embeddings stand-in that answers only its /info (dimension 8, 256 tokens):
 * a document is parsed and chunked against that model's bound, and every embedding call is a 500.
 * `close` ends both.
 */
export async function startRagWithInfoOnlyEmbeddings(
  prefix: string,
): Promise<{ rag: ServedProcess; close: () => void }> {
  const socket = join(tempDir(`${prefix}emb-`), 'embeddings.sock');
  const embeddings = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/info') res.end(JSON.stringify({ model: 'fake', dimension: 8, max_tokens: 256 }));
    else res.writeHead(500).end('{}');
  });
  await new Promise<void>((r) => embeddings.listen(socket, r));
  const rag = await startLoneRag(prefix, { BLUEPRINT_USES_EMBEDDINGS_SOCKET: socket }).catch((err) => {
    embeddings.close();
    throw err;
  });
  return {
    rag,
    close: () => {
      rag.kill();
      embeddings.close();
    },
  };
}

/**
 * Markdown of `_a` that holds a parse worker for its whole budget (budget.ts), 360 KB: marked's
 * emphasis scan is quadratic, and this took ~70 s on the 2-core development VM against its 12.6 s
 * budget, so a machine five times faster still runs past it. The 120 KB the tests used before took
 * 8.2 s there against 7.5 s, and the CI's faster machine parsed three of four in time (a parsed
 * document's 503 where the test wanted the budget's 413).
 */
export const slowMarkdown = (tag: string | number): string => `# ${tag}\n\n${'_a'.repeat(180_000)}`;

/** What a parsed document is answered on a lone rag: [status, text], to compare with toEqual. */
export const PARSED = [503, expect.stringMatching(/embeddings module is unavailable/)];

export interface Ingested {
  status: number;
  text: string;
  ms: number;
}

/**
 * POSTs a document. No answer within `waitMs`, or a broken connection, is status 0 with the
 * error as its text, so that the test fails on its status and says why.
 */
export function ingest(
  socket: string,
  type: string,
  name: string,
  body: Buffer | string,
  waitMs = 90_000,
  headers: Record<string, string> = {},
): Promise<Ingested> {
  const started = Date.now();
  const data = Buffer.from(body);
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: `/v1/documents?source=${name}`,
        headers: { ...headers, 'content-type': type, 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            text: Buffer.concat(chunks).toString(),
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.setTimeout(waitMs, () => req.destroy(new Error(`no answer within ${waitMs / 1000} s`)));
    req.on('error', (err) => resolve({ status: 0, text: err.message, ms: Date.now() - started }));
    req.end(data);
  });
}

/**
 * Documents sent to one rag and not answered yet (name to bytes), so that a test can wait until rag
 * has received them all (`received`) before it sends the next one whose order it checks: a fixed
 * sleep ("all four are read and waiting by now") was outrun by a loaded machine.
 */
export class Unanswered {
  readonly bytes = new Map<string, number>();
  constructor(readonly socket: string) {}

  /** ingest(), counted until its answer. */
  ingest(
    type: string,
    name: string,
    body: Buffer | string,
    waitMs?: number,
    headers?: Record<string, string>,
  ): Promise<Ingested> {
    this.bytes.set(name, Buffer.byteLength(body));
    return ingest(this.socket, type, name, body, waitMs, headers).finally(() => this.bytes.delete(name));
  }

  /**
   * Until rag holds, or has waiting for room, exactly the documents not answered yet: each was
   * received whole and judged by the ingests' share (its /info `ingesting`). At most `ms`.
   */
  async received(ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const want = [...this.bytes.values()].reduce((a, b) => a + b, 0);
      const now = (await ingesting(this.socket)) ?? {};
      if (now.held !== undefined && now.held + (now.waiting ?? 0) === want) return;
      if (Date.now() > deadline)
        throw new Error(
          `rag's ingests ${JSON.stringify(now)} are not the ${want} bytes sent and not answered`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * rag's /info `ingesting`, on a connection of its own (agent: false): a kept-alive one, idle between
 * polls, would be taken by a document's POST and could be closed by the server as it is written.
 */
/**
 * POSTs the head of a document of `bytes` bytes, as curl does with `Expect: 100-continue` for a large
 * upload, and reads the answer: the service refuses such a length from the head, before any of the
 * body, and closes. (Sending the body too, as ingest() does, races that close: a write meeting it
 * fails with EPIPE and the client is torn down before it reads the answer, so a test saw status 0
 * now and then in the clean-clone CI.)
 */
export function ingestOversized(
  socket: string,
  type: string,
  name: string,
  bytes: number,
): Promise<Ingested> {
  const started = Date.now();
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const c = connect(socket, () =>
      c.write(
        `POST /v1/documents?source=${name} HTTP/1.1\r\nHost: rag\r\ncontent-type: ${type}\r\ncontent-length: ${bytes}\r\nexpect: 100-continue\r\n\r\n`,
      ),
    );
    c.on('data', (d: Buffer) => got.push(d));
    c.on('error', () => {});
    c.on('close', () => {
      const text = Buffer.concat(got).toString();
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        text: text.slice(text.indexOf('\r\n\r\n') + 4),
        ms: Date.now() - started,
      });
    });
  });
}

export function ingesting(socket: string): Promise<{ held?: number; waiting?: number } | undefined> {
  return new Promise((resolve) => {
    const req = get({ socketPath: socket, path: '/info', agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c;
      });
      res.on('end', () => {
        try {
          resolve((JSON.parse(text) as { ingesting?: { held: number; waiting: number } }).ingesting);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
  });
}
