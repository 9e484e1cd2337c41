import path from 'node:path';
import type Docker from 'dockerode';
import { BlueprintError, ExitCode, NotFoundError, UsageError } from '../errors.js';
import { deadlineText, msFromEnv } from '../system/deadline-env.js';
import { oneLine } from '../system/one-line.js';
import { readSmallFileSync } from '../system/read-small.js';
import { openWire, type Wire, type WireWait } from './engine-wire.js';

/** Podman's standard rootful API socket; `scripts/setup-host.sh` and the appliance's socket unit serve it. */
export const DEFAULT_SOCKET = '/run/podman/podman.sock';
/** libpod API prefix: Podman 4 and 5 answer it; the compat API lacks what the sandbox needs. */
const LIBPOD = '/v4.0.0/libpod';

export class EngineError extends BlueprintError {
  constructor(message: string, code: string, hint?: string, options?: { cause?: unknown }) {
    super(message, code, hint, ExitCode.engine, options);
  }
}

/** What starts the engine (doctor's fix line); START_ENGINE_HINT adds where to check it. */
export const START_ENGINE_FIX =
  'Start the Podman API: `systemctl enable --now podman.socket` on the appliance, or ' +
  '`sudo bash scripts/setup-host.sh` on a development host';
export const START_ENGINE_HINT = `${START_ENGINE_FIX}; \`blueprint doctor\` checks it.`;

/**
 * What to do when nothing answers at the socket: starting Podman does not help a user whose
 * CONTAINER_HOST or DOCKER_HOST points elsewhere (a rootless socket of another session, a typo),
 * nor one whose config.json's engine.socket does (podman.socket serves the default socket only).
 */
export function engineDownFix(socket: string, source?: SocketChoice['source'], configFile?: string): string {
  if (source === 'CONTAINER_HOST' || source === 'DOCKER_HOST')
    return `${source}=unix://${socket} sends blueprint there: start the engine it names, or \`unset ${source}\` to use ${DEFAULT_SOCKET}`;
  if (source === 'config' && socket !== DEFAULT_SOCKET)
    return `engine.socket in ${configFile ?? 'etc/blueprint/config.json'} sends blueprint to ${socket}: start the engine there, or remove engine.socket to use ${DEFAULT_SOCKET}`;
  return START_ENGINE_FIX;
}

export interface SocketChoice {
  path: string;
  /** Where the choice came from, shown by `blueprint doctor`. */
  source: 'CONTAINER_HOST' | 'DOCKER_HOST' | 'config' | 'default';
  /** With source 'config': the file, on the box the command acts on (ROOT/etc/blueprint/config.json). */
  file?: string;
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
        `Use ${name}=unix:///run/podman/podman.sock; blueprint takes only unix sockets (never TCP or SSH).`,
      );
    const socket = v.slice('unix://'.length);
    // A relative path would be the working directory's: from /tmp, a socket anyone may put there.
    if (!path.isAbsolute(socket))
      throw new EngineError(
        `${name}=${v} is not an absolute path`,
        'engine-socket-relative',
        `Write the socket's path whole, after three slashes: ${name}=unix:///run/podman/podman.sock`,
      );
    return { path: socket, source: name };
  }
  const fromConfig = configFile ? readConfigSocket(configFile) : undefined;
  if (fromConfig) return { path: fromConfig, source: 'config', file: configFile };
  return { path: DEFAULT_SOCKET, source: 'default' };
}

/**
 * config.json's `engine.socket`. A file that is not JSON, or a socket that is no absolute path, is
 * said (as download-pace.ts says of the same file), not passed over for the default engine.
 */
function readConfigSocket(file: string): string | undefined {
  const text = readConfigText(file);
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = (JSON.parse(text) as { engine?: { socket?: unknown } } | null)?.engine?.socket;
  } catch {
    throw new UsageError(`${file} is not JSON`, 'Fix or remove it.');
  }
  if (v === undefined || (typeof v === 'string' && path.isAbsolute(v))) return v;
  throw new UsageError(
    `${file}: engine.socket is ${oneLine(JSON.stringify(v))}, not the absolute path of a unix socket`,
    `Give one (${DEFAULT_SOCKET} is the default), or leave engine.socket out.`,
  );
}

/** As download-pace.ts bounds the same file. */
const CONFIG_MAX_BYTES = 256 * 1024;

/**
 * config.json's text, or undefined when there is none. Opened without waiting for a writer
 * (O_NONBLOCK) and read only as a regular file of bounded size: a root may be anyone's tree (a
 * mounted image, a copied box), and a FIFO there held a synchronous read, signals and all, for good.
 */
function readConfigText(file: string): string | undefined {
  let r: ReturnType<typeof readSmallFileSync>;
  try {
    r = readSmallFileSync(file, CONFIG_MAX_BYTES, { followLink: true });
  } catch {
    return undefined;
  }
  if (r && 'unread' in r)
    throw new UsageError(
      `${file} is ${r.unread === 'too-large' ? `larger than ${CONFIG_MAX_BYTES / 1024} KiB` : 'not a regular file'}`,
      'Make it a regular JSON file (engine.socket, downloads), or remove it.',
    );
  return r?.text;
}

interface HttpError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string; cause?: string } | string | null;
}

/**
 * Turns what dockerode throws into errors a user can act on. The engine's message is made one line:
 * Podman's message quotes the OCI runtime, which quotes the package's own text (the module's
 * command, the image's entrypoint: `crun: executable file `X` not found`).
 */
export function engineErrorFrom(
  err: unknown,
  what: string,
  socket: string,
  source?: SocketChoice['source'],
  configFile?: string,
): BlueprintError {
  if (err instanceof BlueprintError) return err;
  const e = err as HttpError;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
    return new EngineError(
      `The container engine is not running (no API at ${socket})`,
      'engine-down',
      `${engineDownFix(socket, source, configFile)}; \`blueprint doctor\` checks it.`,
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
  const message = `${what}: ${oneLine(String(detail ?? e.message))}`;
  if (e.statusCode === 404) return new NotFoundError(message, undefined, 'engine-not-found');
  return new EngineError(
    message,
    'engine-failed',
    "The container engine refused the request for the reason above. `blueprint doctor` checks the engine and the sandbox's prerequisites and prints the fix for each; the engine's own log (`journalctl -u podman`) says more.",
    { cause: err },
  );
}

/**
 * How long a quick engine call (a read: ping, inspect, list, stats, info) may take before the
 * engine counts as not answering: 30 s. Longer than Podman's default stop grace (10 s) and kill, for
 * an inspect that waits on the lock a stopping container holds, and than a read on a box whose
 * CPUs a model keeps busy; shorter than what supervises blueprint (`timeout 60` in scripts,
 * systemd's 90 s stop, Ansible's async), so a wedged engine (a `podman system service` that took
 * the connection and never answers) is said with its fix rather than waited on for good. Calls
 * that may rightly take long (create, start, stop, remove, an image load, logs -f) have no deadline;
 * every call ends on the command's signal. BLUEPRINT_ENGINE_TIMEOUT_MS sets it (tests; digits, ms).
 */
export const ENGINE_TIMEOUT_MS = 30_000;

/** The quick calls' deadline: BLUEPRINT_ENGINE_TIMEOUT_MS when it is a whole number of ms, else 30 s. */
export const engineTimeoutMs = (env: NodeJS.ProcessEnv): number =>
  msFromEnv(env, 'BLUEPRINT_ENGINE_TIMEOUT_MS', ENGINE_TIMEOUT_MS);

/** What an engine waits by: the command's signal, the quick calls' deadline (engineTimeoutMs). */
export interface EngineOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  /** How long a change already sent may still answer after the signal (CHANGE_GRACE_MS). */
  changeGraceMs?: number;
  /** The config file that named the socket (SocketChoice.file), for the hints. */
  configFile?: string | undefined;
}

/**
 * How long a change already handed to the engine (a create, start, stop, removal) may still answer
 * after the command's signal before the command stops waiting for it: 5 s. The change happens on
 * the engine whether or not we wait, so waiting lets the command say what it did ("A was started
 * and is left running; C was not started", test/services/start-uses-interrupted) instead of
 * "nothing was changed"; a wedged engine still lets the command end, 5 s after the signal.
 */
export const CHANGE_GRACE_MS = 5_000;

/**
 * A signal that aborts, with `signal`'s reason, `graceMs` after `signal` does, or never when the
 * returned `done` is called first (the call ended).
 */
function graceAfter(signal: AbortSignal | undefined, graceMs: number) {
  if (!signal || signal.aborted) return { signal, done: () => {} };
  const later = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const aborted = () => {
    timer = setTimeout(() => later.abort(signal.reason), graceMs);
  };
  signal.addEventListener('abort', aborted, { once: true });
  return {
    signal: later.signal,
    done: () => {
      signal.removeEventListener('abort', aborted);
      clearTimeout(timer);
    },
  };
}

/** A quick call the engine did not answer within its deadline: a wedged engine, said as one down. */
function engineSilent(
  socket: string,
  ms: number,
  source?: SocketChoice['source'],
  cause?: unknown,
  configFile?: string,
) {
  return new EngineError(
    `The container engine did not answer within ${deadlineText(ms)} (at ${socket})`,
    'engine-down',
    source === 'CONTAINER_HOST' || source === 'DOCKER_HOST' || source === 'config'
      ? `It took the connection but is stuck. ${engineDownFix(socket, source, configFile)}; \`blueprint doctor\` checks it.`
      : 'It took the connection but is stuck: `systemctl status podman.socket podman.service` says what it is doing, ' +
          '`journalctl -u podman` why; `systemctl restart podman.socket podman.service` restarts it. `blueprint doctor` checks it.',
    { cause },
  );
}

/**
 * `work`, or the signal's reason when the signal aborts while it waits (what it started is left
 * to end on its own). A signal already aborted does not refuse it: what a command does after its
 * interruption (its tidying up) still reaches the engine, and a second signal ends the command.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal || signal.aborted) return work;
  return new Promise<T>((resolve, reject) => {
    const aborted = () => reject(signal.reason);
    signal.addEventListener('abort', aborted, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}

export interface Engine {
  socket: string;
  /** dockerode, loaded on first use: image loads, exec and log streams need it; the hot paths do not. */
  docker(): Promise<Docker>;
  /** A JSON call to Podman's libpod API (`/libpod/...`), which has what the compat API cannot express. */
  libpod<T>(method: 'GET' | 'POST' | 'DELETE', apiPath: string, opts?: LibpodCall): Promise<T>;
  /**
   * Runs an engine call and maps its failure to a typed error; the command's signal ends the wait.
   * `fn` gets the signal to hand on (dockerode's `abortSignal`), so that what it asked is ended
   * too: an abandoned request would hold the process after the command is over.
   */
  call<T>(what: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T>;
}

export interface LibpodCall {
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** Status codes that count as success besides 2xx. */
  ok?: number[];
  /** Called once the whole request has been handed to the socket. */
  sent?: () => void;
  /**
   * The quick calls' deadline (ENGINE_TIMEOUT_MS): GETs have it unless this is false; changes (a
   * create, start, stop, removal) have it only when this is true.
   */
  quick?: boolean;
}

/**
 * The engine client. The libpod calls that start, stop and inspect services go straight over the
 * socket as plain HTTP/1.1 (engine-wire.ts; the same requests dockerode's `modem.dial` makes):
 * loading dockerode costs more CPU than the whole `service start` request, so it is loaded only
 * when needed.
 */
export function openEngine(
  socket: string,
  source?: SocketChoice['source'],
  options: EngineOptions = {},
): Engine {
  let docker: Promise<Docker> | undefined;
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? ENGINE_TIMEOUT_MS;
  const graceMs = options.changeGraceMs ?? CHANGE_GRACE_MS;
  const callUntil = async <T>(
    what: string,
    fn: (signal?: AbortSignal) => Promise<T>,
    until: AbortSignal | undefined,
  ): Promise<T> => {
    try {
      return await untilAborted(fn(until?.aborted ? undefined : until), until);
    } catch (err) {
      throw engineErrorFrom(err, what, socket, source, options.configFile);
    }
  };
  const call = <T>(what: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> =>
    callUntil(what, fn, signal);
  const wire = openWire(socket);
  const libpod = <T>(method: string, apiPath: string, opts: LibpodCall = {}): Promise<T> => {
    const quick = opts.quick ?? method === 'GET';
    // A read ends on the signal; a change already sent is given CHANGE_GRACE_MS to answer.
    const until = quick ? { signal, done: () => {} } : graceAfter(signal, graceMs);
    const wait: WireWait = quick ? { signal, timeoutMs } : { signal: until.signal };
    const ask = () => request<T>(wire, method, `${LIBPOD}${apiPath}`, opts, wait);
    return callUntil(
      `${method} ${apiPath}`,
      () =>
        ask()
          .catch((err: unknown) =>
            method === 'GET' && enginePanicked(err) && !signal?.aborted ? ask() : Promise.reject(err),
          )
          .catch((err: unknown) => {
            if (quick && (err as { code?: string }).code === 'ETIMEDOUT')
              throw engineSilent(socket, timeoutMs, source, err, options.configFile);
            throw err;
          }),
      until.signal,
    ).finally(until.done);
  };
  return {
    socket,
    docker: () => {
      docker ??= import('dockerode').then(({ default: Docker }) => new Docker({ socketPath: socket }));
      return docker;
    },
    libpod,
    call,
  };
}

/**
 * node:http without its ESM facade: `import 'node:http'` enumerates every export, which loads
 * undici (~0.1 s of CPU at each command) for getters blueprint never reads.
 */
export const nodeHttp = () => process.getBuiltinModule('node:http');

/**
 * Podman 4.3's answer to a read that raced a request writing its image store (an image inspect beside
 * another package's image load): 500 "runtime error: invalid memory address or nil pointer
 * dereference", the handler's panic recovered (its log: "Recovering from API service endpoint handler
 * panic"). The engine is fine and the read can be asked again; a change is not (it may have been made).
 */
function enginePanicked(err: unknown): boolean {
  const e = err as HttpError;
  const said = typeof e.json === 'object' && e.json ? (e.json.message ?? e.json.cause) : undefined;
  return e.statusCode === 500 && typeof said === 'string' && said.startsWith('runtime error: ');
}

/** One libpod call: the answer's JSON (or text), or an HttpError with its status and JSON. */
async function request<T>(
  wire: Wire,
  method: string,
  apiPath: string,
  opts: LibpodCall,
  wait?: WireWait,
): Promise<T> {
  const query = opts.query
    ? `?${new URLSearchParams(Object.entries(opts.query).map(([k, v]): [string, string] => [k, String(v)]))}`
    : '';
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const { status, body: text } = await wire.exchange(method, apiPath + query, body, opts.sent, wait);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if ((status >= 200 && status < 300) || opts.ok?.includes(status)) return json as T;
  const err: HttpError = new Error(`HTTP ${status}`);
  err.statusCode = status;
  err.json = json as HttpError['json'];
  throw err;
}

/** Opens the engine and checks it answers (`_ping`: Podman takes over a second to answer `/version`). */
export async function connectEngine(socket: string, options: EngineOptions = {}): Promise<Engine> {
  const engine = openEngine(socket, undefined, options);
  const ms = options.timeoutMs ?? ENGINE_TIMEOUT_MS;
  await engine.call('reaching the engine', () =>
    request(openWire(socket), 'GET', '/_ping', {}, { signal: options.signal, timeoutMs: ms }).catch(
      (err: unknown) => {
        if ((err as { code?: string }).code === 'ETIMEDOUT') throw engineSilent(socket, ms, undefined, err);
        throw err;
      },
    ),
  );
  return engine;
}
