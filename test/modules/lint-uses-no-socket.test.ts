import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';
import { scaffoldEdited } from './edited-scaffold.js';

// docs/module-wiring.md: "The used module must have a service.socket": a consumer reaches it only
// through it. Lint read a sibling's manifest for its name alone, so a consumer using a module next
// to it whose service has no socket linted ok, built and installed, and failed only at its start on
// the box (QA15's walk: notes-ui using a module with network none). Now lint says so at once.
const work = tempDir('bp-uses-nosock-');
afterAll(() => rm(work, { recursive: true, force: true }));

const scaffold = (name: string, edit: (m: { uses?: string[]; service: Record<string, unknown> }) => void) =>
  scaffoldEdited(work, name, edit);

describe('module lint: a uses entry naming a module next to it', () => {
  it('is an error when that module serves no socket, and fine when it does', async () => {
    mkdirSync(work, { recursive: true });
    await scaffold('quiet', (m) => {
      delete m.service.socket;
      m.service.network = 'none';
      delete m.service.health;
    });
    await scaffold('talker', () => {});
    const consumer = await scaffold('front', (m) => {
      m.uses = ['quiet', 'talker>=0.1.0'];
    });
    const report = await lintModule(consumer);
    const findings = report.errors.filter((e) => e.field.startsWith('uses'));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.field).toBe('uses[0]');
    expect(findings[0]!.message).toMatch(/quiet serves no socket/);
    expect(findings[0]!.message).toMatch(/service\.socket/);
  });
});
