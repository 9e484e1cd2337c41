import { showFingerprint } from '../present/fingerprint.js';
import type { Jobs } from './jobs.js';
import type { DashboardOps } from './ops.js';
import * as P from './pages.js';
import { confirmRepoRemoveBody } from './pages-admin.js';
import { addRepoFormBody, confirmAddRepoBody, FIELD_MAX, type NewRepoFields } from './pages-repos.js';
import { errorText } from './respond.js';
import type { Done, Shown } from './routes-admin.js';

/**
 * The Keys & repositories page's routes: the page; "Add a repository…" (its form, the key shown
 * for confirmation, then the first update as a job that leads to the repository's packages);
 * removing a repository after its confirmation. Each change is a POST that server.ts let through
 * its Host, origin, session and CSRF checks.
 */

const dec = decodeURIComponent;
const SECTION = '/keys';

const fieldsOf = (form: URLSearchParams): NewRepoFields => ({
  name: (form.get('name') ?? '').slice(0, FIELD_MAX.name * 4),
  url: (form.get('url') ?? '').slice(0, FIELD_MAX.url * 2),
  // A browser sends a text box's lines ended by CR LF; the confirmation carries the key again, and
  // a CR there would be shown as \x0d (html.ts): the armour then no longer reads.
  key: (form.get('key') ?? '').replace(/\r\n?/g, '\n'),
  mirrors: (form.get('mirrors') ?? '').slice(0, FIELD_MAX.mirrors * 2).replace(/\r\n?/g, '\n'),
  repository: (form.get('repository') ?? '').slice(0, FIELD_MAX.repository * 4),
});

/** What the box is asked: the mirrors one a line, the published name when one is given. */
const askOf = (f: NewRepoFields) => ({
  name: f.name,
  url: f.url,
  armored: f.key,
  mirrors: f.mirrors.split('\n').filter((l) => l.trim()),
  ...(f.repository ? { repository: f.repository } : {}),
});

/**
 * A refusal's status: a name or key taken (ConflictError, exit 5) 409, a key block over its bound
 * 413, the rest (a bad name, URL or key: usage and verification) 400.
 */
function statusOf(err: unknown): number {
  const e = err as { code?: string; exitCode?: number };
  if (e.code === 'key-too-large') return 413;
  if (e.exitCode === 5) return 409;
  return e.exitCode === 2 || e.exitCode === 4 ? 400 : 500;
}

/** The form again, as sent (the key kept to correct, never a private key's text), with the refusal. */
function refused(err: unknown, f: NewRepoFields, csrf: string): Done {
  const shown = /PRIVATE KEY|SECRET KEY/.test(f.key) ? { ...f, key: '' } : f;
  return {
    page: { title: 'Add a repository', section: SECTION, body: addRepoFormBody(shown, csrf) },
    status: statusOf(err),
    error: errorText(err),
  };
}

/** Removing takes both: the confirmation page lists what was installed from it, and the POST removes it. */
const canRemoveRepo = (ops: DashboardOps) => Boolean(ops.removeRepo && ops.installedFrom);

/** GET /keys, /keys/repos/add, /keys/repos/NAME/remove; undefined: not one of them. */
export async function reposPage(path: string, ops: DashboardOps, csrf: string): Promise<Shown | undefined> {
  if (path === '/keys') {
    const [keys, repos] = await Promise.all([ops.keys(), ops.repos()]);
    return {
      title: 'Keys and repositories',
      section: SECTION,
      body: P.keysBody(keys, repos, Boolean(ops.addRepo), canRemoveRepo(ops)),
    };
  }
  if (path === '/keys/repos/add' && ops.addRepo)
    return {
      title: 'Add a repository',
      section: SECTION,
      body: addRepoFormBody({ name: '', url: '', key: '', mirrors: '', repository: '' }, csrf),
    };
  const m = path.match(/^\/keys\/repos\/([^/]+)\/remove$/);
  if (m && ops.installedFrom && canRemoveRepo(ops)) {
    const name = dec(m[1]!);
    if (!(await ops.repos()).some((r) => r.name === name))
      throw Object.assign(new Error(`No repository named ${name} is configured`), { exitCode: 3 });
    return {
      title: `Remove repository ${name}?`,
      section: SECTION,
      body: confirmRepoRemoveBody(name, await ops.installedFrom(name), csrf),
    };
  }
  return undefined;
}

/** POST /keys/repos/add, /keys/repos/add/confirm, /keys/repos/NAME/remove; undefined: not one of them. */
export async function reposPost(
  path: string,
  form: URLSearchParams,
  ops: DashboardOps,
  jobs: Jobs,
  csrf: string,
): Promise<Done | undefined> {
  if (path === '/keys/repos/add' && ops.checkNewRepo) {
    const f = fieldsOf(form);
    try {
      const v = await ops.checkNewRepo(askOf(f));
      return {
        page: {
          title: `Add repository ${v.name}?`,
          section: SECTION,
          body: confirmAddRepoBody(v, f.key, csrf),
        },
      };
    } catch (err) {
      return refused(err, f, csrf);
    }
  }
  if (path === '/keys/repos/add/confirm' && ops.addRepo && ops.checkNewRepo) {
    const f = fieldsOf(form);
    const fingerprint = form.get('fingerprint') ?? '';
    let v: Awaited<ReturnType<NonNullable<DashboardOps['checkNewRepo']>>>;
    try {
      v = await ops.checkNewRepo(askOf(f));
    } catch (err) {
      return refused(err, f, csrf);
    }
    const again = (text: string): Done => ({
      page: {
        title: `Add repository ${v.name}?`,
        section: SECTION,
        body: confirmAddRepoBody(v, f.key, csrf),
      },
      status: 400,
      error: text,
    });
    if (form.get('confirm') !== 'yes')
      return again(
        'Nothing was trusted or added: tick the confirmation once you have compared the fingerprint with the publisher’s.',
      );
    // The key the page showed, and no other (`--fingerprint`): a form altered since is refused.
    if (fingerprint.toLowerCase() !== v.fingerprint)
      return again(
        `Key fingerprint ${v.shownFingerprint} does not match the expected ${showFingerprint(fingerprint.slice(0, 80))}\nhint: The key is not the one the confirmation showed; nothing was trusted or added.`,
      );
    const title = `Add repository ${v.name}`;
    if (jobs.latest?.state === 'running') return { busy: title };
    const job = jobs.start(title, async (progress, signal) => {
      await ops.addRepo!({ ...askOf(f), fingerprint }, progress, signal);
    });
    job.next = { href: `/packages?repo=${encodeURIComponent(v.name)}`, label: `The packages of ${v.name}` };
    return { job: job.id };
  }
  const r = path.match(/^\/keys\/repos\/([^/]+)\/remove$/);
  if (r && ops.removeRepo) {
    try {
      return { to: SECTION, notice: { kind: 'notice', text: await ops.removeRepo(dec(r[1]!)) } };
    } catch (err) {
      return { to: SECTION, notice: { kind: 'error', text: errorText(err) } };
    }
  }
  return undefined;
}
