/**
 * An upload to the dashboard's "Import a model…" that stops sending (a tunnel left half-open, a
 * laptop asleep, a client that never sends the rest of its Content-Length). The dashboard's server
 * has no request timeout (an upload of gigabytes may take hours), so such an upload kept its
 * partial file in root's cache, counted against the next upload's free space, for as long as the
 * connection stayed open: for good. Now an upload idle for `uploadIdleMs` (10 minutes by default;
 * small here) is ended and its file removed; one that keeps sending is not.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/pkg.js';
import { boxDashboard } from './box-dashboard.js';
import { waitFor } from './dashboard-harness.js';

const Q8 = readFileSync(path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf'));
const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-upload-stalled-', {
  uploadIdleMs: 500,
});
const uploads = () => path.join(box.root, 'var/cache/blueprint/model-uploads');
const left = () => (existsSync(uploads()) ? readdirSync(uploads()) : []);

it('an upload that stops sending is ended and its partial file removed', async () => {
  const req = http.request({
    socketPath: box.dash.socket,
    path: `/import-model?name=stalled&_csrf=${encodeURIComponent(box.csrf)}`,
    method: 'POST',
    headers: {
      host: 'localhost:8080',
      cookie: box.cookie,
      'content-type': 'application/octet-stream',
      'content-length': String(Q8.length),
    },
  });
  const closed = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
  req.write(Q8.subarray(0, 64 * 1024));
  await waitFor('the part sent on disk', () =>
    left().some((f) => statSync(path.join(uploads(), f)).size === 64 * 1024),
  );
  // Nothing more is sent, and the connection is kept open: the dashboard ends it.
  await closed;
  await waitFor('the partial upload removed', () => left().length === 0);
  // No import was started from it: the Models page lists none.
  expect((await box.get('/models')).body).not.toMatch(/model-stalled|>stalled</);
});
