import type { SettingsChange } from '../app/index.js';
import { settingChoices, settingsChangeText, settingsWarnings } from '../present/settings.js';
import { html, type Part } from './html.js';
import { csrfField } from './layout.js';
import type { DashboardOps } from './ops.js';
import { errorText } from './respond.js';
import type { Done } from './routes-admin.js';

/**
 * A module's settings on its service page (`blueprint service config NAME`), as a Home Assistant
 * add-on's options: each one's value, default and what it allows, a form to change them or reset
 * one to its default, then a confirmation page before anything is written, as the dashboard's other
 * changes have. Judged by the same function as the CLI (a refusal is a 400 in its words, nothing
 * written); the answer is the CLI's (when it applies), on the service page with its Restart button.
 * Every key, value, default and description comes from a package's manifest or the admin: the
 * template tag escapes each.
 */

const enc = encodeURIComponent;
/** The form's field of a setting's value (`v:KEY`) and the confirmation's (`set:KEY`). */
const VALUE = 'v:';
const SET = 'set:';

/** The Settings card; `typed`: the values a refused form had, shown again to be corrected. */
export function settingsCard(v: SettingsChange, csrf: string, typed?: Record<string, string>): Part {
  if (!v.settings.length && !v.stale.length) return '';
  const base = `/services/${enc(v.name)}/settings`;
  const row = (s: SettingsChange['settings'][number]) => html`<tr data-testid="setting-${s.key}">
<th scope="row"><label for="set-${s.key}"><code>${s.key}</code></label><br><span class="muted">${s.description}</span></th>
<td data-label="Value">${control(s, typed?.[s.key] ?? s.value ?? '')}</td>
<td data-label="Default">${s.default === undefined ? html`<span class="muted">(unset)</span>` : html`<code>${s.default}</code>`}</td>
<td data-label="Allowed">${s.allowed}</td>
<td data-label="Reset">${s.value === undefined ? html`<span class="muted">default</span>` : html`<button type="submit" class="secondary" name="reset" value="${s.key}">Reset to default</button>`}</td></tr>`;
  return html`<section class="card" aria-labelledby="h-settings"><h2 id="h-settings">Settings</h2>
${warningList(v)}
<form method="post" action="${base}">${csrfField(csrf)}${
    v.settings.length
      ? html`<div class="table"><table class="stack" data-testid="settings"><thead><tr><th scope="col">Setting</th><th scope="col">Value</th><th scope="col">Default</th><th scope="col">Allowed</th><th scope="col">Reset</th></tr></thead><tbody>${v.settings.map(row)}</tbody></table></div>`
      : ''
  }${v.stale.map(
    (s) =>
      html`<p data-testid="stale-${s.key}">Not applied: <code>${s.key}=${s.value}</code> (${s.why}) <button type="submit" class="secondary" name="reset" value="${s.key}">Remove it</button></p>`,
  )}
<div class="actions"><button type="submit">Change settings…</button></div></form>
<p class="muted">An empty value is the default (a text setting's box keeps it empty instead). A change applies at the service's next start or restart, asked first on the next page; the same as <code>blueprint service config ${v.name} KEY=VALUE</code> (<code>--unset KEY</code> to reset).</p></section>`;
}

type Row = SettingsChange['settings'][number];

/**
 * A setting's control: a choice for an enum or a boolean (its first, the default), a number field
 * with the bounds for an integer, text otherwise; a text setting has a check box for the empty
 * text, since an empty field is the default (the CLI's `KEY=`).
 */
function control(s: Row, value: string): Part {
  const id = `set-${s.key}`;
  const name = `${VALUE}${s.key}`;
  const choices = settingChoices(s);
  if (choices) {
    const known = value === '' || choices.includes(value) ? choices : [...choices, value];
    return html`<select id="${id}" name="${name}"><option value=""${value === '' ? ' selected' : ''}>default${s.default === undefined ? '' : ` (${s.default})`}</option>${known.map(
      (c) => html`<option value="${c}"${c === value ? ' selected' : ''}>${c}</option>`,
    )}</select>`;
  }
  if (s.type === 'integer')
    return html`<input id="${id}" name="${name}" type="number" step="1" min="${String(s.min ?? '')}" max="${String(s.max ?? '')}" value="${value}" placeholder="${s.default ?? ''}" autocomplete="off">`;
  const text = html`<input id="${id}" name="${name}" type="text" value="${value}" placeholder="${s.default ?? ''}" autocomplete="off" spellcheck="false">`;
  if (s.type !== 'string') return text;
  return html`${text}<br><label class="muted"><input type="checkbox" name="empty" value="${s.key}" data-testid="empty-${s.key}"${s.value === '' ? ' checked' : ''}> empty text, not the default</label>`;
}

function warningList(v: SettingsChange): Part {
  const w = settingsWarnings(v);
  return w.length
    ? html`<ul class="warn" data-testid="settings-warnings">${w.map((l) => html`<li>${l}</li>`)}</ul>`
    : '';
}

/** The change a form asks for: values that differ from the admin's, emptied ones and resets unset. */
function asked(v: SettingsChange, form: URLSearchParams) {
  const set: Record<string, string> = {};
  const unset = new Set(form.getAll('reset'));
  // A text setting's 'empty text' box: an empty field is the empty text, not the default.
  const empty = new Set(form.getAll('empty'));
  for (const s of v.settings) {
    const given = form.get(`${VALUE}${s.key}`);
    if (given === null || unset.has(s.key)) continue;
    if (given === '' && empty.has(s.key)) {
      if (s.value !== '') set[s.key] = '';
    } else if (given === '') {
      if (s.value !== undefined) unset.add(s.key);
    } else if (given !== s.value) set[s.key] = given;
  }
  // A key the page did not show (an older page, a hand-made form): judged, so refused in its words.
  for (const [k, val] of form)
    if (k.startsWith(VALUE) && !v.settings.some((s) => s.key === k.slice(VALUE.length)))
      set[k.slice(VALUE.length)] = val;
  return { set, unset: [...unset] };
}

/** The confirmation's fields: exactly the change (`set:KEY`, `unset`), carried out as confirmed. */
function confirmed(form: URLSearchParams) {
  const set: Record<string, string> = {};
  for (const [k, val] of form) if (k.startsWith(SET)) set[k.slice(SET.length)] = val;
  return { set, unset: form.getAll('unset') };
}

function confirmBody(
  before: SettingsChange,
  after: SettingsChange,
  change: { set: Record<string, string>; unset: string[] },
  csrf: string,
): Part {
  const was = (key: string) => before.settings.find((s) => s.key === key);
  const shown = (value: string | undefined) => (value === undefined ? '(unset)' : value);
  const lines = [
    ...Object.entries(change.set).map(
      ([k, val]) =>
        html`<li><code>${k}</code>: ${shown(was(k)?.effective)} → <strong>${val === '' ? '(empty text)' : val}</strong></li>`,
    ),
    ...change.unset.map((k) =>
      was(k)
        ? html`<li><code>${k}</code>: ${shown(was(k)?.value)} → back to its default <strong>${shown(was(k)?.default)}</strong></li>`
        : html`<li><code>${k}</code>: removed (not applied)</li>`,
    ),
  ];
  return html`<section class="card" aria-labelledby="h-confirm"><h2 id="h-confirm">Change these settings of ${before.name}?</h2>
<ul data-testid="settings-change">${lines}</ul>${warningList(after)}
<p>They are written to <code>${before.file}</code> and apply at ${before.name}'s next start or restart.</p>
<form method="post" action="/services/${enc(before.name)}/settings/apply">${csrfField(csrf)}${Object.entries(
    change.set,
  ).map(([k, val]) => html`<input type="hidden" name="${SET}${k}" value="${val}">`)}${change.unset.map(
    (k) => html`<input type="hidden" name="unset" value="${k}">`,
  )}
<div class="actions"><button type="submit">Change settings</button> <a href="/services/${enc(before.name)}">Cancel</a></div></form></section>`;
}

/** POST /services/NAME/settings (the confirmation page) and …/settings/apply; else undefined. */
export async function settingsPost(
  path: string,
  form: URLSearchParams,
  ops: DashboardOps,
  csrf: string,
): Promise<Done | undefined> {
  const m = path.match(/^\/services\/([^/]+)\/settings(\/apply)?$/);
  if (!m || !ops.settings) return undefined;
  const name = decodeURIComponent(m[1]!);
  const before = await ops.settings(name);
  const apply = m[2] !== undefined;
  const change = apply ? confirmed(form) : asked(before, form);
  const back = `/services/${enc(name)}`;
  const typed: Record<string, string> = {};
  for (const [k, val] of form) if (k.startsWith(VALUE)) typed[k.slice(VALUE.length)] = val;
  // Refused as `service config` refuses (its words, exit 2 → 400): the form again, nothing written.
  const refused = (err: unknown): Done => {
    if ((err as { exitCode?: number }).exitCode !== 2) throw err;
    return {
      page: { title: `Settings of ${name}`, section: '/services', body: settingsCard(before, csrf, typed) },
      status: 400,
      error: errorText(err),
    };
  };
  if (!Object.keys(change.set).length && !change.unset.length)
    return {
      to: back,
      notice: { kind: 'notice', text: `Nothing was changed: ${name}'s settings are as the form had them.` },
    };
  try {
    if (!apply) {
      const after = await ops.settings(name, { ...change, dryRun: true });
      return {
        page: {
          title: `Change settings of ${name}?`,
          section: '/services',
          body: confirmBody(before, after, change, csrf),
        },
      };
    }
    const done = await ops.settings(name, change);
    return { to: back, notice: { kind: 'notice', text: settingsChangeText(done) } };
  } catch (err) {
    return refused(err);
  }
}

/** The service page's card, or none for a module whose settings cannot be read (said by the CLI). */
export async function settingsSection(ops: DashboardOps, name: string, csrf: string): Promise<Part> {
  if (!ops.settings) return '';
  try {
    return settingsCard(await ops.settings(name), csrf);
  } catch (err) {
    return html`<section class="card" aria-labelledby="h-settings"><h2 id="h-settings">Settings</h2><p class="warn">${errorText(err)}</p></section>`;
  }
}
