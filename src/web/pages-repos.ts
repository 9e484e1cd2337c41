import { shownHint } from '../present/root-in-hints.js';
import { html, type Part } from './html.js';
import { csrfField } from './layout.js';
import type { NewRepoView } from './ops.js';

/**
 * "Add a repository…" (`bpkg key add FILE --fingerprint FPR`, `bpkg repo add NAME URL --key FPR`,
 * `bpkg update`): the form, then the confirmation that shows the key before it is trusted. Every
 * value is escaped by the template tag; the key's user ids come from whoever made the key.
 */

/** The bounds the form states; the box checks them again (src/app/repo-add.ts). */
export const FIELD_MAX = {
  name: 63,
  url: 2048,
  key: 32 * 1024,
  mirrors: 16 * 2049,
  repository: 100,
} as const;

const command = (text: string) => html`<code>${shownHint(`\`${text}\``).slice(1, -1)}</code>`;

export interface NewRepoFields {
  name: string;
  url: string;
  key: string;
  /** One URL a line. */
  mirrors: string;
  repository: string;
}

/** The form, filled with what was sent when a refusal sends it back to be corrected. */
export function addRepoFormBody(f: NewRepoFields, csrf: string): Part {
  return html`<section class="card" data-testid="repo-add"><h2>Add a repository</h2>
<p>A repository is signed by its publisher's key. Get its name, URL and public key from the publisher, and compare the key's fingerprint with theirs on the next page: nothing is trusted or added before you confirm there.</p>
<form method="post" action="/keys/repos/add">${csrfField(csrf)}
<p><label for="repo-name">Name on this box</label><br><input id="repo-name" name="name" required maxlength="${FIELD_MAX.name}" pattern="[a-z0-9][a-z0-9._\\-]*" autocomplete="off" value="${f.name}"> <span class="muted">lower-case letters, digits, dot, dash, underscore</span></p>
<p><label for="repo-url">URL</label><br><input id="repo-url" name="url" required maxlength="${FIELD_MAX.url}" size="60" autocomplete="off" value="${f.url}"> <span class="muted">https://…, http://…, oci://REGISTRY/NAME[:TAG], s3://BUCKET/PREFIX, file:///… or a folder on the box</span></p>
<details${f.mirrors || f.repository ? ' open' : ''}><summary>Mirrors and published name (optional)</summary>
<p><label for="repo-mirrors">Mirrors: other URLs serving the same repository, one a line</label><br><textarea id="repo-mirrors" name="mirrors" rows="3" cols="66" maxlength="${FIELD_MAX.mirrors}" spellcheck="false" autocomplete="off">${f.mirrors}</textarea><br><span class="muted">Every URL is tried at each update and the newest index that verifies wins; one that is down is skipped.</span></p>
<p><label for="repo-published">Published name: the name its index must carry</label><br><input id="repo-published" name="repository" maxlength="${FIELD_MAX.repository}" autocomplete="off" value="${f.repository}"> <span class="muted">empty: the name in its first index is pinned</span></p></details>
<p><label for="repo-key">Its signing key (armoured public key block)</label><br><textarea id="repo-key" name="key" required rows="10" cols="66" maxlength="${FIELD_MAX.key}" spellcheck="false" placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----">${f.key}</textarea><br>
<label for="repo-key-file" data-key-file-label hidden>or read it from a file</label> <input type="file" id="repo-key-file" accept=".asc,.pub,.txt" data-key-file hidden></p>
<div class="actions"><button type="submit">Continue</button> <a href="/keys">Cancel</a></div></form>
<p class="muted">On the box the same is ${command('bpkg key add FILE --fingerprint FPR')}, ${command('bpkg repo add NAME URL --key FPR [--mirror URL]… [--repository NAME]')} and ${command('bpkg update')}.</p></section>`;
}

/**
 * The key as it will be trusted: its full fingerprint, user ids and dates, and its scope (this
 * repository only); confirmed by a tick, as `bpkg key add` asks. The form carries the key's text
 * and its fingerprint: the box trusts it only if it still has that fingerprint (`--fingerprint`).
 */
export function confirmAddRepoBody(v: NewRepoView, key: string, csrf: string): Part {
  return html`<section class="card" data-testid="repo-add-confirm"><p><strong>Trust this key and add repository ${v.name}?</strong></p>
<dl class="facts"><dt>Repository</dt><dd>${v.name}, ${v.url}</dd>
<dt>Mirrors</dt><dd data-testid="mirrors">${v.mirrors.length ? v.mirrors.map((m, i) => html`${i ? html`<br>` : ''}${m}`) : 'none'}</dd>
<dt>Published name</dt><dd data-testid="published">${v.repository ?? 'the one its first index carries, pinned then'}</dd>
<dt>Key fingerprint</dt><dd><code data-testid="fingerprint">${v.shownFingerprint}</code></dd>
<dt>User ids</dt><dd data-testid="user-ids">${v.userIds.length ? v.userIds.map((u, i) => html`${i ? html`<br>` : ''}${u}`) : 'none'}${v.otherUserIds ? html`<br><span class="muted" data-testid="other-user-ids">(${v.otherUserIds})</span>` : ''}</dd>
<dt>Created</dt><dd>${v.created}${v.expires ? `, expires ${v.expires}` : ''}</dd>
<dt>Scope</dt><dd data-testid="scope">trusted for repository ${v.name} only: it signs nothing in another repository</dd></dl>
<p>The user ids are what the key says of itself: anyone can write any name there. The fingerprint is what identifies it: compare all of it with the one the publisher gives (on their site, in person), not only its end.</p>
<form method="post" action="/keys/repos/add/confirm">${csrfField(csrf)}<input type="hidden" name="name" value="${v.name}"><input type="hidden" name="url" value="${v.url}"><input type="hidden" name="mirrors" value="${v.mirrors.join('\n')}"><input type="hidden" name="repository" value="${v.repository ?? ''}"><input type="hidden" name="fingerprint" value="${v.fingerprint}"><input type="hidden" name="key" value="${key}">
<p><label><input type="checkbox" name="confirm" value="yes" required> I compared this fingerprint with the publisher's, and trust this key for repository ${v.name}</label></p>
<div class="actions"><button type="submit">Trust the key and add the repository</button> <a href="/keys">Cancel</a></div></form>
<p class="muted">Then its index is fetched and checked against this key (${command('bpkg update')}). An index refused (not signed by this key, another published name) keeps neither the key nor the repository. One that cannot be reached at all keeps both, as ${command('bpkg repo add')} does when the ${command('bpkg update')} after it fails: the next update tries again.</p></section>`;
}
