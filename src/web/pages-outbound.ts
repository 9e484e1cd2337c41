import { html, type Part } from './html.js';
import { csrfField, planField } from './layout.js';
import type { OutboundView } from './ops.js';

/** Issue 19's pages: where the box talked to, and the approval of a module's outbound hosts. */

const enc = encodeURIComponent;

export function outboundBody(o: OutboundView): Part {
  return html`<section class="card">${o.summary.map((l) => html`<p>${l}</p>`)}</section>
<div class="table card"><table class="stack"><thead><tr><th>Who</th><th>Destination</th><th>Count</th><th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Verdict</th></tr></thead><tbody>${
    o.rows.length
      ? o.rows.map(
          (r) =>
            html`<tr><td>${r.who}</td><td class="wrap">${r.destination}</td><td data-label="Count">${r.count}</td><td data-label="First seen">${r.firstSeen}</td><td data-label="Last seen">${r.lastSeen}</td><td data-label="Verdict" class="${r.blocked ? 'warn' : ''}">${r.verdict}</td></tr>`,
        )
      : html`<tr><td colspan="6">Nothing contacted yet, or no history kept.</td></tr>`
  }</tbody></table></div>
<p class="muted">The same as <code>blueprint audit outbound</code>: the firewall's counters, kept on disk (bounded). Blocked destinations first.</p>`;
}

/**
 * An install stopped because `module` asks for outbound network: its hosts, and a form that runs
 * the install again approving exactly them (the box refuses it if the package declares others).
 */
export function approvalBody(
  name: string,
  a: { module: string; hosts: string[]; approved: Record<string, string[]>; plan?: string },
  csrf: string,
): Part {
  const fields = Object.entries({ ...a.approved, [a.module]: a.hosts }).flatMap(([m, hosts]) =>
    hosts.length
      ? hosts.map((h) => html`<input type="hidden" name="approve" value="${m} ${h}">`)
      : [html`<input type="hidden" name="approve" value="${m}">`],
  );
  return html`<section class="card" aria-labelledby="h-approve" data-testid="approval"><h2 id="h-approve">Approve outbound network for ${a.module}?</h2>
<p>${a.hosts.length ? html`<strong>${a.module}</strong> asks to connect to these hosts; its container can reach nothing else:` : html`<strong>${a.module}</strong> asks for outbound network but names no host: it could reach nothing.`}</p>
<ul>${a.hosts.map((h) => html`<li><code>${h}</code></li>`)}</ul>
<p>Nothing was installed. Approving lets exactly these hosts through; the same install is then carried out.</p>
<div class="actions"><form method="post" action="/packages/${enc(name)}/install">${csrfField(csrf)}${a.plan ? planField(a.plan) : ''}${fields}<button type="submit">Approve these hosts and install ${name}</button></form>
<a href="/packages">Cancel</a></div></section>`;
}

/** The approvals a form carries: `approve` fields of "MODULE HOST" (or "MODULE" alone: no host). */
export function approvalsFrom(values: string[]): Record<string, string[]> | undefined {
  if (!values.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const [module, host] = v.split(' ', 2);
    if (!module) continue;
    out[module] ??= [];
    if (host) out[module].push(host);
  }
  return out;
}
