import { describe, expect, it } from 'vitest';
import { html } from '../../src/web/html.js';
import type { Overview, ServiceView } from '../../src/web/ops.js';
import { overviewBody, servicesBody } from '../../src/web/pages.js';

/**
 * Issue 17: the front ends show dependent services. `blueprint status` says 'llm running (used by
 * rag)' and the console's Dashboard does; the web dashboard's overview and services table said
 * nothing of it, so an admin pressing Stop on llm learnt only from the refusal that rag uses it.
 */
const svc = (name: string, usedBy?: string[]): ServiceView => ({
  name,
  version: '0.1.0',
  state: 'running',
  ...(usedBy ? { usedBy } : {}),
});
const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('web dashboard: who uses whom', () => {
  const list = [svc('llm', ['rag']), svc('rag'), svc('hello')];

  it('the overview names the users of a service', () => {
    const overview = {
      host: { hostname: 'box', kernel: '6.1', uptime: '1h', cpu: '2', memory: '1', disk: '1' },
      setupDone: true,
      encryption: 'not encrypted',
      gpus: { available: true, value: [] },
      services: { available: true, value: list },
      updates: { available: true, value: 0 },
      exposure: { firewall: 'on', listeners: [] },
    } as unknown as Overview;
    const t = text(overviewBody(overview));
    expect(t).toContain('llm running sandboxed, used by rag');
    expect(t).toMatch(/hello running sandboxed(?!, used)/);
  });

  it('the services table too, escaped', () => {
    const t = text(servicesBody([...list, svc('x', ['<b>evil</b>'])], 'csrf'));
    expect(t).toContain('used by rag');
    expect(html`${servicesBody([svc('x', ['<b>evil</b>'])], 'csrf')}`.value).toContain(
      'used by &lt;b&gt;evil&lt;/b&gt;',
    );
  });
});
