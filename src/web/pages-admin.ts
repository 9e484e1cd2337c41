import { shownHint } from '../present/root-in-hints.js';
import { html, type Part } from './html.js';
import { actionButton, badge, csrfField } from './layout.js';
import type { ModelView, NewToken, TokenView } from './ops.js';

/**
 * The Models and Tokens pages' bodies: pure functions of the data and the session's CSRF token.
 * Every model name, file name and path here may come from a GGUF's metadata or a package: the
 * template tag escapes each value (and makes control characters visible).
 */

const enc = encodeURIComponent;
/** A command as the page names it: with `--root` on a box under one (present/root-in-hints). */
const command = (text: string) => html`<code>${shownHint(`\`${text}\``).slice(1, -1)}</code>`;
const from = (origin: string) => (origin === 'local' ? 'imported on this box' : `repository ${origin}`);

export function modelsBody(
  v: { rows: ModelView[]; defaultLine: string; llmBuiltIn?: boolean; defaultSet?: boolean },
  csrf: string,
): Part {
  return html`<section class="card" aria-labelledby="h-models"><h2 id="h-models">Installed</h2>${
    v.rows.length
      ? html`<div class="table"><table class="stack"><thead><tr><th>Name</th><th>Size</th><th>Quantisation</th><th>Version</th><th>From</th><th>Default</th><th>Actions</th></tr></thead><tbody>${v.rows.map(
          (m) =>
            html`<tr data-testid="model-${m.name}"><td><a href="/models/${enc(m.name)}">${m.name}</a></td><td data-label="Size">${m.size ?? '-'}</td><td data-label="Quantisation">${m.quantisation ?? (m.error ? html`<span class="warn">${m.error}</span>` : '-')}</td><td data-label="Version">${m.version}</td><td data-label="From">${from(m.origin)}</td><td data-label="Default">${
              m.isDefault && !m.fallback
                ? badge('default', 'ok')
                : html`${m.isDefault ? html`${badge('served: none set', 'muted')} ` : ''}${actionButton(csrf, '/models/default', 'Make default', 'secondary', { name: m.name })}`
            }</td><td data-label="Actions"><a href="/packages/${enc(m.package)}/remove">Remove…</a></td></tr>`,
        )}</tbody></table></div>`
      : html`<p>No models installed.</p>`
  }
<p>Default: <strong data-testid="default-model">${v.defaultLine}</strong></p>
${v.defaultSet ? html`<div class="actions">${actionButton(csrf, '/models/default', 'Clear the default', 'secondary', { name: '' })}</div>` : ''}
<p class="muted">${v.llmBuiltIn ? 'A default applies to an llm package made without a model of its own; the installed llm serves its built-in model only.' : html`The default applies at llm's next start: ${command('blueprint service restart llm')}.`} Remove is ${command('bpkg remove model-NAME')} (as ${command('blueprint model rm NAME')}), asked first on the next page.</p>
</section>
${importCard(csrf)}`;
}

/**
 * "Import a model…": a GGUF from the admin's computer, sent by the page's script (assets.ts) as a
 * POST's body with its progress shown; the form stays hidden without JavaScript, which is told so.
 */
function importCard(csrf: string): Part {
  const cli = command('blueprint model import FILE.gguf --name NAME');
  return html`<section class="card" aria-labelledby="h-import"><h2 id="h-import">Import a model…</h2>
<form data-upload="/import-model" data-csrf="${csrf}" data-testid="model-import" hidden>
<p><label for="import-file">GGUF file</label> <input id="import-file" name="file" type="file" accept=".gguf" required></p>
<p><label for="import-name">Name</label> <input id="import-name" name="name" type="text" required autocomplete="off" spellcheck="false"> <span class="muted">lower-case letters, digits and dashes; the package is model-NAME</span></p>
<p><label for="import-license">Licence (optional)</label> <input id="import-license" name="license" type="text" maxlength="500" autocomplete="off"> <span class="muted">default: the GGUF's own</span></p>
<div class="actions"><button type="submit">Upload and import</button></div>
<p data-upload-progress hidden><progress max="100" value="0"></progress> <span data-upload-text aria-live="polite"></span></p>
<p class="bad flash" data-upload-error data-testid="import-error" role="alert" hidden></p>
</form>
<noscript><p>Importing from the browser needs JavaScript (the page sends the file and shows its progress). On the box: ${cli}.</p></noscript>
<p class="muted">The same as ${cli}: the file is read once, hashed, signed by this box's key and installed with the package checks; the import is a job whose page survives a reload. The file is sent through the tunnel to a folder of root's on the box, removed once the import ends; it needs free space for about four times its size.</p></section>`;
}

export function modelBody(name: string, pkg: string, rows: [string, string][], csrf: string): Part {
  return html`<section class="card"><dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd class="wrap">${v}</dd>`)}</dl>
<div class="actions">${actionButton(csrf, '/models/default', 'Make default', '', { name })} <a href="/packages/${enc(pkg)}/remove">Remove…</a> <a href="/models">Back to models</a></div>
<p class="muted">The same as ${command(`blueprint model show ${name}`)}.</p></section>`;
}

function tokenCell(t: TokenView): Part {
  if (!t.readsToken) return html`<span class="muted">reads none</span>`;
  return t.tokenSet
    ? badge('set', 'ok')
    : html`<span class="warn">none: any local client may use its API</span>`;
}

export function tokensBody(list: TokenView[]): Part {
  return html`<section class="card">${
    list.length
      ? html`<div class="table"><table class="stack"><thead><tr><th>Module</th><th>Admin token</th><th>Used by</th><th>Actions</th></tr></thead><tbody>${list.map(
          (t) =>
            html`<tr data-testid="token-${t.name}"><td>${t.name}</td><td data-label="Admin token">${tokenCell(t)}</td><td data-label="Used by">${t.usedBy.join(', ') || '-'}${t.clientTokens ? html` <span class="muted">(each with a token of its own)</span>` : ''}</td><td data-label="Actions">${
              t.readsToken
                ? html`<a href="/tokens/${enc(t.name)}/new">New token…</a> <a href="/tokens/${enc(t.name)}/own">Your own, or none…</a>`
                : ''
            }${t.clientTokens && t.usedBy.length ? html` <a href="/tokens/${enc(t.name)}/consumers">New tokens for its users…</a>` : ''}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p>No module is installed.</p>`
  }<p class="muted">The same as ${command('blueprint service token NAME')} and ${command('blueprint service rotate-tokens NAME')}. A token is never shown here again once made.</p></section>`;
}

export function confirmTokenBody(t: TokenView, consumers: boolean, csrf: string): Part {
  const to = `/tokens/${enc(t.name)}/${consumers ? 'consumers' : 'new'}`;
  const what = consumers
    ? html`<p><strong>New tokens for the modules that use ${t.name}: ${t.usedBy.join(', ')}?</strong></p>
<p>${t.name} refuses their old tokens within a second. Each one's token file holds its new token: a module that reads it again at a refusal (rag does) goes on; one that read it once must be restarted (the next page names those running).</p>`
    : html`<p><strong>Make a new access token for ${t.name}?</strong></p>
<p>It replaces the one set now (if any), at ${t.name}'s next start${t.usedBy.length ? html`; ${t.usedBy.join(', ')} (which use it) get the new one at their next start` : ''}. The new token is shown once, on the next page, and nowhere else.</p>`;
  return html`<section class="card" data-testid="token-confirm">${what}
<div class="actions"><form method="post" action="${to}">${csrfField(csrf)}<button type="submit" autofocus>${consumers ? 'Make new tokens' : 'Make a new token'}</button></form>
<a href="/tokens">Cancel</a></div></section>`;
}

/**
 * `service token NAME --stdin | --remove`: the admin's own token (a password field, sent in the
 * POST's body only, never shown back), or none, ticked first: without one, any local client may
 * call the module's API.
 */
export function ownTokenBody(t: TokenView, csrf: string): Part {
  const users = t.usedBy.length
    ? html`; ${t.usedBy.join(', ')} (which use it) get it at their next start`
    : '';
  return html`<section class="card" data-testid="own-token"><h2>Your own token for ${t.name}</h2>
<p>For clients that already hold a token (a box moved, a client set up by hand). It replaces the one set now (if any) at ${t.name}'s next start${users}.</p>
<form method="post" action="/tokens/${enc(t.name)}/own">${csrfField(csrf)}
<p><label for="own-token">Token</label> <input id="own-token" type="password" name="token" required minlength="16" maxlength="4095" pattern="[!-~]+" size="48" autocomplete="new-password" spellcheck="false"> <span class="muted">16 to 4095 printable characters, no spaces</span></p>
<div class="actions"><button type="submit">Set this token</button> <a href="/tokens">Cancel</a></div></form></section>
<section class="card" data-testid="remove-token"><h2>No token for ${t.name}</h2>
<form method="post" action="/tokens/${enc(t.name)}/remove">${csrfField(csrf)}
<p><label><input type="checkbox" name="confirm" value="yes" required> Remove ${t.name}'s token: from its next start, any local client of its socket may use its API</label></p>
<div class="actions"><button type="submit" class="secondary">Remove the token</button></div></form>
<p class="muted">The same as ${command(`blueprint service token ${t.name} --stdin`)} and ${command(`blueprint service token ${t.name} --remove`)}.</p></section>`;
}

/** The one page that shows a new token: the answer to its POST, never a link or a notice. */
export function newTokenBody(t: NewToken): Part {
  return html`<section class="card" data-testid="new-token"><p>Token of <strong>${t.name}</strong> written to <code>${t.file}</code>. Copy it now: it is not shown again.</p>
<p><label for="token">Token</label> <input id="token" class="wrap" readonly value="${t.token}" size="48" autocomplete="off" spellcheck="false"></p>
<p>It applies at the next start: ${command(t.restart.map((n) => `blueprint service restart ${n}`).join(' && '))}</p>
<p><a href="/tokens">Back to tokens</a> · <a href="/services">Services</a></p></section>`;
}

/** `bpkg repo remove NAME`, asked first: what stays (its packages, not upgraded then; the keys). */
export function confirmRepoRemoveBody(name: string, from: string[], csrf: string): Part {
  return html`<section class="card" data-testid="repo-confirm"><p><strong>Remove repository ${name}?</strong></p>
<p>Nothing more is installed or upgraded from it. ${
    from.length
      ? html`Installed from it: ${from.join(', ')}: ${from.length === 1 ? 'it stays' : 'they stay'} installed, not upgraded until a repository named ${name} is added again.`
      : 'No installed package came from it.'
  } Its keys stay trusted (${command('bpkg key remove FPR')} removes one); adding it again is ${command(`bpkg repo add ${name} URL --key FPR`)} on the box.</p>
<div class="actions"><form method="post" action="/keys/repos/${enc(name)}/remove">${csrfField(csrf)}<button type="submit" autofocus>Remove repository</button></form>
<a href="/keys">Cancel</a></div></section>`;
}
