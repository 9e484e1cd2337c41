/**
 * The dashboard's Services table has a Network column (docs/dashboard.md: "state, health, network,
 * rating"), but on a real box it was always empty: the page's rows came from the services' states,
 * which carry no network mode, and only the in-memory box of server.test filled it. It now says the
 * manifest's mode (and an admin's outbound approval), as the console's `net:` does. Real Podman.
 */
import { afterAll, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { servicesBody } from '../../src/web/pages.js';
import { type EngineLeft, installedHello, removeLeft } from '../services/helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };
afterAll(() => removeLeft(left));

it("the Services table says each service's network mode", async () => {
  const { name, root } = await installedHello('bpt-webnet', env, left);
  const rows = await appOps(root).services();
  expect(rows.map((r) => [r.name, r.network])).toEqual([[name, 'loopback-socket']]);
  const cell = html`${servicesBody(rows, 'csrf')}`.value.match(/data-label="Network">([^<]*)</)?.[1];
  expect(cell).toBe('loopback-socket');
}, 120_000);
