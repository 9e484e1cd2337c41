import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * The QA5 walk: `service stop embeddings --force`, then `rag ingest DIR`. Every file was sent, and
 * every one failed with the same 503 ('the embeddings module is unavailable …') and the same hint:
 * a folder of 1,000 files gave 1,000 pairs of lines, each a request that could only fail. The run
 * now stops at the first such answer, as it does when rag itself is not running, saying how far it
 * got and that running it again after the start passes over what is in. A 503 that is rag's own
 * (busy) still fails that file alone. The built executable against a stand-in for the module.
 */
const root = tempDir('bp-rag-upstream-down-');
const posted: string[] = [];
let busyOwn = false;

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', () => {
    posted.push(sourceOf(req));
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
    const message = busyOwn
      ? 'busy: too many request bodies are being received; retry shortly'
      : 'the embeddings module is unavailable (ENOENT on /run/blueprint/uses/embeddings/api.sock); check it with: blueprint service status embeddings';
    res.end(JSON.stringify({ error: { message } }));
  });
});

const docs = tempDir('bp-rag-three-');
for (const n of [1, 2, 3]) writeFileSync(join(docs, `n${n}.txt`), `pump note ${n}\n`);

describe('rag ingest while a module rag uses is down', () => {
  it('stops at the first file, saying where and what to start', async () => {
    posted.length = 0;
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.code).toBe(1);
    expect(posted).toHaveLength(1);
    expect(r.stderr.match(/the embeddings module is unavailable/g)).toHaveLength(1);
    expect(r.stderr).toContain('n1.txt');
    expect(r.stderr).toContain('stopped: 1 of 3 files');
    expect(r.stderr).toContain(`\`blueprint --root ${root} service start embeddings\``);
    expect(r.stderr).toContain('run the same command again');
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'module-busy' });
  });

  it("rag's own busy answer fails that file and the others are still tried", async () => {
    posted.length = 0;
    busyOwn = true;
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    busyOwn = false;
    expect(r.code).toBe(1);
    expect(posted).toHaveLength(3);
    expect(r.stdout).toContain('0 indexed, 0 duplicates, 3 failed');
  });
});
