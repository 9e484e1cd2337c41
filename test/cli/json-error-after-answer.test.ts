/**
 * `--json` promises one JSON document on stdout (or, for a command that follows, one object a
 * line). An error that came after the command had written there (`service logs -f --json` whose
 * engine connection broke mid-stream; a signal to a command that never took its signal) was written
 * as a second, pretty-printed document after the answer: a reader parsing stdout line by line or as
 * one document failed on it. Once stdout holds output, the error now goes to stderr only, with the
 * exit code saying it failed, as the executable's last resort already did (reportUncaught).
 * The broken connection itself was reported as "aborted", a bug in blueprint (exit 1): it is now the
 * engine's error (exit 6) naming what it was doing, with how to check the engine.
 * Also: the "stdout used" mark is per command line, so a run in the same process (tests) after one
 * that answered still writes its error document.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';

/** A docker log frame: stream 1 (stdout), its length, the bytes. */
function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

let server: http.Server | undefined;
afterEach(() => server?.close());

/** An engine that has the container, sends one log line when following, then breaks the connection. */
async function breakingEngine(): Promise<string> {
  const socket = path.join(tempDir('bp-json-after-'), 'engine.sock');
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.includes('/containers/blueprint-rag/json')) {
      res.setHeader('content-type', 'application/json');
      return res.end(
        JSON.stringify({
          Id: 'a'.repeat(64),
          State: { Running: false, Pid: 0, Status: 'exited', ExitCode: 0 },
          Config: { Labels: {} },
          HostConfig: {},
        }),
      );
    }
    if (url.includes('/containers/blueprint-rag/logs')) {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
      res.write(frame('2026-12-05T08:00:00.000000000Z hello from rag\n'));
      // The engine goes away mid-answer (Podman restarted): the connection closes before the end.
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    res.end('OK');
  });
  await new Promise<void>((resolve) => server!.listen(socket, resolve));
  return socket;
}

function box(engineSocket: string): string {
  const root = tempDir('bp-json-after-root-');
  installedRag(root);
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/blueprint/config.json'),
    JSON.stringify({ engine: { socket: engineSocket } }),
  );
  return root;
}

describe('--json: an error after the answer began', () => {
  it('logs -f --json: the lines as objects, then the engine error on stderr only, exit 6', async () => {
    const root = box(await breakingEngine());
    const r = await runCliHere(['--root', root, '--json', 'service', 'logs', '-f', 'rag']);
    expect(r.code, r.err).not.toBe(0);
    const lines = r.out.split('\n').filter(Boolean);
    // Every line of stdout is one JSON object, and none is an error document.
    const objects = lines.map((l) => JSON.parse(l));
    expect(objects).toEqual([{ time: '2026-12-05T08:00:00.000000000Z', line: 'hello from rag' }]);
    // Not "a bug in blueprint": the engine's connection broke, said as such, with what to do.
    expect(r.err).toMatch(/^error: .*engine.*following the logs of rag/im);
    expect(r.err).not.toMatch(/bug in blueprint/);
    expect(r.code).toBe(6);
  });

  it('a later command line in the same process still answers its error as the JSON document', async () => {
    const root = box(await breakingEngine());
    await runCliHere(['--root', root, '--json', 'service', 'logs', '-f', 'rag']);
    const r = await runCliHere(['--root', root, '--json', 'service', 'logs', 'nothing-here']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.out).error.code).toBeTruthy();
  });
});
