/**
 * The manifest asks glibc for transparent huge pages on malloc's memory
 * (GLIBC_TUNABLES=glibc.malloc.hugetlb=1): where the host's THP mode is `madvise` (Debian's
 * default), nothing else asks for them, and ONNX Runtime's weights and buffers then sit on 4 KiB
 * pages; a single MiniLM-shaped query took ~25 % less time and CPU with them (README, 2026-12-01).
 * The service is started as its container starts it: the bundle with the manifest's environment.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelCache } from '../../scripts/models/glove.js';
import { ensureMinilmShapedModel, MINILM_SHAPED } from '../../scripts/models/minilm-shaped.js';
import { call } from './helpers.js';
import { bundle, type Served, serve } from './served.js';

const manifest = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../modules/embeddings/manifest.json'), 'utf8'),
) as { service: { env: Record<string, string> } };
/** The THP mode in brackets: always, madvise or never (undefined without THP). */
const thp = (() => {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
})();
const hugeMiB = (pid: number) =>
  Number(/AnonHugePages:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;

let file: string;
const running: Served[] = [];
/** The service with the manifest's environment (less `drop`), the MiniLM shape, 2 threads. */
async function start(drop: string[] = []): Promise<Served> {
  const env = Object.fromEntries(
    Object.entries(manifest.service.env).filter(
      ([k]) => !drop.includes(k) && (k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES'),
    ),
  );
  const s = await serve(file, {
    ...env,
    EMBEDDINGS_MODEL_DIR: defaultModelCache(),
    EMBEDDINGS_MODEL: MINILM_SHAPED,
    EMBEDDINGS_THREADS: '2',
  });
  running.push(s);
  return s;
}

beforeAll(async () => {
  ensureMinilmShapedModel(defaultModelCache());
  file = await bundle();
}, 120_000);
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  if (file) rmSync(dirname(file), { recursive: true, force: true });
});

describe.skipIf(thp !== 'madvise' && thp !== 'always')('huge pages for the model (issue 17)', () => {
  it("the manifest's environment puts the model's memory on transparent huge pages", async () => {
    expect(manifest.service.env.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
    const s = await start();
    const r = await call(s.socket, 'POST', '/v1/embeddings', { input: 'where is the volcano?' });
    expect(r.status).toBe(200);
    // The encoder's weights alone are ~40 MiB; a few huge pages could be anything's.
    expect(hugeMiB(s.pid)).toBeGreaterThan(32);
  }, 120_000);

  it.skipIf(thp !== 'madvise')(
    'without the tunable nothing asks for them where THP is madvise',
    async () => {
      const s = await start(['GLIBC_TUNABLES']);
      const r = await call(s.socket, 'POST', '/v1/embeddings', { input: 'where is the volcano?' });
      expect(r.status).toBe(200);
      expect(hugeMiB(s.pid)).toBeLessThan(8);
    },
    120_000,
  );
});
