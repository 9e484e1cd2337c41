import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { layout } from '../system/paths.js';
import { nodeHttp } from './engine.js';
import { serviceDirs } from './policy.js';
import type { LoadedRegistration } from './registry.js';
import { pinSocket } from './socket-pin.js';
import { readToken } from './wiring.js';

/**
 * What a running module says about itself: `GET /info` on its unix socket (the kit's modules
 * answer it: llm gives its model, context length, device and why; embeddings its model and
 * dimension), for `service status` and the console's services screen.
 *
 * The answer is untrusted: the module may be compromised, slow or hostile. So the read is
 * bounded (time, bytes), only flat scalar fields with plain names are kept (a few, each string
 * cut short), and front ends escape the text before a terminal sees it (src/present/escape.ts).
 * Any failure is "no info", never an error: status must not fail because a module misbehaves.
 */

/** Top-level scalar fields of the module's /info answer, as it gave them. */
export type ModuleInfo = Record<string, string | number | boolean>;

export interface InfoReadOptions {
  /** Whole request, connect to last byte (default 1 s: the console refreshes every 2 s). */
  timeoutMs?: number;
  /** Most bytes of body read (default 64 KiB); a longer answer is dropped. */
  maxBytes?: number;
}

export const INFO_PATH = '/info';
/** How long a module's /info may take, connect to last byte, unless the caller says (InfoReadOptions). */
export const INFO_TIMEOUT_MS = 1000;
const MAX_FIELDS = 32;
const MAX_STRING = 200;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/**
 * A module serving several models (llm's `models`: one object each, with its `id`, the default
 * first): their ids as one string, `a, b`, the one list field kept (the first 64 looked at).
 */
function modelIds(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const ids = v
    .slice(0, 64)
    .map((m) => (typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === 'string' && id !== '');
  return ids.length ? ids.join(', ') : undefined;
}

/**
 * Of llm's `models` with `loaded` (models loaded on demand): the loaded ones' ids, each with
 * `@` and its `expiresAt` when it unloads if idle, as one string; undefined when none says.
 */
function loadedIds(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const ms = v.slice(0, 64).filter((m): m is { id: string; loaded: boolean; expiresAt?: unknown } => {
    const o = m as { id?: unknown; loaded?: unknown } | null;
    return typeof o === 'object' && o !== null && typeof o.id === 'string' && typeof o.loaded === 'boolean';
  });
  if (ms.length === 0) return undefined;
  return ms
    .filter((m) => m.loaded)
    .map((m) => (typeof m.expiresAt === 'string' ? `${m.id}@${m.expiresAt}` : m.id))
    .join(', ');
}

/**
 * Keeps what can be shown: plain-named scalar fields, strings cut to 200 characters, and a list of
 * models' ids as one string (modelIds) and which are loaded (loadedIds, as `loaded`). Pure.
 */
export function pickInfo(value: unknown): ModuleInfo | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const out: ModuleInfo = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n >= MAX_FIELDS) break;
    if (!FIELD_NAME.test(k)) continue;
    const ids = k === 'models' ? modelIds(v) : undefined;
    const loaded = k === 'models' ? loadedIds(v) : undefined;
    if (loaded !== undefined)
      out.loaded = loaded.length > MAX_STRING ? `${loaded.slice(0, MAX_STRING - 1)}…` : loaded;
    if (ids) out[k] = ids.length > MAX_STRING ? `${ids.slice(0, MAX_STRING - 1)}…` : ids;
    else if (typeof v === 'string') out[k] = v.length > MAX_STRING ? `${v.slice(0, MAX_STRING - 1)}…` : v;
    else if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else continue;
    n++;
  }
  return out;
}

/** GET `urlPath` on a unix socket: status and body, bounded in time and size; undefined on any failure. */
export async function boundedGet(
  socketPath: string,
  urlPath: string,
  opts: InfoReadOptions & { token?: string } = {},
): Promise<{ status: number; body: Buffer } | undefined> {
  const r = await boundedGetOutcome(socketPath, urlPath, opts);
  return 'status' in r ? r : undefined;
}

/**
 * boundedGet, saying how it failed: `timedOut` when no whole answer came within the deadline (a
 * module that is slow, hung or trickles bytes), else a refused connection, a reset or too many bytes.
 */
export function boundedGetOutcome(
  socketPath: string,
  urlPath: string,
  opts: InfoReadOptions & { token?: string } = {},
): Promise<{ status: number; body: Buffer } | { timedOut: boolean }> {
  const timeoutMs = opts.timeoutMs ?? INFO_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { status: number; body: Buffer } | { timedOut: boolean }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const failed = { timedOut: false };
    const req = nodeHttp().get(
      {
        socketPath,
        path: urlPath,
        headers: {
          accept: 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
      },
      (res: IncomingMessage) => {
        const declared = Number(res.headers['content-length']);
        if (declared > maxBytes) return finish(failed);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) return finish(failed);
          chunks.push(c);
        });
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', () => finish(failed));
      },
    );
    // One deadline for everything: a module that trickles a byte a second is cut off too.
    const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    req.on('error', () => finish(failed));
  });
}

/** The module's /info, or null when it has no socket, no /info, or answers anything unusable. */
export async function readModuleInfo(
  root: string,
  reg: LoadedRegistration,
  opts: InfoReadOptions = {},
): Promise<ModuleInfo | null> {
  return (await readModuleInfoOutcome(root, reg, opts)).info;
}

/**
 * readModuleInfo, and whether the module left its /info unanswered within the deadline
 * (`unanswered`: asked, and no whole answer in time), which `blueprint status` says rather than
 * showing nothing as for a module without /info.
 */
export async function readModuleInfoOutcome(
  root: string,
  reg: LoadedRegistration,
  opts: InfoReadOptions = {},
): Promise<{ info: ModuleInfo | null; unanswered: boolean }> {
  const none = { info: null, unanswered: false };
  const socket = reg.spec.socket;
  if (!socket) return none;
  const token = (await readToken(root, reg.name))?.toString('utf8').trim();
  // A token no header can carry is the module's misconfiguration: ask without it (401, no info).
  const sendable = token && /^[\x21-\x7e]+$/.test(token) ? token : undefined;
  // The module's token goes only to its own socket: pinned, never through a link at its name.
  const pin = await pinSocket(
    layout(root).runDir,
    path.join(serviceDirs(root, reg.name).socketDir, socket.file),
    reg.name,
  ).catch(() => undefined);
  if (!pin) return none;
  const r = await boundedGetOutcome(pin.path, INFO_PATH, {
    ...opts,
    ...(sendable ? { token: sendable } : {}),
  }).finally(pin.release);
  if (!('status' in r)) return { info: null, unanswered: r.timedOut };
  if (r.status !== 200) return none;
  try {
    return { info: pickInfo(JSON.parse(r.body.toString('utf8'))), unanswered: false };
  } catch {
    return none;
  }
}
