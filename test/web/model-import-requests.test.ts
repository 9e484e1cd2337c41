/**
 * "Import a model…" on the dashboard's Models page, request by request over its unix socket, on a
 * real box (a temp root; the real import: hashed once, signed by the box's key, installed by the
 * package manager). A model could only be added at a shell (`blueprint model import FILE --name
 * NAME`). Now the browser sends the GGUF as a POST's body to /import-model: a change like any other
 * (session, CSRF token in a header or the query, never a cookie alone; same-site checks), streamed
 * to a file in a root-only folder (never held in memory), bounded by the free space before a byte is
 * written, removed whatever happens (a refusal, an aborted upload, the import's end); the import
 * is a dashboard job whose refusals are the CLI's words.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { repoRoot } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { boxDashboard } from './box-dashboard.js';
import { waitFor } from './dashboard-harness.js';
import { type Answer, answerOf } from './fake-ops.js';

const Q8 = readFileSync(path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf'));
const mountTmpfs = tmpfsPerFile();
const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-model-import-');

const uploads = () => path.join(box.root, 'var/cache/blueprint/model-uploads');
const left = () => (existsSync(uploads()) ? readdirSync(uploads()) : []);
const models = async () =>
  (await openBox(box.root).packages.list()).map((p) => p.name).filter((n) => n.startsWith('model-'));
/** The blocks the Models page's script sends with its pre-check: 16 of 64 bytes, first to last, as hex. */
const sampleOf = (file: Buffer) =>
  Array.from({ length: 16 }, (_, i) => {
    const at = Math.floor((i * (file.length - 64)) / 15);
    return file.subarray(at, at + 64).toString('hex');
  }).join('');

/** A POST of `body` to /import-model as a page's script sends it; `headers` override. */
function upload(
  query: Record<string, string>,
  body: Buffer,
  headers: Record<string, string | undefined>,
): Promise<Answer> {
  const h: Record<string, string> = {
    host: 'localhost:8080',
    origin: 'http://localhost:8080',
    'content-type': 'application/octet-stream',
    'content-length': String(body.length),
  };
  for (const [k, v] of Object.entries(headers))
    if (v === undefined) delete h[k];
    else h[k] = v;
  const req = http.request({
    socketPath: box.dash.socket,
    path: `/import-model?${new URLSearchParams(query)}`,
    method: 'POST',
    headers: h,
  });
  // A refusal may close the connection before the body was all sent.
  const answer = answerOf(req, true);
  req.end(body);
  return answer;
}

it('refuses an upload without the session, without the CSRF token (a cookie is not one), or from another site', async () => {
  const { cookie, csrf } = box;
  const q = { name: 'tiny', file: 'tiny.gguf' };
  expect((await upload(q, Q8, {})).status).toBe(401);
  expect((await upload(q, Q8, { cookie })).status).toBe(403);
  const asCookie = await upload(q, Q8, { cookie: `${cookie}; _csrf=${csrf}; x-csrf-token=${csrf}` });
  expect(asCookie.status).toBe(403);
  expect(asCookie.body).toContain('CSRF');
  expect((await upload(q, Q8, { cookie, 'x-csrf-token': 'wrong' })).status).toBe(403);
  const elsewhere = await upload(q, Q8, { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' });
  expect(elsewhere.status).toBe(403);
  const sameSite = await upload(q, Q8, { cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site' });
  expect(sameSite.status).toBe(403);
  expect(left()).toEqual([]);
  expect(await models()).toEqual([]);
});

it('refuses an upload larger than the free space from its Content-Length, before writing a byte', async () => {
  const { cookie, csrf } = box;
  const r = await upload({ name: 'huge' }, Q8.subarray(0, 4096), {
    cookie,
    'x-csrf-token': csrf,
    'content-length': String(2 ** 50),
  });
  expect(r.status).toBe(413);
  expect(r.body).toMatch(/^Not enough free space to upload and import this model: [\d.]+ GiB needed under /);
  expect(r.body).toContain('nothing was imported');
  // Without a length there is nothing to check it by: refused too (a browser always sends one).
  const chunked = await upload({ name: 'huge' }, Q8, {
    cookie,
    'x-csrf-token': csrf,
    'content-length': undefined,
    'transfer-encoding': 'chunked',
  });
  expect(chunked.status).toBe(411);
  expect(left()).toEqual([]);
  expect(await models()).toEqual([]);
});

it('leaves no file when the upload is aborted (the tab closed, the tunnel cut)', async () => {
  const { cookie, csrf } = box;
  const req = http.request({
    socketPath: box.dash.socket,
    path: `/import-model?name=cut&_csrf=${encodeURIComponent(csrf)}`,
    method: 'POST',
    headers: {
      host: 'localhost:8080',
      cookie,
      'content-type': 'application/octet-stream',
      'content-length': String(Q8.length),
    },
  });
  req.on('error', () => {});
  req.write(Q8.subarray(0, 64 * 1024));
  // Being written: the part sent is on disk in the uploads folder (root's alone).
  await waitFor('the part sent on disk', () =>
    left().some((f) => statSync(path.join(uploads(), f)).size === 64 * 1024),
  );
  expect(statSync(uploads()).mode & 0o777).toBe(0o700);
  req.destroy();
  await waitFor('the partial upload removed', () => left().length === 0);
  expect(await models()).toEqual([]);
});

it('keeps the session while a long upload is sent: its job page is shown after it, not the login', async () => {
  const body = Buffer.alloc(256 * 1024, 1);
  const req = http.request({
    socketPath: box.dash.socket,
    path: `/import-model?name=slow&_csrf=${encodeURIComponent(box.csrf)}`,
    method: 'POST',
    headers: {
      host: 'localhost:8080',
      cookie: box.cookie,
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
    },
  });
  const answer = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.write(body.subarray(0, 64 * 1024));
  await waitFor('the part sent on disk', () =>
    left().some((f) => statSync(path.join(uploads(), f)).size === 64 * 1024),
  );
  // The rest comes more than the idle hour after the upload began (a big file, a slow tunnel).
  let location = '';
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(Date.now() + 61 * 60_000);
    req.end(body.subarray(64 * 1024));
    const r = await answer;
    r.resume();
    expect(r.statusCode).toBe(303);
    location = r.headers.location!;
    const job = await box.get(location);
    expect(job.status).toBe(200);
    expect(job.body).toContain('Import model slow');
  } finally {
    vi.useRealTimers();
  }
  expect(await box.jobEnd(location)).toMatch(/data-testid="job-state">failed/);
  expect(left()).toEqual([]);
});

it("refuses a file that is not a GGUF with the CLI's words, and leaves nothing", async () => {
  const { cookie, csrf } = box;
  const r = await upload({ name: 'junk', file: 'notes<b>.gguf' }, Buffer.from('not a model\n'.repeat(100)), {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/jobs\//);
  const page = await box.jobEnd(r.headers.location!);
  expect(page).toMatch(/data-testid="job-state">failed/);
  // The browser's file name (escaped), where the CLI names the path it was given.
  expect(page).toContain(
    'error: notes&lt;b&gt;.gguf is not a GGUF model file (it does not start with &quot;GGUF&quot;)',
  );
  expect(page).toContain('hint: Give a .gguf file as llama.cpp writes it; nothing was imported.');
  expect(left()).toEqual([]);
  expect(await models()).toEqual([]);
});

it('imports a real GGUF as the CLI does and lists it; the same again is unchanged, other bytes or a taken name refused as the CLI answers them', async () => {
  const { cookie, csrf } = box;
  const r = await upload({ name: 'tiny', license: 'MIT', file: 'tiny-llama-q8_0.gguf' }, Q8, {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(r.status).toBe(303);
  // The job page, once done, leads to the Models page (its script goes there by itself).
  const id = r.headers.location!;
  await box.get(`${id}/events`);
  const done = await box.get(id);
  expect(done.status).toBe(303);
  expect(done.headers.location).toBe('/models');
  expect(await models()).toEqual(['model-tiny']);
  expect(left()).toEqual([]);
  const listed = (await box.get('/models')).body;
  expect(listed).toMatch(/data-testid="model-tiny">.*Q8_0.*imported on this box/s);
  const show = await openBox(box.root).models.show('tiny');
  expect(JSON.stringify(show)).toContain('MIT');

  // The same GGUF under the same name: the CLI's `model import` run again, "unchanged" (exit 0), not
  // a refusal; the job ends well and stays on its page, which says so (not off to the Models page,
  // where nothing would say that the upload changed nothing).
  const same = await upload({ name: 'tiny', license: 'MIT', file: 'tiny-llama-q8_0.gguf' }, Q8, {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(same.status).toBe(303);
  const samePage = await box.jobEnd(same.headers.location!);
  expect(samePage).toMatch(/data-testid="job-state">done/);
  expect(samePage).toContain('model-tiny 1.0.0 is installed already with this GGUF: unchanged');
  expect(left()).toEqual([]);
  // Other bytes of the same size: sent (only their hash tells), then refused as the CLI refuses them.
  const other = Buffer.from(Q8);
  other.writeUInt8(other.readUInt8(other.length - 1) ^ 0xff, other.length - 1);
  const otherBytes = await upload({ name: 'tiny', file: 'other.gguf' }, other, {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(otherBytes.status).toBe(303);
  const otherPage = await box.jobEnd(otherBytes.headers.location!);
  expect(otherPage).toMatch(/data-testid="job-state">failed/);
  expect(otherPage).toContain('model-tiny is already installed (version 1.0.0, from local)');
  expect(otherPage).toContain('hint: Choose another --name, or remove it first');
  expect(left()).toEqual([]);
  // The page's pre-check with the file's sampled blocks (16 of 64 bytes, first to last byte, as hex):
  // the other bytes are refused before they are sent, the same bytes are worth sending; a sample
  // that is not one (another length, not hex) leaves the size alone to decide, as without one.
  const check = async (file: Buffer, sample = sampleOf(file)) =>
    JSON.parse(
      (
        await box.get(
          `/import-model/check?${new URLSearchParams({ name: 'tiny', bytes: String(file.length), sample })}`,
        )
      ).body,
    ) as { ok?: true; error?: string };
  expect((await check(other)).error).toContain('model-tiny is already installed (version 1.0.0, from local)');
  expect(await check(Q8)).toEqual({ ok: true });
  expect(await check(other, sampleOf(other).slice(2))).toEqual({ ok: true });
  expect(await check(other, 'zz')).toEqual({ ok: true });
  // A file of another size (or another licence asked) cannot be the one installed: refused before
  // the upload is written, in the CLI's words.
  const taken = await upload({ name: 'tiny', file: 'x.gguf' }, Q8.subarray(0, Q8.length - 1), {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(taken.status).toBe(409);
  expect(taken.body).toContain('model-tiny is already installed (version 1.0.0, from local)');
  expect(taken.body).toContain('hint: Choose another --name, or remove it first');
  const otherLicence = await upload({ name: 'tiny', license: 'Apache-2.0' }, Q8, {
    cookie,
    'x-csrf-token': csrf,
  });
  expect(otherLicence.status).toBe(409);
  // A bad name: the CLI's usage error.
  const bad = await upload({ name: 'Bad Name' }, Q8, { cookie, 'x-csrf-token': csrf });
  expect(bad.status).toBe(400);
  expect(bad.body).toContain('Bad model name "Bad Name"');
  // The same bytes under another name: the job refuses them once hashed.
  const again = await upload({ name: 'again', file: 'copy.gguf' }, Q8, { cookie, 'x-csrf-token': csrf });
  expect(again.status).toBe(303);
  const page = await box.jobEnd(again.headers.location!);
  expect(page).toMatch(/data-testid="job-state">failed/);
  expect(page).toContain('copy.gguf is the GGUF of model tiny (model-tiny), installed already');
  expect(await models()).toEqual(['model-tiny']);
  expect(left()).toEqual([]);
});

it('offers the import on the Models page, and says without JavaScript that it needs it, with the CLI line', async () => {
  const page = (await box.get('/models')).body;
  expect(page).toMatch(/<form[^>]*data-upload="\/import-model"[^>]*hidden/);
  expect(page).toMatch(/<input[^>]*type="file"[^>]*accept="\.gguf"/);
  expect(page).toMatch(
    /<noscript>.*needs JavaScript.*blueprint model import FILE\.gguf --name NAME.*<\/noscript>/s,
  );
});

it('says a disk filled while the file is sent as disk full, and leaves nothing', async () => {
  // The cache on a disk of its own, room enough at the start (the upload and the import, 64 MiB kept).
  const cache = path.join(box.root, 'var/cache/blueprint');
  mkdirSync(cache, { recursive: true });
  mountTmpfs(cache, '80m');
  const body = Buffer.alloc(1024 ** 2, 1);
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        socketPath: box.dash.socket,
        path: `/import-model?name=full&_csrf=${encodeURIComponent(box.csrf)}`,
        method: 'POST',
        headers: {
          host: 'localhost:8080',
          cookie: box.cookie,
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
    req.write(body.subarray(0, 64 * 1024));
    void (async () => {
      await waitFor('the part sent on disk', () =>
        left().some((f) => statSync(path.join(uploads(), f)).size === 64 * 1024),
      );
      // Another writer fills the disk meanwhile.
      expect(() => writeFileSync(path.join(cache, 'filler'), Buffer.alloc(80 * 1024 ** 2))).toThrow(/ENOSPC/);
      req.end(body.subarray(64 * 1024));
    })().catch(reject);
  });
  const r = await answer;
  expect(r.status).toBe(413);
  expect(r.body).toMatch(/^No space left on device while receiving the uploaded model/);
  expect(r.body).toContain('hint: Free some space');
  expect(left()).toEqual([]);
  expect(await models()).toEqual(['model-tiny']);
});
