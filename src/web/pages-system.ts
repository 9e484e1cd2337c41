import { html, type Part } from './html.js';
import { csrfField, maybe } from './layout.js';
import type { DashboardOps, Maybe, SystemAction, SystemView } from './ops.js';

/**
 * Issue 21's pages: both A/B system slots, an update from a bundle file on the box or from a
 * repository, and the way back. Each change is confirmed on its own page, then POSTed with the
 * session's CSRF token (server.ts checks it) and run as a job like a package install.
 */

function slotsTable(v: SystemView): Part {
  return html`<p>System <strong>${v.compatible}</strong> version <strong data-testid="system-version">${v.version}</strong></p>
<div class="table"><table class="stack"><thead><tr><th>Slot</th><th>Version</th><th>Boot status</th><th>Now</th><th>Installed</th></tr></thead><tbody>${v.slots.map(
    (x) =>
      html`<tr data-testid="slot-${x.slot}"><td>${x.slot}</td><td data-label="Version">${x.version}</td><td data-label="Boot status" class="${x.bootStatus === 'bad' ? 'warn' : ''}">${x.bootStatus}</td><td data-label="Now">${[x.booted ? 'running' : '', x.next ? 'boots next' : ''].filter(Boolean).join(', ') || '-'}</td><td data-label="Installed">${x.installed}</td></tr>`,
  )}</tbody></table></div>`;
}

export function systemBody(v: Maybe<SystemView>): Part {
  return html`<section class="card" aria-labelledby="h-slots"><h2 id="h-slots">Slots</h2>${maybe(v, slotsTable)}</section>
${
  v.available
    ? html`<section class="card" aria-labelledby="h-update"><h2 id="h-update">Update</h2>
<form method="get" action="/system/update"><label>A bundle file on this box <input name="file" placeholder="/media/usb/blueprintos-2.0.0.raucb" required></label> <button type="submit">Continue</button></form>
<form method="get" action="/system/update"><label>Or the newest system of a repository <input name="from" placeholder="updates" required></label> <button type="submit">Continue</button></form>
<p class="muted">Nothing is written until you confirm on the next page, and then only if the bundle's signature (and, from a repository, the package's signature by that repository's key) and its version (only up) pass.</p></section>
<section class="card" aria-labelledby="h-back"><h2 id="h-back">Go back</h2><p><a href="/system/rollback">Roll back to the other slot…</a></p></section>`
    : ''
}
<p class="muted">The same as <code>blueprint system status|update|rollback</code>.</p>`;
}

function confirmBody(action: SystemAction, v: SystemView, csrf: string): Part {
  const other = v.slots.find((s) => !s.booted);
  const running = v.slots.find((s) => s.booted);
  // Rolling back: the console's words, its terminal lines made one paragraph.
  const [what, field, lines] =
    action.kind === 'rollback'
      ? [
          running?.next === false ? 'Cancel the pending update?' : `Go back to slot ${other?.slot ?? '?'}?`,
          '',
          [v.rollback.join(' ')],
        ]
      : [
          action.kind === 'file'
            ? `Install the system bundle ${action.file}?`
            : `Install the newest system of repository ${action.repo}?`,
          action.kind === 'file'
            ? html`<input type="hidden" name="file" value="${action.file}">`
            : html`<input type="hidden" name="from" value="${action.repo}">`,
          [
            `Running: ${v.version}. It is written into slot ${other?.slot ?? '?'} (not running) and boots next, on trial: reboot to start it.`,
            action.kind === 'repo'
              ? `The package must be signed by a key of ${action.repo}, the bundle by this box's RAUC keyring; the version must go up.`
              : "The bundle must be signed by this box's RAUC keyring; the version must go up.",
          ],
        ];
  const to = action.kind === 'rollback' ? '/system/rollback' : '/system/update';
  return html`<section class="card" data-testid="system-confirm"><p><strong>${what}</strong></p>${lines.map((l) => html`<p>${l}</p>`)}
<div class="actions"><form method="post" action="${to}">${csrfField(csrf)}${field}<button type="submit" autofocus>${action.kind === 'rollback' ? 'Roll back' : 'Install'}</button></form>
<a href="/system">Cancel</a></div></section>`;
}

/** GET /system, /system/update?file=|from=, /system/rollback; undefined: not a system page. */
export async function systemPage(
  path: string,
  url: URL,
  ops: DashboardOps,
  csrf: string,
): Promise<{ title: string; section: string; body: Part } | undefined> {
  if (path !== '/system' && path !== '/system/update' && path !== '/system/rollback') return undefined;
  const v: Maybe<SystemView> = ops.system
    ? await ops.system()
    : { available: false, reason: 'not available in this build' };
  const section = '/system';
  if (path === '/system' || !v.available) return { title: 'System', section, body: systemBody(v) };
  const action = actionFrom(path, url.searchParams);
  if (!action) return { title: 'System', section, body: systemBody(v) };
  return { title: 'Confirm', section, body: confirmBody(action, v.value, csrf) };
}

/** The action a form (or a confirmation page's query) names; undefined when it names none. */
export function actionFrom(path: string, form: URLSearchParams): SystemAction | undefined {
  if (path === '/system/rollback') return { kind: 'rollback' };
  if (path !== '/system/update') return undefined;
  const file = form.get('file')?.trim();
  const repo = form.get('from')?.trim();
  if (file && !repo) return { kind: 'file', file };
  if (repo && !file) return { kind: 'repo', repo };
  return undefined;
}

export const actionTitle = (a: SystemAction): string =>
  a.kind === 'rollback'
    ? 'System rollback'
    : a.kind === 'file'
      ? `System update from ${a.file}`
      : `System update from repository ${a.repo}`;
