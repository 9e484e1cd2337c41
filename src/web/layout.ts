import { shownHint } from '../present/root-in-hints.js';
import { assets } from './assets.js';
import { type Html, html, type Part } from './html.js';
import type { Maybe } from './ops.js';

export const NAV: Array<{ path: string; label: string }> = [
  { path: '/', label: 'Overview' },
  { path: '/services', label: 'Services' },
  { path: '/packages', label: 'Packages' },
  { path: '/models', label: 'Models' },
  { path: '/tokens', label: 'Tokens' },
  { path: '/gpu', label: 'GPU' },
  { path: '/keys', label: 'Keys & repositories' },
  { path: '/audit', label: 'Audit' },
  { path: '/outbound', label: 'Outbound' },
  { path: '/system', label: 'System' },
];

const css = assets['/assets/app.css']!;
const js = assets['/assets/app.js']!;
const icon = assets['/assets/icon.svg']!;

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current. */
  section?: string;
  /** The session's CSRF token: present on every page of a logged-in admin. */
  csrf?: string;
  /**
   * Shown above the page: what the last action did, or why it failed (errorText: the hint on a line
   * of its own); its line breaks and indents are kept (the `flash` class).
   */
  flash?: { kind: 'notice' | 'error'; text: string };
  body: Part;
}

/** The whole document. Asset URLs carry their hash so a new build is never served stale. */
export function page(o: PageOptions): string {
  const nav = o.csrf
    ? html`<nav aria-label="Sections"><ul>${NAV.map(
        (n) =>
          html`<li><a href="${n.path}"${o.section === n.path ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}</ul></nav>
      <form class="inline" method="post" action="/logout">${csrfField(o.csrf)}<button class="secondary" type="submit">Log out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · BlueprintOS</title>
<link rel="stylesheet" href="/assets/app.css?v=${css.etag.slice(1, -1)}">
<link rel="icon" type="image/svg+xml" href="/assets/icon.svg?v=${icon.etag.slice(1, -1)}">
<script src="/assets/app.js?v=${js.etag.slice(1, -1)}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">BlueprintOS</span>${nav}</header>
<main id="main" tabindex="-1">
${o.flash ? html`<div class="card flash ${o.flash.kind}" role="status"><strong>${o.flash.kind === 'error' ? 'Error: ' : ''}</strong>${shownHint(o.flash.text)}</div>` : ''}
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>
`.value;
}

export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;
/** The id of the plan a confirmation page showed (ops.ts SignerView.plan): what its confirmation carries out. */
export const planField = (id: string): Html => html`<input type="hidden" name="plan" value="${id}">`;

/** A POST button: every change is a form with the CSRF token, never a link. */
export function actionButton(
  csrf: string,
  action: string,
  label: string,
  cls = '',
  fields: Record<string, string> = {},
): Html {
  return html`<form class="inline" method="post" action="${action}">${csrfField(csrf)}${Object.entries(
    fields,
  ).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;
}

export function maybe<T>(m: Maybe<T>, show: (v: T) => Part): Part {
  return m.available ? show(m.value) : html`<span class="muted">${m.reason}</span>`;
}

/** The tone a state is shown in. */
export function stateTone(state: string): string {
  if (state === 'running') return 'ok';
  if (/crash|fail|unhealthy|dead|damaged/.test(state)) return 'bad';
  if (/restart|start|stopping|created/.test(state)) return 'warn';
  return 'muted';
}

export const badge = (text: string, tone = stateTone(text)) =>
  html`<span class="badge ${tone}">${text}</span>`;
