/**
 * A service test's view of the engine calls: a proxy in front of the real Podman API that shows
 * each request to the test (engineProxy), and a hello box whose engine calls go through one
 * (proxiedBox): where a test counts `service start`'s engine calls, records what an update sent,
 * or acts at one call (a Ctrl-C at the start request).
 */
import http from 'node:http';
import path from 'node:path';
import { chooseSocket } from '../../src/core/services/engine.js';
import { tempDir } from '../setup/temp-registry.js';
import { buildHello, makeBox, podman, type TestBox } from './helpers.js';

export interface EngineProxy {
  /** `CONTAINER_HOST` for a box that talks to the engine through the proxy. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * A unix-socket proxy in front of the real Podman API: each request is shown to `look` as it
 * arrives (it may answer it itself and return true), else passed on to the engine and its answer
 * streamed back. Lets a test count the engine calls or act at one (a Ctrl-C at the start request).
 */
export async function engineProxy(
  look: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | undefined,
): Promise<EngineProxy> {
  const dir = tempDir('bp-engine-proxy-');
  const engineSocket = chooseSocket(process.env).path;
  const proxy = http.createServer((req, res) => {
    if (look(req, res)) return;
    const up = http.request(
      { socketPath: engineSocket, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const socket = path.join(dir, 'engine.sock');
  await new Promise<void>((r) => proxy.listen(socket, r));
  return {
    env: { ...process.env, CONTAINER_HOST: `unix://${socket}` },
    close: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

/** A box whose engine calls go through an engine proxy (proxiedBox). */
export interface ProxiedBox {
  box: TestBox;
  proxy: EngineProxy;
  /** Removes the named modules' containers, then the proxy and the box. */
  cleanup(): Promise<void>;
}

/**
 * A test box with the hello image, `install` run on it (the modules a test starts), and an engine
 * proxy in front of Podman that shows each request to `look` (engineProxy): where a test counts
 * the engine calls of `service start` or acts at one of them (a Ctrl-C at the start request).
 */
export async function proxiedBox(
  names: string[],
  install: (box: TestBox) => Promise<unknown>,
  look: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | undefined,
): Promise<ProxiedBox> {
  const box = await makeBox(await buildHello());
  await install(box);
  const proxy = await engineProxy(look);
  return {
    box,
    proxy,
    async cleanup() {
      for (const n of names) await podman('rm', '-f', `blueprint-${n}`).catch(() => {});
      await proxy.close();
      await box.cleanup();
    },
  };
}
