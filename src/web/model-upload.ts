import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Jobs } from './jobs.js';
import type { DashboardOps, ModelUploadAsk, ReceivedModel } from './ops.js';
import { errorText, redirect, send } from './respond.js';
import { csrfMatches, type Session } from './security.js';

/**
 * "Import a model…": POST /import-model?name=NAME[&license=TEXT][&file=NAME.gguf], the GGUF as the
 * body (application/octet-stream, its Content-Length), sent by the Models page's script with upload
 * progress. server.ts has checked Host, Sec-Fetch-Site, Origin and the session; the CSRF token is
 * the header X-CSRF-Token or the query's `_csrf` (never a cookie: a form of another page cannot set
 * a header, and cannot know the token). Whatever the import would refuse up front is refused before
 * a byte is read (the CLI's words; the connection closed, so no body is taken in). Then the body is
 * streamed to a root-only file (models.receive) and the import is a job, the upload removed at its
 * end; its page leads to the Models page once it ended well.
 *
 * GET /import-model/check?name=…&bytes=…[&sample=HEX] answers the same up-front refusal as JSON
 * (`{ok}` or `{error}`): the script asks before sending gigabytes only to be refused. `sample` is
 * the file's sampled blocks (uploadSampleRanges), which tell other bytes of an installed model's
 * size from its own.
 */

const statusOf = (err: unknown): number => {
  const e = err as { exitCode?: number; code?: string };
  if (e.code === 'disk-full' || e.code === 'too-big') return 413;
  return e.exitCode === 2 ? 400 : e.exitCode === 5 ? 409 : 500;
};

/** The refusal, and the connection closed after it: the rest of the body is not read. */
const refuse = (res: ServerResponse, status: number, text: string) =>
  send(res, status, `${text}\n`, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });

const one = (url: URL, key: string) => url.searchParams.get(key) ?? undefined;

function askOf(url: URL, bytes: number): ModelUploadAsk {
  const license = one(url, 'license');
  // The browser's file name, for the refusals' words only: never a path on the box.
  const file = one(url, 'file')?.slice(0, 255);
  return {
    name: one(url, 'name') ?? '',
    ...(license ? { license } : {}),
    ...(file ? { shownAs: file } : {}),
    bytes,
  };
}

/** The most `sample` holds: 16 blocks of 64 bytes, as hex (the box checks its exact length). */
const SAMPLE_HEX_MAX = 2 * 16 * 64;

const running = (jobs: Jobs) => jobs.latest?.state === 'running';

/**
 * An upload that sends nothing for this long is ended and its file removed. The server has no
 * request timeout (gigabytes through a slow tunnel take hours), so one left half-open (a laptop
 * asleep, a client that never sends the rest of its Content-Length) held its partial file in
 * root's cache, counted against every later upload's room, for as long as its connection stayed.
 */
export const UPLOAD_IDLE_MS = 10 * 60_000;

const busyText = (jobs: Jobs) =>
  `Import was not started: ${jobs.latest!.title} is running (/jobs/${encodeURIComponent(jobs.latest!.id)}). Ask for it again once that has ended.`;

/**
 * The request's body. Not the request itself as the iterable: leaving its loop early (a full disk)
 * would destroy it, and the browser would get a reset connection instead of the error. Each chunk
 * is the admin's use of the session: an upload longer than the idle hour does not log them out.
 */
async function* bodyOf(req: IncomingMessage, s: Session): AsyncGenerator<Uint8Array> {
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    s.seen = Date.now();
    yield chunk as Uint8Array;
  }
}

/** GET /import-model/check: `{ ok: true }`, or `{ error }` in the CLI's words. */
export async function checkModelUpload(res: ServerResponse, url: URL, ops: DashboardOps, jobs: Jobs) {
  const json = (v: unknown) => send(res, 200, JSON.stringify(v), { 'Content-Type': 'application/json' });
  const bytes = Number(url.searchParams.get('bytes'));
  if (!ops.checkModelUpload) return json({ error: 'Not available in this build.' });
  if (!Number.isSafeInteger(bytes) || bytes < 0) return json({ error: 'bytes: the file size is needed' });
  if (running(jobs)) return json({ error: busyText(jobs) });
  // The file's sampled blocks as hex (2 KiB at most): anything else is no sample (the size decides).
  const hex = url.searchParams.get('sample') ?? '';
  const sample =
    hex && hex.length <= SAMPLE_HEX_MAX && /^(?:[0-9a-f]{2})+$/.test(hex)
      ? { sample: new Uint8Array(Buffer.from(hex, 'hex')) }
      : {};
  try {
    await ops.checkModelUpload({ ...askOf(url, bytes), ...sample });
    return json({ ok: true });
  } catch (err) {
    return json({ error: errorText(err) });
  }
}

export async function postModelUpload(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  s: Session,
  ops: DashboardOps,
  jobs: Jobs,
  idleMs = UPLOAD_IDLE_MS,
): Promise<void> {
  const given = req.headers['x-csrf-token'];
  if (!csrfMatches(s, typeof given === 'string' ? given : (url.searchParams.get('_csrf') ?? undefined)))
    return refuse(res, 403, 'Refused: missing or wrong CSRF token');
  if (!ops.checkModelUpload || !ops.receiveModel || !ops.importModel)
    return refuse(res, 404, 'Not available in this build.');
  const length = req.headers['content-length'];
  if (!length || !/^\d{1,16}$/.test(length))
    return refuse(res, 411, 'Refused: the upload must say its size (Content-Length)');
  if (running(jobs)) return refuse(res, 409, busyText(jobs));
  const ask = askOf(url, Number(length));
  const { importModel } = ops;
  const ac = new AbortController();
  // The browser went away before the body was all here (the tab closed, the tunnel cut).
  req.on('close', () => {
    if (!req.complete) ac.abort();
  });
  try {
    await ops.checkModelUpload(ask);
  } catch (err) {
    return refuse(res, statusOf(err), errorText(err));
  }
  let upload: ReceivedModel;
  // Idle that long (no byte received): the connection is ended, so the receiving stops (aborted).
  req.setTimeout(idleMs, () => req.destroy());
  try {
    upload = await ops.receiveModel(bodyOf(req, s), ask.bytes, ac.signal);
    req.setTimeout(0);
  } catch (err) {
    if (ac.signal.aborted && !req.complete) return void res.destroy();
    // Part of the body was read: the rest is read and dropped (nothing written), so that the
    // answer reaches the browser still sending it.
    req.resume();
    return send(res, statusOf(err), `${errorText(err)}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
  }
  // Another change started while this file was sent: one at a time, as every change.
  if (running(jobs)) {
    await upload.discard();
    return refuse(res, 409, busyText(jobs));
  }
  const job = jobs.start(`Import model ${ask.name}`, async (progress, signal, started) => {
    const r = await importModel(upload, ask, progress, signal);
    // Installed already with these bytes: the job's page stays, saying "unchanged" (the Models
    // page, where it led otherwise, would not say that the upload changed nothing).
    if (r?.changed === false) delete started.next;
  });
  job.next = { href: '/models', label: 'Models' };
  return redirect(res, `/jobs/${encodeURIComponent(job.id)}`);
}
