import { html, type Part } from './html.js';
import { actionButton, csrfField, planField } from './layout.js';
import type { PackageView } from './ops.js';

/**
 * The install page of a package that is installed already, and the remove page of one that is not:
 * what is the case and the next step, with no confirmation (one would do nothing, or fail). A row
 * of the packages page (`box.packages.rows`), so both say what Packages says.
 */

const enc = encodeURIComponent;

/** `keepPlan`: a dependency's plan id (ops.ts keepPlan): Keep it, its install, marks it the admin's. */
export function alreadyInstalledBody(p: PackageView, csrf: string, keepPlan?: string): Part {
  const next = p.upgrade
    ? html`<p>Its repository${p.origin ? html` ${p.origin}` : ''} offers ${p.upgrade}: the upgrade shows its plan before it asks.</p>
<div class="actions">${actionButton(csrf, '/packages/update', 'Update and upgrade all…')}
<a class="button secondary" href="/packages/${enc(p.name)}/remove">Remove…</a> <a href="/packages">Back to packages</a></div>`
    : html`<p>${
        p.origin
          ? 'It is at the newest version its repository offers.'
          : 'No repository offers a newer version.'
      }</p>
<div class="actions"><a class="button secondary" href="/packages/${enc(p.name)}/remove">Remove…</a> <a href="/packages">Back to packages</a></div>`;
  const keep =
    p.auto && keepPlan
      ? html`<form method="post" action="/packages/${enc(p.name)}/install">${csrfField(csrf)}${planField(keepPlan)}<p>Keep it marks it as installed by you: autoremove keeps it.</p><button type="submit">Keep it</button></form>`
      : '';
  return html`<section class="card"><p><strong>${p.name} ${p.version} is installed</strong>${
    p.auto
      ? keepPlan
        ? html`, as a dependency: <code>bpkg autoremove</code> removes it once nothing installed needs it.`
        : html`, as a dependency: <code>bpkg autoremove</code> removes it once nothing installed needs it (<code>bpkg install ${p.name}</code> on the box keeps it).`
      : '.'
  }</p>
${keep}${next}</section>`;
}

/** `offered`: the newest offer of the package, when a repository has it. */
export function notInstalledBody(name: string, offered: PackageView | undefined): Part {
  return html`<section class="card"><p><strong>${name} is not installed</strong>${
    offered
      ? html`; ${offered.origin ? html`repository ${offered.origin}` : 'a repository'} offers ${offered.version}.`
      : ', and no repository offers it.'
  }</p>
<div class="actions">${
    offered ? html`<a class="button" href="/packages/${enc(name)}/install">Install…</a> ` : ''
  }<a href="/packages">Back to packages</a></div></section>`;
}
