import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { BlueprintError, ExitCode, NotFoundError } from '../errors.js';

/** Podman's standard rootful API socket; `scripts/setup-host.sh` and the appliance's socket unit serve it. */
export const DEFAULT_SOCKET = '/run/podman/podman.sock';
/** libpod API prefix: Podman 4 and 5 answer it; the compat API lacks what the sandbox needs. */
const LIBPOD = '/v4.0.0/libpod';

export class EngineError extends BlueprintError {
  constructor(message: string, code: string, hint?: string, options?: { cause?: unknown }) {
    super(message, code, hint, ExitCode.engine, options);
  }
}

export const START_ENGINE_HINT =
  'Start the Podman API: `systemctl enable --now blueprint-engine.socket` on the appliance, or ' +
  '`sudo bash scripts/setup-host.sh` on a development host; `blueprint doctor` checks it.';

export interface SocketChoice {
  path: string;
  /** Where the choice came from, shown by `blueprint doctor`. */
  source: 'CONTAINER_HOST' | 'DOCKER_HOST' | 'config' | 'default';
}

/**
 * Which socket to talk to, following the ecosystem's conventions: CONTAINER_HOST (Podman), then
 * DOCKER_HOST, then `engine.socket` in ROOT/etc/blueprint/config.json, then Podman's default.
 * Only unix sockets: the engine API is root-equivalent and must never be on a TCP port.
 */
export function chooseSocket(env: NodeJS.ProcessEnv, configFile?: string): SocketChoice {
  for (const name of ['CONTAINER_HOST', 'DOCKER_HOST'] as const) {
    const v = env[name];
    if (!v) continue;
    if (!v.startsWith('unix://'))
      throw new EngineError(
        `${name}=${v} is not a unix socket`,
        'engine-not-unix',
        `Use ${name}=unix:///run/podman/podman.sock; blueprint refuses TCP engine addresses.`,
      );
    return { path: v.slice('unix://'.length), source: name };
  }
  const fromConfig = configFile ? readConfigSocket(configFile) : undefined;
  if (fromConfig) return { path: fromConfig, source: 'config' };
  return { path: DEFAULT_SOCKET, source: 'default' };
}

function readConfigSocket(file: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { engine?: { socket?: unknown } }).engine?.socket;
    return typeof v === 'string' && path.isAbsolute(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

interface HttpError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string; cause?: string } | string | null;
}

/** Turns what dockerode throws into errors a user can act on. */
export function engineErrorFrom(err: unknown, what: string, socket: string): BlueprintError {
  if (err instanceof BlueprintError) return err;
  const e = err as HttpError;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
    return new EngineError(
      `The container engine is not running (no API at ${socket})`,
      'engine-down',
      START_ENGINE_HINT,
      { cause: err },
    );
  if (e.code === 'EACCES')
    return new EngineError(
      `Permission denied on the engine socket ${socket}`,
      'engine-denied',
      'Run blueprint as root: the rootful engine is what enforces the resource limits.',
      { cause: err },
    );
  const detail = typeof e.json === 'object' && e.json ? (e.json.message ?? e.json.cause) : undefined;
  const message = `${what}: ${detail ?? e.message}`;
  if (e.statusCode === 404) return new NotFoundError(message, undefined, 'engine-not-found');
  return new EngineError(message, 'engine-failed', undefined, { cause: err });
}

export interface Engine {
  docker: Docker;
  socket: string;
  /** A call to Podman's libpod API (`/libpod/...`) for what the Docker-compatible API cannot express. */
  libpod<T>(method: 'GET' | 'POST' | 'DELETE', apiPath: string, opts?: LibpodCall): Promise<T>;
  /** Runs an engine call and maps its failure to a typed error. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export interface LibpodCall {
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** Status codes that count as success besides 200/201/204. */
  ok?: number[];
}

/** Creates the client; connects lazily (dockerode opens the socket per request). */
export async function openEngine(socket: string): Promise<Engine> {
  const { default: DockerCtor } = await import('dockerode');
  const docker = new DockerCtor({ socketPath: socket });
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw engineErrorFrom(err, what, socket);
    }
  };
  const libpod = <T>(method: string, apiPath: string, opts: LibpodCall = {}): Promise<T> =>
    call(
      `${method} ${apiPath}`,
      () =>
        new Promise<T>((resolve, reject) => {
          const statusCodes: Record<number, boolean | string> = {
            200: true,
            201: true,
            204: true,
            400: 'bad parameter',
            404: 'no such object',
            409: 'conflict',
            500: 'server error',
          };
          for (const c of opts.ok ?? []) statusCodes[c] = true;
          const hasQuery = opts.query && Object.keys(opts.query).length > 0;
          docker.modem.dial(
            {
              path: `${LIBPOD}${apiPath}${hasQuery ? '?' : ''}`,
              method,
              options: {
                ...(hasQuery ? { _query: opts.query } : {}),
                ...(opts.body ? { _body: opts.body } : {}),
              },
              statusCodes,
            },
            (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
          );
        }),
    );
  return { docker, socket, libpod, call };
}

/**
 * Opens the engine and checks it answers, so callers fail early with the right hint.
 * `_ping`, not `/version`: Podman takes over a second to compose its version answer.
 */
export async function connectEngine(socket: string): Promise<Engine> {
  const engine = await openEngine(socket);
  await engine.call('reaching the engine', () => engine.docker.ping());
  return engine;
}
