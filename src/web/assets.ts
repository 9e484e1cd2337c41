import { createHash } from 'node:crypto';

/**
 * The dashboard's only static files, embedded as strings so the single executable serves them on
 * an air-gapped box (no CDN, no fonts, no images from elsewhere). Served from /assets/ under
 * `script-src 'self'` and `style-src 'self'`: there is no inline script or style to allow.
 */

const CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f7f9; --card: #fff; --muted: #5b6470;
  --line: #d5d9df; --accent: #0b5cad; --ok: #1a7f37; --bad: #b42318; --warn: #8a5a00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --bg: #111418; --card: #1a1e24;
  --muted: #9aa3ad; --line: #2e353d; --accent: #6cb6ff; --ok: #4ac26b; --bad: #ff7b72; --warn: #d29922; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 6px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 16px; padding: 8px 16px;
  background: var(--card); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; margin-right: 8px; }
nav ul { display: flex; flex-wrap: wrap; gap: 2px 4px; list-style: none; margin: 0; padding: 0; }
nav a { display: block; padding: 6px 10px; border-radius: 6px; text-decoration: none; }
nav a[aria-current="page"] { background: var(--accent); color: var(--card); }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.4rem; margin: 4px 0 12px; } h2 { font-size: 1.1rem; margin: 18px 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 12px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.table { width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.wrap { overflow-wrap: anywhere; }
table.plan { width: auto; } table.plan th, table.plan td { padding: 2px 16px 2px 0; white-space: nowrap; }
/* A plan's table scrolls within its dd on a phone instead of widening the page. */
dl.facts dd:has(> .table) { min-width: 0; }
.muted { color: var(--muted); } .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; border: 1px solid currentColor; font-size: .85rem; }
form.inline { display: inline; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
/* A table's actions stay a table cell: as a flex box the browser wraps it in a cell of its own, whose
   row line stopped short of the row's bottom beside a two-line summary. */
td.actions { display: table-cell; white-space: nowrap; } td.actions > * + * { margin-left: 8px; }
button, .button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: var(--card); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .6; cursor: progress; }
input[type=search], input[type=text] { font: inherit; padding: 6px 8px; border: 1px solid var(--line);
  border-radius: 6px; background: var(--card); color: var(--fg); min-width: 0; width: 18rem; max-width: 100%; }
/* Any field (a password's, the new token's: size 48) narrows to its card: 426 px on a 360 px phone. */
main input { max-width: 100%; box-sizing: border-box; }
pre.log { background: #0d1117; color: #e6edf3; padding: 10px; border-radius: 6px; max-height: 60vh;
  overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; margin: 0; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
/* A value the admin copies or compares (a fingerprint, a command with the box's --root path, a
   running service's limit line, a sandbox inspection line) wraps where it must: run past its card, a
   phone's page cut it or scrolled sideways. A code's may break anywhere, so a table cell can narrow. */
code { overflow-wrap: anywhere; } main p, main li { overflow-wrap: break-word; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.error { border-color: var(--bad); } .notice { border-color: var(--ok); }
.flash { white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 600px) { main { padding: 8px; } th, td { padding: 4px; }
  table.stack thead { display: none; } table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: 4px 0; }
  table.stack td { display: block; border: 0; padding: 2px 4px; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
  table.stack td.actions { display: flex; } table.stack td.actions > * + * { margin-left: 0; } }
`;

const JS = `'use strict';
// Live text: a <pre data-stream="URL"> follows a server-sent event stream; lines are added as
// text nodes, never as markup. 'state' events update [data-state] in the stream's own card; 'end'
// closes the stream (a service page has two: its log's end is not its action's).
for (const pre of document.querySelectorAll('pre[data-stream]')) {
  const es = new EventSource(pre.dataset.stream);
  const card = pre.closest('section') || document;
  const max = 2000;
  const add = (text) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(document.createTextNode(text + '\\n'));
    while (pre.childNodes.length > max) pre.firstChild.remove();
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  // A stream that connects again (a dropped tunnel) is sent its text from the first line again
  // (a job's every line, a log's last 200): it replaces what was shown, not adds to it.
  let dropped = false;
  es.onerror = () => { dropped = true; };
  es.onopen = () => { if (dropped) pre.replaceChildren(); dropped = false; };
  es.onmessage = (e) => add(e.data);
  es.addEventListener('state', (e) => {
    for (const el of card.querySelectorAll('[data-state]')) el.textContent = e.data;
  });
  es.addEventListener('stay', () => { for (const a of card.querySelectorAll('a[data-next]')) a.remove(); });
  es.addEventListener('end', (e) => {
    es.close();
    for (const el of card.querySelectorAll('[data-state]')) el.textContent = e.data;
    for (const el of card.querySelectorAll('[data-when-done]')) el.hidden = false;
    // A job that leads on (an update, then its upgrade plan): there once it ended well, in the
    // job page's place (Back goes to where the job was asked for).
    const next = card.querySelector('a[data-next]');
    if (next && e.data === 'done') location.replace(next.href);
  });
}
// A service's state, polled while its page is open: the badge follows start, stop and crashes.
for (const el of document.querySelectorAll('[data-poll]')) {
  const tick = async () => {
    try {
      const r = await fetch(el.dataset.poll, { headers: { accept: 'application/json' } });
      if (r.ok) { const s = await r.json(); el.textContent = s.state; el.className = 'badge ' + s.tone; }
    } catch {}
  };
  setInterval(tick, 2000);
}
// "Import a model…": asked first whether the import would be refused (a taken name, no room), then
// the file is sent as the POST's body with its progress shown, the CSRF token in a header; the
// answer leads to the import's job page. Refusals are shown as text.
for (const form of document.querySelectorAll('form[data-upload]')) {
  form.hidden = false;
  const bar = form.querySelector('progress');
  const text = form.querySelector('[data-upload-text]');
  const shown = form.querySelector('[data-upload-progress]');
  const error = form.querySelector('[data-upload-error]');
  const fields = form.querySelectorAll('button, input');
  const mib = (n) => (n / 1048576).toFixed(1) + ' MiB';
  // The blocks the box compares with an installed model of this size (core/models/import-again's
  // uploadSampleRanges: 16 blocks of 64 bytes, first to last), as hex: other bytes are refused
  // before they are sent. A SHA-256 would read the whole file twice (no streaming WebCrypto).
  const sampled = async (f) => {
    const n = Math.min(64, f.size);
    let hex = '';
    for (let i = 0; n > 0 && i < 16; i++) {
      const at = Math.floor((i * (f.size - n)) / 15);
      for (const x of new Uint8Array(await f.slice(at, at + n).arrayBuffer())) hex += x.toString(16).padStart(2, '0');
    }
    return hex;
  };
  const fail = (t) => {
    error.textContent = t;
    error.hidden = false;
    shown.hidden = true;
    for (const f of fields) f.disabled = false;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const file = form.elements.file.files[0];
    if (!file) return fail('Choose a .gguf file.');
    const q = new URLSearchParams({ name: form.elements.name.value.trim(), file: file.name });
    const license = form.elements.license.value.trim();
    if (license) q.set('license', license);
    for (const f of fields) f.disabled = true;
    try {
      const r = await fetch(form.dataset.upload + '/check?' + q + '&bytes=' + file.size + '&sample=' + (await sampled(file)), {
        headers: { accept: 'application/json' },
      });
      const c = await r.json();
      if (!c.ok) return fail(c.error || 'Refused (' + r.status + ')');
    } catch {
      return fail('The dashboard did not answer (is the tunnel still open?); nothing was sent.');
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.dataset.upload + '?' + q);
    xhr.setRequestHeader('X-CSRF-Token', form.dataset.csrf);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    shown.hidden = false;
    text.textContent = 'Uploading ' + file.name + ': 0 of ' + mib(file.size);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.floor((e.loaded * 100) / e.total);
      text.textContent = 'Uploading ' + file.name + ': ' + mib(e.loaded) + ' of ' + mib(e.total);
    };
    xhr.onload = () => {
      // The answer leads to the job's page (a 303 the request followed); a refusal is its text.
      const to = new URL(xhr.responseURL || location.href);
      if (xhr.status === 200 && !to.pathname.startsWith(form.dataset.upload)) location.assign(to.href);
      else fail(xhr.responseText.trim() || 'The upload was refused (' + xhr.status + ').');
    };
    xhr.onerror = () => fail('The upload was cut off (is the tunnel still open?); nothing was imported.');
    xhr.send(file);
  });
}
// Add a repository: a key file (armoured, 32 KiB at most) read into the key's text box, shown there.
for (const input of document.querySelectorAll('input[data-key-file]')) {
  const area = document.getElementById('repo-key');
  for (const el of document.querySelectorAll('[data-key-file-label]')) el.hidden = false;
  input.hidden = false;
  input.addEventListener('change', () => {
    const f = input.files[0];
    input.setCustomValidity('');
    if (!f) return;
    if (f.size > 32768) {
      input.setCustomValidity('The key file is larger than 32 KiB: choose the armoured public key (.asc).');
      input.reportValidity();
      return;
    }
    f.text().then((t) => { area.value = t; });
  });
}
// One click, one action: a submitted form's buttons are disabled while the next page loads.
for (const form of document.querySelectorAll('form[method="post"]')) {
  form.addEventListener('submit', () => {
    setTimeout(() => { for (const b of form.querySelectorAll('button')) b.disabled = true; }, 0);
  });
}
`;

export interface Asset {
  type: string;
  body: string;
  etag: string;
}

const asset = (type: string, body: string): Asset => ({
  type,
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
});

// The page's icon (layout.ts links it): without one every page asked for /favicon.ico and got 404,
// an error in the browser's console. A box outline, no text: no font to fetch.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5cad"/><path d="M8 9h16v14H8zM8 16h16M16 9v14" fill="none" stroke="#fff" stroke-width="2"/></svg>`;

export const assets: Record<string, Asset> = {
  '/assets/app.css': asset('text/css; charset=utf-8', CSS),
  '/assets/app.js': asset('text/javascript; charset=utf-8', JS),
  '/assets/icon.svg': asset('image/svg+xml', ICON),
};
