import type { IncomingMessage, ServerResponse } from 'node:http';
import { approvalAsked } from '../present/outbound.js';
import { shownHint } from '../present/root-in-hints.js';
import { assets } from './assets.js';
import { Jobs, NO_SUCH_JOB, streamJob } from './jobs.js';
import { type PageOptions, page, stateTone } from './layout.js';
import { checkModelUpload, postModelUpload } from './model-upload.js';
import { type Notice, Notices } from './notices.js';
import type { DashboardOps, PackageAction, ServiceAction } from './ops.js';
import { startUpdate, updateNotice } from './package-update.js';
import * as P from './pages.js';
import { approvalBody, approvalsFrom, outboundBody } from './pages-outbound.js';
import { alreadyInstalledBody, notInstalledBody } from './pages-package-state.js';
import { actionFrom, actionTitle, systemPage } from './pages-system.js';
import { errorLines, errorText, eventStream, readForm, redirect, refuse, send } from './respond.js';
import { adminPage, adminPost } from './routes-admin.js';
import { reposPage, reposPost } from './routes-repos.js';
import {
  allowedHost,
  clearedCookie,
  csrfMatches,
  fromElsewhere,
  redeemLoginToken,
  type Session,
  Sessions,
  sameOrigin,
  sessionCookie,
} from './security.js';
import { ServiceActions } from './service-actions.js';
import { settingsPost, settingsSection } from './settings.js';

/**
 * The dashboard's request handler: checks, then routes. Every answer carries the security
 * headers; every change is a POST that passed the Host, origin, session and CSRF checks, in that
 * order, and then makes the one `DashboardOps` call the CLI's command of the same name makes.
 */
export interface HandlerOptions {
  ops: DashboardOps;
  tokenDir: string;
  /** At most this many sessions (default MAX_SESSIONS); a test makes it small. */
  maxSessions?: number;
  /** A model upload idle this long is ended (default UPLOAD_IDLE_MS); a test makes it small. */
  uploadIdleMs?: number | undefined;
}

const enc = encodeURIComponent;

const statusOf = (exitCode: number | undefined) => (exitCode === 3 ? 404 : exitCode === 2 ? 400 : 500);

const decodable = (path: string): boolean => {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
};

export function createHandler(o: HandlerOptions) {
  const sessions = new Sessions({ max: o.maxSessions });
  const jobs = new Jobs();
  const notices = new Notices();
  const serviceActions = new ServiceActions(notices);
  // After a change, back to a page with its notice: the text stays here, the link carries an id.
  const noticed = (res: ServerResponse, s: Session, to: string, n: Notice) =>
    redirect(res, `${to}?notice=${notices.put(s, n)}`);
  // One change at a time: one asked for meanwhile is not started, and the running one's page says so.
  const busy = (res: ServerResponse, s: Session, asked: string) =>
    noticed(res, s, `/jobs/${enc(jobs.latest!.id)}`, {
      kind: 'error',
      text: `${asked} was not started: ${jobs.latest!.title} is running (below). Ask for it again once that has ended.`,
    });
  const view = (res: ServerResponse, o2: PageOptions, status = 200) => send(res, status, page(o2));
  // The package's row on the packages page: whether it is installed, and its newest offer.
  const packageRow = async (name: string) => (await o.ops.packages(name)).find((p) => p.name === name);

  async function get(path: string, url: URL, res: ServerResponse, s: Session, head: boolean): Promise<void> {
    const base = { csrf: s.csrf };
    // Never text from the link itself (`?error=…`): only what this session's change left here.
    // Taken by a GET only: a HEAD (a link checker, `curl -I`) shows no page, so it must not use the
    // notice up before the GET that does.
    const at = (re: RegExp) => path.match(re);
    let m: RegExpMatchArray | null = at(/^\/services\/([^/]+)$/);
    // A service action's outcome that its POST's answer never carried (the page was reloaded).
    const lost = m && !head ? serviceActions.undelivered(s, decodeURIComponent(m[1]!)) : undefined;
    const flash = head ? undefined : notices.take(s, url.searchParams.get('notice') ?? lost ?? null);
    const common = { ...base, ...(flash ? { flash } : {}) };
    if (path === '/')
      return view(res, {
        ...common,
        title: 'Overview',
        section: '/',
        body: P.overviewBody(await o.ops.overview()),
      });
    if (path === '/services')
      return view(res, {
        ...common,
        title: 'Services',
        section: '/services',
        body: P.servicesBody(await o.ops.services(), s.csrf),
      });
    if (m) {
      const d = await o.ops.service(decodeURIComponent(m[1]!));
      return view(res, {
        ...common,
        title: `Service ${d.name}`,
        section: '/services',
        body: [
          serviceActions.card(d.name),
          P.serviceBody(d, s.csrf),
          await settingsSection(o.ops, d.name, s.csrf),
        ],
      });
    }
    m = at(/^\/services\/([^/]+)\/action$/);
    if (m) return serviceActions.stream(decodeURIComponent(m[1]!), res);
    m = at(/^\/services\/([^/]+)\/state$/);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const d = (await o.ops.services()).find((x) => x.name === name);
      const state = d?.state ?? 'unknown';
      return send(res, 200, JSON.stringify({ state, tone: stateTone(state) }), {
        'Content-Type': 'application/json',
      });
    }
    m = at(/^\/services\/([^/]+)\/logs$/);
    if (m) {
      const st = eventStream(res);
      await o.ops
        .followLogs(decodeURIComponent(m[1]!), (l) => st.event('message', l), st.signal)
        .catch((err) => st.event('message', errorLines(err)));
      st.event('end', 'log closed');
      return st.end();
    }
    if (path === '/packages') {
      const q = url.searchParams.get('q') ?? '';
      // ?repo=NAME: what that repository offers (where adding a repository leads).
      const repo = url.searchParams.get('repo');
      const rows = (await o.ops.packages(q)).filter((p) => repo === null || p.origin === repo);
      return view(res, {
        ...common,
        title: repo === null ? 'Packages' : `Packages of repository ${repo}`,
        section: '/packages',
        body: P.packagesBody(rows, q, s.csrf),
      });
    }
    if (path === '/packages/upgrade') {
      const said = flash ? {} : updateNotice(jobs, url);
      return view(res, {
        ...common,
        ...said,
        title: 'Upgrade all?',
        section: '/packages',
        body: P.confirmUpgradeBody(await o.ops.upgradePlan(), s.csrf),
      });
    }
    m = at(/^\/packages\/([^/]+)\/install$/);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      // Installed already: said, with the next step; no Install that would do nothing. One installed
      // as a dependency is installed too: Keep it is its install, which marks it the admin's.
      const row = await packageRow(name);
      if (row?.installed)
        return view(res, {
          ...common,
          title: `${name} is installed`,
          section: '/packages',
          body: alreadyInstalledBody(
            row,
            s.csrf,
            row.auto && o.ops.keepPlan ? await o.ops.keepPlan(name) : undefined,
          ),
        });
      return view(res, {
        ...common,
        title: `Install ${name}?`,
        section: '/packages',
        body: P.confirmInstallBody(name, await o.ops.signerOf(name), s.csrf),
      });
    }
    m = at(/^\/packages\/([^/]+)\/remove$/);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      // Not installed: said (and whether a repository offers it); no Remove that would fail.
      const row = await packageRow(name);
      if (!row?.installed)
        return view(res, {
          ...common,
          title: `${name} is not installed`,
          section: '/packages',
          body: notInstalledBody(name, row),
        });
      return view(res, {
        ...common,
        title: `Remove ${name}?`,
        section: '/packages',
        body: P.confirmRemoveBody(name, s.csrf),
      });
    }
    m = at(/^\/jobs\/([^/]+)(\/events)?$/);
    if (m) {
      const job = jobs.get(decodeURIComponent(m[1]!));
      if (!job) return refuse(res, 404, NO_SUCH_JOB);
      // A job that ended well and leads on (an update: its plan; a repository added: its packages).
      if (!m[2] && job.next && job.state === 'done') return redirect(res, job.next.href);
      if (!m[2])
        return view(res, {
          ...common,
          title: job.title,
          section: '/packages',
          body: [
            P.jobBody(job.id, job.title, job.lines, job.state, job.next),
            job.approval ? approvalBody(job.approval.name, job.approval, s.csrf) : '',
          ],
        });
      return streamJob(job, res);
    }
    if (path === '/import-model/check') return checkModelUpload(res, url, o.ops, jobs);
    if (path === '/gpu')
      return view(res, { ...common, title: 'GPU', section: '/gpu', body: P.gpuBody(await o.ops.gpus()) });
    if (path === '/outbound')
      return view(res, {
        ...common,
        title: 'Outbound',
        section: '/outbound',
        body: outboundBody(await o.ops.outbound()),
      });
    const other =
      (await systemPage(path, url, o.ops, s.csrf)) ??
      (await reposPage(path, o.ops, s.csrf)) ??
      (await adminPage(path, o.ops, s.csrf));
    if (other) return view(res, { ...common, ...other });
    if (path === '/audit')
      return view(res, {
        ...common,
        title: 'Audit',
        section: '/audit',
        body: P.auditBody(await o.ops.exposure()),
      });
    return refuse(res, 404, 'Not found');
  }

  async function post(path: string, res: ServerResponse, s: Session, form: URLSearchParams): Promise<void> {
    const at = (re: RegExp) => path.match(re);
    let m: RegExpMatchArray | null;
    if (path === '/logout') {
      sessions.end(s);
      return redirect(res, '/login', { 'Set-Cookie': clearedCookie });
    }
    m = at(/^\/services\/([^/]+)\/(start|stop|restart)$/);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const action = m[2] as ServiceAction;
      return serviceActions.post(res, s, action, name, () => o.ops.serviceAction(action, name));
    }
    if (path === '/packages/update') {
      if (jobs.latest?.state === 'running') return busy(res, s, 'Update and upgrade all');
      const job = startUpdate(jobs, o.ops);
      return redirect(res, `/jobs/${enc(job.id)}`);
    }
    m = at(/^\/packages\/([^/]+)\/(install|remove)$/);
    if (path === '/packages/upgrade' || m) {
      const action: PackageAction = m ? (m[2] as PackageAction) : 'upgrade';
      const name = m ? decodeURIComponent(m[1]!) : '';
      const title =
        action === 'upgrade' ? 'Upgrade' : `${action === 'install' ? 'Install' : 'Remove'} ${name}`;
      if (jobs.latest?.state === 'running') return busy(res, s, title);
      // A page shown before another admin (or bpkg) installed or removed it: nothing to do, said on
      // the package's page, which now offers the next step.
      const row = m ? await packageRow(name) : undefined;
      if (action === 'install' && row?.installed && !row.auto)
        return noticed(res, s, `/packages/${enc(name)}/install`, {
          kind: 'notice',
          text: `Nothing was installed: ${name} ${row.version} is installed already.`,
        });
      if (action === 'remove' && !row?.installed)
        return noticed(res, s, `/packages/${enc(name)}/remove`, {
          kind: 'notice',
          text: `Nothing was removed: ${name} is not installed.`,
        });
      const approvals = action === 'install' ? approvalsFrom(form.getAll('approve')) : undefined;
      // The plan the confirmed page showed (its form carries its id): carried out, and no other.
      const plan = form.get('plan') ?? undefined;
      const job = jobs.start(
        title,
        (progress, signal) => o.ops.packageAction(action, name, progress, signal, approvals, plan),
        (err) => {
          const asked = action === 'install' ? approvalAsked(err) : undefined;
          return asked && { name, ...asked, approved: approvals ?? {}, ...(plan ? { plan } : {}) };
        },
      );
      return redirect(res, `/jobs/${enc(job.id)}`);
    }
    const sys = o.ops.systemAction && actionFrom(path, form);
    if (sys) {
      if (jobs.latest?.state === 'running') return busy(res, s, actionTitle(sys));
      const job = jobs.start(actionTitle(sys), (progress, signal) =>
        o.ops.systemAction!(sys, progress, signal),
      );
      return redirect(res, `/jobs/${enc(job.id)}`);
    }
    const done =
      (await reposPost(path, form, o.ops, jobs, s.csrf)) ??
      (await adminPost(path, form, o.ops, s.csrf)) ??
      (await settingsPost(path, form, o.ops, s.csrf));
    if (!done) return refuse(res, 404, 'Not found');
    if ('job' in done) return redirect(res, `/jobs/${enc(done.job)}`);
    if ('busy' in done) return busy(res, s, done.busy);
    if ('page' in done) {
      const flash = done.error ? { flash: { kind: 'error' as const, text: done.error } } : {};
      return view(res, { csrf: s.csrf, ...flash, ...done.page }, done.status);
    }
    return noticed(res, s, done.to, done.notice);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a page of evil.example that made its name resolve to 127.0.0.1 sends its own
    // name here. Refused before anything else, assets included.
    if (!allowedHost(req.headers.host))
      return refuse(res, 421, 'Refused: this dashboard answers to localhost only (Host header)');
    if (fromElsewhere(req))
      return refuse(res, 403, "Refused: a request from another site's page (Sec-Fetch-Site)");
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const asset = assets[path];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      if (req.headers['if-none-match'] === asset.etag) return send(res, 304, '', { ETag: asset.etag });
      return send(res, 200, asset.body, {
        'Content-Type': asset.type,
        ETag: asset.etag,
        'Cache-Control': 'private, max-age=86400',
      });
    }
    if (method === 'POST' && !sameOrigin(req))
      return refuse(res, 403, 'Refused: a change must come from this dashboard (Origin)');
    if (path === '/login') {
      const form = method === 'POST' ? await readForm(req) : undefined;
      const token = method === 'POST' ? form?.get('token') : url.searchParams.get('token');
      if (token) {
        if (await redeemLoginToken(o.tokenDir, token.trim())) {
          const s = sessions.create();
          return redirect(res, '/', { 'Set-Cookie': sessionCookie(s) });
        }
        return view(
          res,
          { title: 'Log in', body: P.loginBody('That login token is unknown, used or expired.') },
          401,
        );
      }
      return view(res, { title: 'Log in', body: P.loginBody('Log in with a one-time token.') }, 401);
    }
    // The service page's script asks for the state every 2 s: that is not the admin's use.
    const session = sessions.fromRequest(req, !(method === 'GET' && /^\/services\/[^/]+\/state$/.test(path)));
    if (!session) {
      if (method === 'GET' && req.headers.accept?.includes('text/html'))
        return view(res, { title: 'Log in', body: P.loginBody('You are not logged in.') }, 401);
      // After --root (the demo's box) the command carries it, as every hint (present/root-in-hints).
      return refuse(
        res,
        401,
        shownHint('Not logged in: run `blueprint dashboard url` on the box for a login link'),
      );
    }
    // Names in the path are %-decoded: a link with a broken escape (cut short when copied) is the
    // link's fault, said as such, not JavaScript's 'URI malformed' as a server error.
    if (!decodable(path))
      return refuse(
        res,
        400,
        'Bad link: its address has a malformed %-escape (cut short when copied?). Open the page from the menu at /.',
      );
    try {
      if (method === 'GET' || method === 'HEAD') return await get(path, url, res, session, method === 'HEAD');
      if (method !== 'POST') return refuse(res, 405, 'Method not allowed');
      // The one POST whose body is no form: a GGUF, its CSRF token in a header (model-upload.ts).
      if (path === '/import-model')
        return await postModelUpload(req, res, url, session, o.ops, jobs, o.uploadIdleMs);
      // A repository's key fits in its form (src/web/pages-repos.ts); every other form in 16 KiB.
      const form = await readForm(req, path.startsWith('/keys/repos/add') ? 128 * 1024 : undefined);
      if (form === null) return refuse(res, 413, 'Refused: the form is larger than this page takes');
      if (!form || !csrfMatches(session, form.get('_csrf') ?? undefined))
        return refuse(res, 403, 'Refused: missing or wrong CSRF token');
      return await post(path, res, session, form);
    } catch (err) {
      if (res.headersSent) {
        res.end();
        return;
      }
      return view(
        res,
        { title: 'Error', csrf: session.csrf, flash: { kind: 'error', text: errorText(err) }, body: '' },
        // The CLI's exit code 3 (an unknown package or service) is a 404 here, and 2 (a usage
        // error: a path where a package name goes) a 400; the rest a 500.
        statusOf((err as { exitCode?: number }).exitCode),
      );
    }
  };
}
