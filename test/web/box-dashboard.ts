import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { bpkg, type SourceSpec, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';
import { type Answer, answerOf, request } from './fake-ops.js';

/**
 * The dashboard on a real box, logged in, for the tests of its package pages: a signed folder
 * repository of `sources`, a root trusting it with `installed` installed by `bpkg install`, the
 * dashboard on that root through its unix socket, a session cookie and its CSRF token. Set up by
 * the calling file's beforeAll (the returned object is filled in then) and closed by its afterAll.
 */
export interface BoxDashboard {
  root: string;
  repo: string;
  key: TestKey;
  dash: Dashboard;
  /** The session's cookie (`bp_session=…`) and its CSRF token, once logged in. */
  cookie: string;
  csrf: string;
  get(p: string): Promise<Answer>;
  /** A form posted as the page's own (the session's cookie, its origin, the CSRF token). */
  post(p: string, fields: Record<string, string>): Promise<Answer>;
  /** Follows a job to its end; its page as rendered without JavaScript. */
  jobEnd(location: string): Promise<string>;
}

export function boxDashboard(
  sources: SourceSpec[],
  installed: string,
  prefix: string,
  opts: { uploadIdleMs?: number } = {},
): BoxDashboard {
  let cookie = '';
  let csrf = '';
  const b = {
    get: (p: string) => request(b.dash.socket, p, { headers: { cookie } }),
    post: (p: string, fields: Record<string, string>) => postForm(b.dash, { cookie, csrf }, p, fields),
    async jobEnd(location: string) {
      await b.get(`${location}/events`); // the stream closes when the job ends
      return (await b.get(location)).body;
    },
  } as BoxDashboard;
  beforeAll(async () => {
    ({ key: b.key, repo: b.repo } = await signedRepo(sources));
    b.root = await trustingRoot(b.key, b.repo);
    expect((await bpkg(b.root, ['install', '--yes', installed])).code).toBe(0);
    b.dash = await startDashboard({
      runDir: path.join(tempDir(prefix), 'run/blueprint'),
      ops: appOps(b.root),
      gid: process.getgid?.() ?? 0,
      ...opts,
    });
    ({ cookie, csrf } = await logIn(b.dash, '/packages'));
    b.cookie = cookie;
    b.csrf = csrf;
  }, 60_000);
  afterAll(async () => {
    await b.dash?.close();
  });
  return b;
}

/** A session on `dash`: its cookie (`bp_session=…`) and the CSRF token `page` carries. */
export async function logIn(dash: Dashboard, page = '/tokens'): Promise<{ cookie: string; csrf: string }> {
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  const html = (await request(dash.socket, page, { headers: { cookie } })).body;
  return { cookie, csrf: html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '' };
}

/**
 * A form posted as the page's own: the session's cookie, this machine's origin, the CSRF token.
 * `fields` as entries when a name repeats (the settings form's `unset`).
 */
export function postForm(
  dash: Dashboard,
  session: { cookie: string; csrf: string },
  p: string,
  fields: Record<string, string> | [string, string][],
): Promise<Answer> {
  const body = Array.isArray(fields)
    ? new URLSearchParams([['_csrf', session.csrf], ...fields])
    : new URLSearchParams({ _csrf: session.csrf, ...fields });
  return request(dash.socket, p, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: session.cookie,
      origin: 'http://localhost:8080',
    },
    body: body.toString(),
  });
}

/** The actions of a page's POST forms, but for the logout every page has. */
export const forms = (page: string) =>
  [...page.matchAll(/<form[^>]* method="post" action="([^"]+)"/g)]
    .map((m) => m[1])
    .filter((a) => a !== '/logout');

/**
 * A model upload as the Models page's script sends it (POST /import-model, the session's cookie
 * and CSRF token): the request, its body written by the caller, and its answer. A refusal may close
 * the connection before the body was all sent (EPIPE is no error).
 */
export function startUpload(
  at: { socket: string; cookie: string; csrf: string },
  name: string,
  bytes: number,
): { req: http.ClientRequest; answer: Promise<Answer> } {
  const req = http.request({
    socketPath: at.socket,
    path: `/import-model?name=${name}&_csrf=${encodeURIComponent(at.csrf)}`,
    method: 'POST',
    headers: {
      host: 'localhost:8080',
      cookie: at.cookie,
      'content-type': 'application/octet-stream',
      'content-length': String(bytes),
    },
  });
  return { req, answer: answerOf(req, true) };
}
