/**
 * CONSOLE5: the console's Dashboard cut every long row with `…`: at 40 columns most values (the
 * host's kernel and uptime, the CPU's model, the disk's path, a service's badge, the firewall's
 * ports), and at 80 a long service name, its users, a GPU's name. Each row now wraps under its
 * label, and the wrapped rows are counted: the listeners get what is left, and j/k reach the end.
 * Here the host's facts are the real ones with long values put in, the services and GPUs given.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRow } from '../../src/tui/sources.js';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console5-dashboard-');
});

const HOST = 'a-rather-long-host-name.example.internal';
const CPU_MODEL = 'Intel(R) Xeon(R) Platinum 8480C CPU @ 2.00GHz';
const GPU = 'NVIDIA H100 80GB HBM3 with a long product name';
const SERVICES: ServiceRow[] = [
  {
    name: 'retrieval-augmented-generation-service',
    state: 'running',
    sandboxed: true,
    detail: '0.5.0',
    usedBy: ['assistant-one', 'assistant-two'],
  },
  { name: 'embeddings', state: 'exited', sandboxed: false, detail: '0.3.0' },
];

function sources() {
  const base = sourcesFor(root);
  return sourcesFor(root, {
    host: async () => {
      const h = await base.host();
      return { ...h, hostname: HOST, cpu: { ...h.cpu, model: CPU_MODEL } };
    },
    gpus: async () => ({
      available: true,
      value: [{ name: GPU, detail: '80 GiB, driver 550.54.15' }] as never,
    }),
    services: async () => ({ available: true, value: SERVICES }),
    updates: async () => ({ available: true, value: 0 }),
    exposure: async () => ({
      listeners: [
        {
          proto: 'tcp6',
          address: '2001:db8:1234:5678:9abc:def0:1234:5678',
          port: 8443,
          inode: 1,
          loopback: false,
          flagged: true,
        },
      ],
      socketsRead: true,
      firewall: 'blueprint',
      allowedPorts: [22, 443, 8080, 8443, 9000, 9100],
    }),
  });
}

/** Every row of the body, the screen scrolled from its top to its end (j), joined: what it shows. */
async function wholeBody(app: ReturnType<typeof renderApp>, rows: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const f = app.lastFrame() ?? '';
    seen.push(...f.split('\n').slice(1, rows - 1));
    if (!/↓ \d+ more/.test(f)) break;
    await type(app, 'j');
    await new Promise((r) => setTimeout(r, 60));
  }
  return seen;
}

const flat = (lines: string[]) => lines.join(' ').replace(/\s+/g, ' ');

describe('Dashboard: long rows wrap, none is cut', () => {
  for (const [columns, rows] of [
    [40, 12],
    [80, 24],
  ] as const)
    it(`at ${columns}x${rows}`, async () => {
      const app = renderApp(sources());
      consoleSize(app, columns, rows);
      const from = app.frames.length;
      await frameWith(app, HOST.slice(0, 20), 400);
      await frameWith(app, columns < 80 ? /↓ \d+ more/ : /Services +retrieval/, 400);
      const body = await wholeBody(app, rows);
      for (const l of body) expect(l, body.join('\n')).not.toContain('…');
      const text = flat(body);
      for (const whole of [
        CPU_MODEL,
        GPU,
        'retrieval-augmented-generation-service',
        'used by assistant-one, assistant-two',
        '[NOT SANDBOXED]',
        'allows tcp 22,443,8080,8443,9000,9100',
        '2001:db8:1234:5678:9abc:def0:1234:5678:8443',
      ])
        expect(text.replace(/ /g, ''), text).toContain(whole.replace(/ /g, ''));
      expect(text).toMatch(/up \d/);
      expectFits(app.frames.slice(from + 1), columns, rows);
      app.unmount();
    }, 60_000);
});
