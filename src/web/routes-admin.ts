import type { Part } from './html.js';
import type { DashboardOps, TokenView } from './ops.js';
import {
  confirmTokenBody,
  modelBody,
  modelsBody,
  newTokenBody,
  ownTokenBody,
  tokensBody,
} from './pages-admin.js';
import { errorText } from './respond.js';

/**
 * The Models and Tokens pages' routes (server.ts hands them every path it does not know). GETs show;
 * each change is a POST that server.ts let through its Host, origin, session and CSRF checks. A
 * model's removal is the Packages page's (`/packages/model-NAME/remove`): its confirmation, its
 * job, the refusals `bpkg remove` and `blueprint model rm` give (a model another package needs).
 */

export interface Shown {
  title: string;
  section: string;
  body: Part;
}

/**
 * What a POST led to: a page to show as its answer (with its status and an error notice, for a
 * refusal shown on the form it corrects), a notice on another page, a job started (its page), or
 * a change not started because another runs (`busy`: its title).
 */
export type Done =
  | { page: Shown; status?: number; error?: string }
  | { to: string; notice: { kind: 'notice' | 'error'; text: string } }
  | { job: string }
  | { busy: string };

const unavailable = (section: string): Shown => ({
  title: 'Not available',
  section,
  body: 'Not available in this build.',
});

const dec = decodeURIComponent;

async function tokenOf(ops: DashboardOps, name: string): Promise<TokenView> {
  const t = (await ops.tokens!()).find((x) => x.name === name);
  if (!t) throw Object.assign(new Error(`No module named ${name} is installed`), { exitCode: 3 });
  return t;
}

/** GET /models, /models/NAME, /tokens, /tokens/NAME/new|consumers|own; undefined: not one of them. */
export async function adminPage(path: string, ops: DashboardOps, csrf: string): Promise<Shown | undefined> {
  if (path === '/models')
    return ops.models
      ? { title: 'Models', section: '/models', body: modelsBody(await ops.models(), csrf) }
      : unavailable('/models');
  let m = path.match(/^\/models\/([^/]+)$/);
  if (m) {
    if (!ops.model) return unavailable('/models');
    const name = dec(m[1]!);
    const rows = await ops.model(name);
    const bare = name.startsWith('model-') ? name.slice('model-'.length) : name;
    return {
      title: `Model ${bare}`,
      section: '/models',
      body: modelBody(bare, `model-${bare}`, rows, csrf),
    };
  }
  if (path === '/tokens')
    return ops.tokens
      ? { title: 'Access tokens', section: '/tokens', body: tokensBody(await ops.tokens()) }
      : unavailable('/tokens');
  m = path.match(/^\/tokens\/([^/]+)\/own$/);
  if (m && ops.tokens && ops.setOwnToken) {
    const t = await tokenOf(ops, dec(m[1]!));
    return { title: `Your own token for ${t.name}`, section: '/tokens', body: ownTokenBody(t, csrf) };
  }
  m = path.match(/^\/tokens\/([^/]+)\/(new|consumers)$/);
  if (m) {
    if (!ops.tokens) return unavailable('/tokens');
    const t = await tokenOf(ops, dec(m[1]!));
    const consumers = m[2] === 'consumers';
    return {
      title: consumers ? `New tokens for the users of ${t.name}?` : `New token for ${t.name}?`,
      section: '/tokens',
      body: confirmTokenBody(t, consumers, csrf),
    };
  }
  return undefined;
}

/** POST /models/default, /tokens/NAME/new|consumers|own|remove; undefined: not one of them. */
export async function adminPost(
  path: string,
  form: URLSearchParams,
  ops: DashboardOps,
  csrf: string,
): Promise<Done | undefined> {
  if (path === '/models/default' && ops.setDefaultModel) {
    const name = form.get('name') ?? '';
    try {
      return {
        to: '/models',
        notice: { kind: 'notice', text: await ops.setDefaultModel(name || undefined) },
      };
    } catch (err) {
      return { to: '/models', notice: { kind: 'error', text: errorText(err) } };
    }
  }
  const own = path.match(/^\/tokens\/([^/]+)\/(own|remove)$/);
  if (own && ops.tokens && ops.setOwnToken) {
    const t = await tokenOf(ops, dec(own[1]!));
    const token = own[2] === 'own' ? (form.get('token') ?? '') : undefined;
    // Refused on the form again, never echoing the token sent.
    const again = (status: number, error: string): Done => ({
      page: { title: `Your own token for ${t.name}`, section: '/tokens', body: ownTokenBody(t, csrf) },
      status,
      error,
    });
    if (token === undefined && form.get('confirm') !== 'yes')
      return again(
        400,
        `Nothing was removed: tick the box once you mean it (without a token, any local client of its socket may use its API).`,
      );
    try {
      return { to: '/tokens', notice: { kind: 'notice', text: await ops.setOwnToken(t.name, token) } };
    } catch (err) {
      const e = err as { exitCode?: number };
      return again(e.exitCode === 2 ? 400 : e.exitCode === 5 ? 409 : 500, errorText(err));
    }
  }
  const m = path.match(/^\/tokens\/([^/]+)\/(new|consumers)$/);
  if (m && ops.newToken && ops.rotateConsumerTokens) {
    const name = dec(m[1]!);
    if (m[2] === 'new')
      // Shown once, as this POST's answer: never in a link, a notice kept for later, or a log.
      return {
        page: {
          title: `New token for ${name}`,
          section: '/tokens',
          body: newTokenBody(await ops.newToken(name)),
        },
      };
    try {
      return { to: '/tokens', notice: { kind: 'notice', text: await ops.rotateConsumerTokens(name) } };
    } catch (err) {
      return { to: '/tokens', notice: { kind: 'error', text: errorText(err) } };
    }
  }
  return undefined;
}
