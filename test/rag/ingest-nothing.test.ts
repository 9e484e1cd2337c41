import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ingest ~/manuals` where the folder holds only .docx files (or nothing): '0 indexed,
 * 0 duplicates, 0 failed', exit 0, as if the manuals were in. It says that no file of the types
 * it reads was found, and what to do (exit 3); nothing is sent to the module. The built executable
 * against a unix-socket server standing in for the rag module (as test/rag/cli-errors does).
 */
const root = tempDir('bp-rag-nothing-');
let server: Server;
const seen: string[] = [];

beforeAll(async () => {
  const prefix = join(root, 'opt/blueprint/rag/0.1.0');
  mkdirSync(prefix, { recursive: true });
  const dir = join(root, 'var/lib/blueprint/services/rag');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '0.1.0.json'),
    JSON.stringify({
      name: 'rag',
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: { socket: { dir: '/run/rag', file: 'api.sock' }, network: 'loopback-socket' },
    }),
  );
  const socketDir = join(root, 'run/blueprint/services/rag');
  mkdirSync(socketDir, { recursive: true });
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(join(socketDir, 'api.sock'), r));
});
afterAll(() => server?.close());

describe('rag ingest of folders with no file it reads', () => {
  it('says so (exit 3) with what to do, and sends nothing', async () => {
    const docs = tempDir('bp-rag-docx-');
    writeFileSync(join(docs, 'manual.docx'), 'PK');
    writeFileSync(join(docs, 'photo.png'), 'x');
    const empty = tempDir('bp-rag-empty-');
    const r = await run(['--root', root, 'rag', 'ingest', docs, empty]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`error: No .txt .md .html .htm .pdf file in ${docs}, ${empty}`);
    expect(r.stderr).toMatch(/hint: .*\.pdf/);
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not-found' });
    expect(seen).toEqual([]);
  });
});
