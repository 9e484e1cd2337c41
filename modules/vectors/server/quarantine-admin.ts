/**
 * The admin's way to see to records set aside at start (quarantine.ts), without a restart and
 * without editing the data folder: `GET /quarantine` lists them, `DELETE /quarantine/NAME`
 * discards one, `POST /quarantine/NAME/apply` commits its operation anew (validated as a replay
 * applies it, logged under a new number; the file is removed once that is durable, and stays if
 * it throws again: nothing of it stays in memory, ops.ts). Either way the collection is green at
 * once. Only the admin: the admin's token, or any caller but a consumer where no token is set (a
 * consumer's own token opens every other route, not these: they drop or write clients' data).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError, type RequestContext } from '../../kit/server/index.js';
import type { RouteTable } from './api.js';
import type { Op } from './ops.js';
import { fsyncPath } from './persist.js';
import type { Quarantined } from './quarantine.js';
import type { Store } from './store.js';

/** The admin's token, or no token set and not a consumer's own. */
export function isAdmin(ctx: RequestContext, token: string | undefined): boolean {
  if (ctx.client === 'admin') return true;
  return token === undefined && !ctx.client?.startsWith('consumer:');
}

/** A record's name: its file in quarantine/ without .json. */
const nameOf = (q: Quarantined) => q.file.replace(/^quarantine\//, '').replace(/\.json$/, '');

export function quarantineRoutes(store: Store, token: string | undefined): RouteTable {
  const applying = new Set<string>();
  const admin = (ctx: RequestContext) => {
    if (!isAdmin(ctx, token))
      throw new HttpError(403, 'Forbidden: only the admin token may see to records set aside');
  };
  /** The entry of that name; names are compared, never made into paths. */
  const find = (name: string) => {
    const q = store.quarantineOf().find((e) => nameOf(e) === name);
    if (!q) throw new HttpError(404, `Not found: no record set aside is named ${JSON.stringify(name)}`);
    return q;
  };
  const discard = (q: Quarantined) => {
    rmSync(join(store.dir, q.file), { force: true });
    fsyncPath(join(store.dir, 'quarantine'));
    store.problems.drop(q.file);
  };
  return [
    [
      'GET',
      /^\/quarantine$/,
      (ctx) => {
        admin(ctx);
        return store.quarantineOf().map((q) => ({ name: nameOf(q), ...q }));
      },
    ],
    [
      'DELETE',
      /^\/quarantine\/([^/]+)$/,
      (ctx, [n]) => {
        admin(ctx);
        discard(find(n!));
        return true;
      },
    ],
    [
      'POST',
      /^\/quarantine\/([^/]+)\/apply$/,
      async (ctx, [n]) => {
        admin(ctx);
        const q = find(n!);
        if (applying.has(q.file)) throw new HttpError(409, `${n} is being applied already`);
        const op = store.problems.recordOf(store.dir, q) as (Op & { seq?: number }) | undefined;
        if (!op || typeof op !== 'object' || typeof op.t !== 'string')
          throw new HttpError(400, `Bad request: the record ${n} is not an operation; discard it`);
        // A restore's collection is built from its snapshot file before it is logged: recover again.
        if (op.t === 'restore')
          throw new HttpError(400, `Bad request: ${n} is a snapshot recovery; recover the snapshot again`);
        const { seq: _old, ...fresh } = op;
        applying.add(q.file);
        try {
          const seq = await store.commit(fresh as Op);
          discard(q);
          return { operation_id: seq, status: 'completed' };
        } finally {
          applying.delete(q.file);
        }
      },
    ],
  ];
}
