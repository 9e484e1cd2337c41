/**
 * `blueprint system status` showed 'version -' for a slot RAUC never wrote (the factory image's,
 * flashed by the image builder: RAUC records no bundle for it; QA7's walk). The booted one runs
 * the system's own version, which status already knows; one not booted holds no update. RAUC 1.8's
 * answer after an install (test/update/fixtures).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseRaucStatus } from '../../src/core/update/rauc.js';
import { formatSystemStatus, rollbackLines } from '../../src/present/update.js';
import { systemView } from '../../src/web/app-ops.js';

const fixture = readFileSync(
  new URL('../update/fixtures/rauc-1.8-status-after-install.json', import.meta.url),
  'utf8',
);

it('a slot RAUC never wrote: the running version when booted, said as such when not', () => {
  const st = { ...parseRaucStatus(fixture), version: '1.0.0' };
  const booted = formatSystemStatus(st);
  expect(booted).not.toMatch(/version -$/m);
  expect(booted).toMatch(/^ {4}version 1\.0\.0 \(the factory image: no update written to this slot\)$/m);
  expect(booted).toMatch(/^ {4}version 2\.0\.0 \(build 20261129\)$/m);
  const other = (bootStatus: 'good' | 'bad') =>
    formatSystemStatus({
      ...st,
      slots: st.slots.map((s) =>
        s.booted ? s : { ...s, bootStatus, bundle: { ...s.bundle, version: null, build: null } },
      ),
      version: '2.0.0',
    });
  // Never written and never good: nothing in it (slot B of a box that never updated).
  expect(other('bad')).toMatch(/^ {4}version none recorded \(no update written to this slot\)$/m);
  // Never written but good: the factory image, left in its slot when an update booted the other
  // (QA14; test/update/factory-slot-words with real RAUC).
  expect(other('good')).toMatch(
    /^ {4}version not recorded: the factory image, the system this box came with$/m,
  );
});

it("the console's rollback confirm and the web's slots table say it the same way, not '?' or '-'", () => {
  const st = { ...parseRaucStatus(fixture), version: '2.0.0' };
  const neverWritten = {
    ...st,
    slots: st.slots.map((s) =>
      s.booted
        ? s
        : { ...s, bootStatus: 'bad' as const, bundle: { ...s.bundle, version: null, build: null } },
    ),
  };
  const lines = rollbackLines(neverWritten).join('\n');
  expect(lines).not.toContain('version ?');
  expect(lines).toContain('none recorded (no update written to this slot)');
  const view = systemView(neverWritten);
  const other = view.slots.find((s) => !s.booted);
  expect(other?.version).toBe('none recorded (no update written to this slot)');
});
