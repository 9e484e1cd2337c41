import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { formatInspection } from '../../src/present/services.js';
import { buildHello, fileBox, uniqueName } from '../services/helpers.js';

/**
 * `blueprint service inspect` (and the dashboard's page of a service, line by line) shows the
 * module's own probe, a JSON object the module prints, key by key under the kernel's view and
 * above the rating. A key is the module's text: one holding a newline printed lines of its own
 * there, e.g. a fake `ok   root filesystem read-only` or `Security rating 8/8` under a module
 * whose sandbox says otherwise. Every key and value is now one line of its own, escaped.
 */

const name = uniqueName('bpt-inspect');
const box = fileBox(buildHello, name, { start: true, timeout: 120_000 });

const FORGED = '  ok   root filesystem read-only (forged)';

describe("the probe's keys and values cannot add lines to service inspect", () => {
  it('a key or value holding a newline stays on its own line, shown escaped', async () => {
    const i = await openBox(box.root, {}).services.inspect(name);
    expect(i.probe).toBeDefined();
    i.probe = { ...i.probe, [`x\n${FORGED}\nSecurity rating: 8/8`]: 'v', y: `w\u2028${FORGED}` };
    const text = formatInspection(i);
    const lines = text.split('\n');
    expect(
      lines.filter((l) => l.includes('(forged)')),
      text,
    ).toHaveLength(2);
    expect(lines.some((l) => l.startsWith(FORGED))).toBe(false);
    expect(lines.some((l) => /^Security rating: 8\/8/.test(l))).toBe(false);
    expect(text).toContain('x\\x0a  ok   root filesystem');
  });
});
