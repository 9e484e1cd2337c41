import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { startLoneRag } from './lone-rag.js';

// QA10's walk: GET or DELETE /v1/documents/ID with an id cut short (its first 8 characters, as a
// log or a narrow table shows it) answered "no route /v1/documents/6debb0cf; try GET /info, POST
// /v1/retrieve, POST /v1/chat/completions": the route is there, the document is not, and the
// routes it listed left out every /v1/documents one.

let rag: ServedProcess | undefined;
beforeAll(async () => {
  rag = await startLoneRag('bp-rag-docid-');
}, 180_000);
afterAll(() => rag?.stop());

const call = (
  method: string,
  path: string,
): Promise<{ status: number; body: { error: { message: string; param: string | null } } }> =>
  new Promise((resolve, reject) => {
    const req = request({ socketPath: rag!.socket, method, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });

describe('rag: a document id that is not one', () => {
  it.each(['GET', 'DELETE'])(
    '%s of a short id: 404 no document, naming the id and where the ids are',
    async (m) => {
      const r = await call(m, '/v1/documents/6debb0cf');
      expect(r.status).toBe(404);
      expect(r.body.error.param).toBe('id');
      expect(r.body.error.message).toMatch(/^no document 6debb0cf: .*GET \/v1\/documents/);
      expect(r.body.error.message).not.toContain('no route');
    },
  );

  it('a whole id not there: as before', async () => {
    const r = await call('GET', '/v1/documents/6debb0cf-8096-411f-8958-359d89d3edee');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe('no document 6debb0cf-8096-411f-8958-359d89d3edee');
  });

  it('an unknown route lists the documents routes too', async () => {
    const r = await call('GET', '/v1/document');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain('no route /v1/document;');
    expect(r.body.error.message).toContain('/v1/documents');
    expect(r.body.error.message).toContain('POST /v1/retrieve');
  });
});
