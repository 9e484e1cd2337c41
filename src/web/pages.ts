import { exposureCount } from '../present/host.js';
import { installedAs } from '../present/packages.js';
import { shownHint } from '../present/root-in-hints.js';
import { html, type Part } from './html.js';
import { actionButton, badge, csrfField, maybe, planField } from './layout.js';
import type {
  ExposureView,
  GpuView,
  KeyView,
  Maybe,
  Overview,
  PackageView,
  RepoView,
  ServiceDetail,
  ServiceView,
  SignerView,
  UpgradeView,
} from './ops.js';

/** The pages' bodies: pure functions of the data (and the session's CSRF token for forms). */

const enc = encodeURIComponent;

function exposureLines(e: ExposureView): Part {
  return html`<p>Firewall: <strong>${e.firewall}</strong>; ${exposureCount(e, 'listen')}.</p>
${
  e.listeners.length
    ? html`<div class="table"><table class="stack"><thead><tr><th>Protocol</th><th>Address</th><th>Note</th></tr></thead><tbody>${e.listeners.map(
        (l) =>
          html`<tr><td>${l.proto}</td><td class="wrap">${l.address}${l.port !== undefined ? `:${l.port}` : ''}</td><td class="${l.flagged ? 'warn' : ''}">${l.note ?? (l.flagged ? 'REACHABLE from the network' : '')}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}`;
}

export function overviewBody(o: Overview): Part {
  const h = o.host;
  return html`<div class="grid">
<section class="card" aria-labelledby="h-host"><h2 id="h-host">Host</h2><dl class="facts">
<dt>Name</dt><dd>${h.hostname}</dd><dt>Kernel</dt><dd>${h.kernel}</dd><dt>Up</dt><dd>${h.uptime}</dd>
<dt>CPU</dt><dd>${h.cpu}</dd><dt>Memory</dt><dd>${h.memory}</dd><dt>Disk</dt><dd>${h.disk}</dd>
<dt>Data</dt><dd>${o.encryption}</dd>
<dt>System</dt><dd>${o.system}</dd><dt>Egress</dt><dd>${o.egress}</dd>
<dt>Setup</dt><dd>${o.setupDone ? 'done' : html`<span class="warn">not set up: run <code>${shownHint('`blueprint setup`').slice(1, -1)}</code></span>`}</dd>
</dl></section>
<section class="card" aria-labelledby="h-svc"><h2 id="h-svc">Services</h2>${maybe(o.services, (list) =>
    list.length
      ? html`<ul>${list.map((s) =>
          s.damaged
            ? html`<li>${s.name} ${badge(s.state)} <span class="muted">${s.damaged.hint ?? s.damaged.message}</span></li>`
            : html`<li><a href="/services/${enc(s.name)}">${s.name}</a> ${badge(s.state)} ${
                s.sandboxed === false
                  ? html`<span class="warn">NOT SANDBOXED</span><span class="muted">${usedBy(s, ', ')}</span>`
                  : html`<span class="muted">sandboxed${usedBy(s, ', ')}</span>`
              }</li>`,
        )}</ul>`
      : html`<p>none installed (<a href="/packages">packages</a>)</p>`,
  )}</section>
<section class="card" aria-labelledby="h-upd"><h2 id="h-upd">Updates</h2><p>${maybe(o.updates, (n) =>
    n ? html`<a href="/packages">${n} available</a>` : 'up to date',
  )}</p>
<h2>GPUs</h2><p>${maybe(o.gpus, (g) => (g.length ? g.map((x) => `${x.name} (${x.detail})`).join(', ') : 'none found'))}</p></section>
</div>
<section class="card" aria-labelledby="h-exp"><h2 id="h-exp">Network exposure</h2>${exposureLines(o.exposure)}</section>`;
}

/** Who uses a service (escaped by html, as all text), after `sep`; nothing when none does. */
const usedBy = (s: ServiceView, sep: string): Part =>
  s.usedBy?.length ? html`${sep}used by ${s.usedBy.join(', ')}` : '';

const rating = (s: ServiceView) =>
  s.rating
    ? html`<span title="security rating">${s.rating.score}/${s.rating.max}</span>`
    : html`<span class="muted">-</span>`;

export function servicesBody(list: ServiceView[], csrf: string): Part {
  if (!list.length)
    return html`<p class="card">No service is installed. Modules are installed from <a href="/packages">Packages</a>.</p>`;
  return html`<div class="table card"><table class="stack"><thead><tr><th>Service</th><th>State</th><th>Health</th><th>Network</th><th>Rating</th><th>Actions</th></tr></thead><tbody>${list.map(
    (s) =>
      s.damaged
        ? damagedRow(s.name, s.damaged)
        : html`<tr>
<td><a href="/services/${enc(s.name)}">${s.name}</a> <span class="muted">${s.version}${usedBy(s, ' · ')}</span></td>
<td data-label="State">${badge(s.state)}</td><td data-label="Health">${s.health ?? ''}</td><td data-label="Network">${s.network ?? ''}</td><td data-label="Rating">${rating(s)}</td>
<td class="actions">${serviceButtons(s, csrf)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** A service whose registration cannot be read: what is wrong and the fix, no actions (they would fail). */
const damagedRow = (name: string, d: NonNullable<ServiceView['damaged']>) => html`<tr>
<td>${name}</td><td data-label="State">${badge('damaged')}</td>
<td colspan="4">${d.message}${d.hint ? html`<br><span class="muted">hint: ${d.hint}</span>` : ''}</td></tr>`;

function serviceButtons(s: ServiceView, csrf: string): Part {
  const base = `/services/${enc(s.name)}`;
  const running = s.state === 'running' || s.state === 'restarting';
  return [
    running ? '' : actionButton(csrf, `${base}/start`, 'Start'),
    running ? actionButton(csrf, `${base}/stop`, 'Stop', 'danger') : '',
    actionButton(csrf, `${base}/restart`, 'Restart', 'secondary'),
  ];
}

export function serviceBody(s: ServiceDetail, csrf: string): Part {
  const base = `/services/${enc(s.name)}`;
  return html`<section class="card" aria-labelledby="h-state"><h2 id="h-state">State</h2>
<p>State: <span class="badge" data-poll="${base}/state" data-testid="state">${s.state}</span>
${s.health ? html` health: ${s.health}` : ''}${s.memory ? html` · memory ${s.memory}` : ''} · version ${s.version}</p>
${s.runningLimits ? html`<p data-testid="running-limits">${s.runningLimits}</p>` : ''}
<div class="actions">${serviceButtons(s, csrf)}</div></section>
<section class="card" aria-labelledby="h-logs"><h2 id="h-logs">Live log</h2>
<pre class="log" data-stream="${base}/logs" aria-live="polite" tabindex="0" data-testid="log"></pre>
<p class="muted">The last 200 lines, then new ones as they are written (needs JavaScript; <code>blueprint service logs -f ${s.name}</code> shows the same).</p></section>
<section class="card" aria-labelledby="h-rating"><h2 id="h-rating">Security rating</h2>${
    s.rating
      ? html`<p><strong>${s.rating.score} of ${s.rating.max}</strong></p><ul>${s.rating.reasons.map((r) => html`<li>${r}</li>`)}</ul>`
      : html`<p class="muted">Rated from the running container: start the service to see it.</p>`
  }</section>
<section class="card" aria-labelledby="h-sandbox"><h2 id="h-sandbox">Sandbox</h2><pre>${shownHint(s.inspection.join('\n'))}</pre></section>`;
}

/** The Status cell marks a package installed as a dependency (`bpkg list`'s INSTALLED AS, the console's State). */
export function packagesBody(list: PackageView[], query: string, csrf: string): Part {
  const row = (p: PackageView) => html`<tr>
<td><strong>${p.name}</strong><br><span class="muted">${p.summary}</span></td>
<td data-label="Version">${p.version}${p.upgrade ? html`<br><span class="warn">${p.upgrade} available</span>` : ''}</td>
<td data-label="Status"${p.auto ? html` title="bpkg autoremove removes it once nothing installed needs it"` : ''}>${
    p.installed ? (p.auto ? `installed, ${installedAs(p)}` : 'installed') : 'available'
  }</td>
<td class="wrap" data-label="Origin">${p.origin ?? ''}</td>
<td class="wrap" data-label="Signer">${
    // An empty cell read as "unsigned": an offered package's signature is checked at its install.
    p.signer
      ? html`<code>${p.signer}</code>`
      : html`<span class="muted">${p.installed ? 'not recorded' : 'checked at install'}</span>`
  }</td>
<td class="actions">${
    p.installed
      ? html`<a class="button" href="/packages/${enc(p.name)}/remove">Remove…</a>`
      : html`<a class="button" href="/packages/${enc(p.name)}/install">Install…</a>`
  }</td></tr>`;
  return html`<div class="card actions">
<form method="get" action="/packages" role="search"><label for="q">Search</label> <input type="search" id="q" name="q" value="${query}"> <button type="submit" class="secondary">Search</button></form>
${actionButton(csrf, '/packages/update', 'Update and upgrade all…')}</div>
<div class="table card"><table class="stack"><thead><tr><th>Package</th><th>Version</th><th>Status</th><th>Origin</th><th>Signer</th><th>Action</th></tr></thead>
<tbody>${list.length ? list.map(row) : html`<tr><td colspan="6">No package ${query ? 'matches' : 'is installed or offered'}.</td></tr>`}</tbody></table></div>`;
}

/**
 * An install's plan in `bpkg install`'s columns, as a table the browser lines up (the terminal pads
 * them with spaces, which HTML collapses). The last column only when some row has whose dependency.
 */
function planTable(rows: string[][]): Part {
  if (!rows.length) return '';
  const width = Math.max(...rows.map((r) => r.length));
  const heads = ['Package', 'Version', 'Repository', 'Download', 'Why'].slice(0, width);
  return html`<div class="table"><table class="plan" data-testid="plan"><thead><tr>${heads.map(
    (h) => html`<th scope="col">${h}</th>`,
  )}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${heads.map((_, i) => html`<td>${r[i] ?? ''}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** Shown before an install: what will be installed, from where, signed by whom. */
export function confirmInstallBody(name: string, s: SignerView, csrf: string): Part {
  return html`<section class="card"><dl class="facts">
<dt>Package</dt><dd>${name} ${s.version}</dd><dt>Origin</dt><dd>${s.origin}</dd>
<dt>Signed by</dt><dd>${s.signer}</dd><dt>Key</dt><dd><code>${s.fingerprint}</code></dd>
${
  s.planRows?.length || s.changes?.length
    ? html`<dt>Changes</dt><dd>${planTable(s.planRows ?? [])}${
        s.changes?.length ? html`<ul>${s.changes.map((c) => html`<li>${c}</li>`)}</ul>` : ''
      }</dd>`
    : ''
}</dl>
<p>The package's own signature is checked again, over the bytes installed.</p>
<div class="actions"><form method="post" action="/packages/${enc(name)}/install">${csrfField(csrf)}${planField(s.plan)}<button type="submit" autofocus>Install ${name}</button></form>
<a href="/packages">Cancel</a></div></section>`;
}

/**
 * Shown before an upgrade, after the indexes were updated: `bpkg upgrade`'s plan as the install
 * page's table (a dependency new to the box marked new, and whose it is), what modules each reaches,
 * then Upgrade or Cancel. Nothing to upgrade: said, and no button.
 */
export function confirmUpgradeBody(u: UpgradeView, csrf: string): Part {
  // As `bpkg upgrade --dry-run`: what the upgrade keeps back, in its warning's words.
  const held = u.held.length ? html`<p>Held back:</p><ul>${u.held.map((l) => html`<li>${l}</li>`)}</ul>` : '';
  if (!u.planRows.length)
    return html`<section class="card"><p>${
      u.held.length
        ? 'Nothing can be upgraded now.'
        : 'Nothing to upgrade: every installed package is at the newest version its repository offers.'
    }</p>${held}
<div class="actions"><a href="/packages">Back to packages</a></div></section>`;
  return html`<section class="card"><p>The upgrade makes these changes:</p>${planTable(u.planRows)}${
    u.changes.length ? html`<ul>${u.changes.map((c) => html`<li>${c}</li>`)}</ul>` : ''
  }${held}
<p>Each package's signature is checked again, over the bytes installed. If the plan changes before it runs, nothing is upgraded.</p>
<div class="actions"><form method="post" action="/packages/upgrade">${csrfField(csrf)}${planField(u.plan)}<button type="submit" autofocus>Upgrade</button></form>
<a href="/packages">Cancel</a></div></section>`;
}

export function confirmRemoveBody(name: string, csrf: string): Part {
  return html`<section class="card"><p>Remove <strong>${name}</strong>? Its containers and image are removed; its data folder is kept.</p>
<div class="actions"><form method="post" action="/packages/${enc(name)}/remove">${csrfField(csrf)}<button type="submit" class="danger" autofocus>Remove ${name}</button></form>
<a href="/packages">Cancel</a></div></section>`;
}

/**
 * A job's page. A finished job's lines are in the page itself: streamed in, a page saying "done"
 * would show an empty log until the stream caught up (a job that ended before its page loaded).
 */
export function jobBody(
  id: string,
  title: string,
  lines: string[],
  state: string,
  next?: { href: string; label: string },
): Part {
  const running = state === 'running';
  // Where a job that ended well leads (the script goes there by itself when it ends while shown).
  const on = next && state !== 'failed' ? html`<a href="${next.href}" data-next>${next.label}</a> · ` : '';
  const whenDone = html`${on}<a href="/jobs/${enc(id)}">The result</a> (and what to approve, if asked) · <a href="/packages">Back to packages</a> · <a href="/services">Services</a>`;
  return html`<section class="card"><p>${title}: <strong data-state data-testid="job-state">${state}</strong></p>
${
  running
    ? html`<pre class="log" data-stream="/jobs/${enc(id)}/events" aria-live="polite" tabindex="0" data-testid="progress"></pre>
<noscript><pre class="log">${lines.join('\n')}</pre><p><a href="/jobs/${enc(id)}">Reload</a> to see more.</p></noscript>
<p data-when-done hidden>${whenDone}</p>`
    : html`<pre class="log" tabindex="0" data-testid="progress">${lines.join('\n')}</pre>
<p data-when-done>${whenDone}</p>`
}</section>`;
}

export function gpuBody(g: Maybe<GpuView[]>): Part {
  return html`<section class="card">${maybe(g, (list) =>
    list.length
      ? html`<div class="table"><table class="stack"><thead><tr><th>GPU</th><th>Vendor</th><th>Use by services</th></tr></thead><tbody>${list.map(
          (x) => html`<tr><td>${x.name}</td><td>${x.vendor}</td><td>${x.detail}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p>No GPU found. Services that ask for one optionally run on the CPU.</p>`,
  )}</section>`;
}

/** A command as a page names it: with `--root` on a box under one (present/root-in-hints). */
const cmd = (text: string) => html`<code>${shownHint(`\`${text}\``).slice(1, -1)}</code>`;

/** A repository's packages: the first 50 by name (an index may hold thousands; Packages searches them). */
const offered = (names: string[] | undefined) =>
  !names?.length
    ? '-'
    : names.length > 50
      ? `${names.slice(0, 50).join(', ')} and ${names.length - 50} more (search them on Packages)`
      : names.join(', ');

/** canAdd, canRemove: whether this dashboard can add or remove a repository (their links are offered only then). */
export function keysBody(keys: KeyView[], repos: RepoView[], canAdd = false, canRemove = false): Part {
  // Trust is scoped: a key signs the repositories bound to it (their `keys`), and vouches for no other.
  const scope = (k: KeyView) =>
    k.trustedFor?.length
      ? `${k.trustedFor.length === 1 ? 'repository' : 'repositories'} ${k.trustedFor.join(', ')} only`
      : 'no repository bound to it';
  return html`<section class="card" aria-labelledby="h-keys"><h2 id="h-keys">Trusted keys</h2>${
    keys.length
      ? html`<div class="table"><table class="stack"><thead><tr><th>Fingerprint</th><th>Name</th><th>State</th><th>Trusted for</th></tr></thead><tbody>${keys.map(
          (k) =>
            html`<tr><td class="wrap"><code>${k.fingerprint}</code></td><td>${k.name}</td><td data-label="State">${k.state ?? ''}</td><td data-label="Trusted for" data-testid="scope">${scope(k)}</td></tr>`,
        )}</tbody></table></div>`
      : // With the served root, as the Repositories card's commands below (root-in-hints.ts).
        html`<p>No key is trusted: nothing can be installed. Add one with <code>${shownHint('`bpkg key add FILE --fingerprint FPR`').slice(1, -1)}</code>.</p>`
  }</section>
<section class="card" aria-labelledby="h-repos"><h2 id="h-repos">Repositories</h2>${
    repos.length
      ? html`<div class="table"><table class="stack"><thead><tr><th>Name</th><th>URL</th><th>Keys</th><th>Index</th><th>Updated</th><th>Packages</th><th>Actions</th></tr></thead><tbody>${repos.map(
          (r) =>
            html`<tr data-testid="repo-${r.name}"><td>${r.name}</td><td class="wrap">${r.url}</td><td class="wrap" data-label="Keys"><code>${r.keys.join(' ') || 'none bound'}</code></td><td data-label="Index">${r.state ?? ''}</td><td data-label="Updated">${r.fetched ?? '-'}</td><td class="wrap" data-label="Packages">${offered(r.packages)}</td><td data-label="Actions">${canRemove ? html`<a href="/keys/repos/${enc(r.name)}/remove">Remove…</a>` : ''}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p>No repository is configured.</p>`
  }${canAdd ? html`<div class="actions"><a class="button" href="/keys/repos/add">Add a repository…</a></div>` : ''}<p class="muted">${canAdd ? "Add a repository… asks for its URL and its signing key, shows the key's fingerprint to compare with the publisher's, and trusts the key for that repository only. " : ''}On the box: ${cmd('bpkg key add FILE --fingerprint FPR')} and ${cmd('bpkg repo add NAME URL --key FPR')}; ${cmd('bpkg key remove FPR')} stops trusting a key. ${cmd('bpkg update')} (or Update and upgrade all… on Packages) fetches the indexes again.</p></section>`;
}

export function auditBody(e: ExposureView): Part {
  return html`<section class="card">${exposureLines(e)}
<p class="muted">The same audit as <code>blueprint audit network</code>. This dashboard listens on a unix socket only and adds no line here.</p></section>`;
}

export function loginBody(reason: string): Part {
  return html`<section class="card"><p>${reason}</p>
<p>On the box, as root: <code>${shownHint('`blueprint dashboard url`').slice(1, -1)}</code> prints a one-time login link (valid 10 minutes).</p>
<form method="post" action="/login"><label for="token">Login token</label> <input type="text" id="token" name="token" autocomplete="off" autofocus> <button type="submit">Log in</button></form></section>`;
}
