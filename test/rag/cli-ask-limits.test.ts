import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../modules/rag/package.js';
import { run, tempDir } from '../helpers/pkg.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { register } from './fake-rag-module.js';
import { spawnServer } from './server-harness.js';

// QA10's walk: `blueprint rag ask` against the real rag server (its bundle, as its container runs
// it, on the socket the services layer gives it; the modules it uses absent, so a question it
// accepts is their 503). `--k 50` was taken by the CLI (1 to 100) and refused by the module's chat
// (1 to 32) after it was sent; a long question was refused as "'messages' is longer than 16384
// characters" with the hint "Send a smaller file.".

let root: string;
let rag: ServedProcess | undefined;
const ask = (...args: string[]) => run(['--root', root, 'rag', 'ask', ...args]);

beforeAll(async () => {
  root = tempDir('bp-rag-ask-');
  register(root, 'rag');
  const dir = tempDir('bp-rag-ask-bundle-');
  const file = join(dir, 'server.mjs');
  await bundleServer(file);
  const nowhere = join(dir, 'none.sock');
  mkdirSync(join(root, 'run/blueprint/services/rag'), { recursive: true });
  rag = await spawnServer(
    file,
    {
      RAG_DATA_DIR: join(dir, 'data'),
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: nowhere,
      BLUEPRINT_USES_VECTORS_SOCKET: nowhere,
      BLUEPRINT_USES_LLM_SOCKET: nowhere,
    },
    join(root, 'run/blueprint/services/rag/api.sock'),
  );
}, 180_000);
afterAll(() => rag?.stop());

describe('blueprint rag ask: its options and the question, as the rag module takes them', () => {
  it('--k takes what the module takes: 32 reaches it, 33 is refused before sending, and the help says so', async () => {
    const top = await ask('why?', '--k', '32');
    expect(top.code).toBe(1);
    expect(top.stderr).toContain('embeddings module is unavailable'); // asked: the module took k
    const over = await ask('why?', '--k', '33');
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('error: --k needs a whole number from 1 to 32');
    const help = await ask('--help');
    expect(help.stdout).toMatch(/--k N +How many chunks .*\(1 to 32, default 4\)/);
  });

  it("a question over the module's length: said as the question, with what to do", async () => {
    const r = await ask('a'.repeat(20_000));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: rag: the question is longer than 16384 characters');
    expect(r.stderr).toContain('hint: Ask a shorter question');
    expect(r.stderr).not.toContain('file');
    expect(r.stderr).not.toContain("'messages'");
  });
});

describe('blueprint rag remove against the real module', () => {
  // rag answers an id cut short with its own words for API clients (document-id-shape.test.ts):
  // the command says it its way, with no HTTP route in it. No document has it: nothing to do, exit
  // 0, as `bpkg remove` of a package not installed.
  it('an id cut short that no document has: exit 0, nothing to do, no HTTP route in it', async () => {
    const r = await run(['--root', root, 'rag', 'remove', '6debb0cf']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('rag: no document 6debb0cf, nothing to do\n');
    expect(r.stdout + r.stderr).not.toContain('/v1/');
  });
});
