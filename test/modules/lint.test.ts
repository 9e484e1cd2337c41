import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/index.js';
import { run, tempDir } from '../helpers/pkg.js';
import { scaffoldEdited } from './edited-scaffold.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

type Section = Record<string, unknown>;
type EditableManifest = Section & { service: Section & { resources: Section } };

/** Takes out the scaffold's data folder (the access token's) and its variable, for a test of other fields. */
const noData = (m: EditableManifest) => {
  delete m.service.data;
  delete m.service.env;
};

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

/** A fresh scaffold whose manifest is changed by `edit`. */
async function module(name: string, edit: (m: EditableManifest) => void): Promise<string> {
  const base = tempDir('bp-mod-lint-');
  made.push(base);
  return scaffoldEdited(base, name, edit);
}

const fields = (list: { field: string }[]) => list.map((f) => f.field).sort();

describe('blueprint module lint', () => {
  it('passes a fresh scaffold, its one loosening (the data folder holding the access token) justified', async () => {
    const report = await lintModule(await module('fresh', () => {}));
    expect(report).toMatchObject({ name: 'fresh', ok: true, errors: [], warnings: [] });
    expect(report.loosened.map((l) => [l.field, l.justification])).toEqual([
      ['data', expect.stringMatching(/blueprint service token/)],
    ]);
  });

  it('names the field of each schema error', async () => {
    const dir = await module('broken-schema', (m) => {
      m.version = '1.0';
      m.reviewers = ['me'];
      m.service.privileged = true;
      m.service.network = 'host';
      m.service.mounts = [{ source: '/etc', target: '/etc' }];
    });
    const report = await lintModule(dir);
    expect(report.ok).toBe(false);
    expect(fields(report.errors)).toEqual(
      ['reviewers', 'version', 'service.privileged', 'service.network', 'service.mounts[0].source'].sort(),
    );
    expect(report.errors.find((e) => e.field === 'service.network')?.message).toMatch(/host network/);
  });

  it('requires a justification for every loosening, and checks recipe and model hashes', async () => {
    const dir = await module('broken-policy', (m) => {
      noData(m);
      m.service.network = 'outbound';
      m.service.gpu = 'optional';
      m.service.resources.memory = '2g';
      m.service.mounts = [{ source: 'models', target: '/models' }];
      m.service.justification = { gpu: 'runs 20x faster on a GPU', data: 'left over' };
      m.files = { 'models/b.bin': sha('not b') };
    });
    await mkdir(path.join(dir, 'payload/models'), { recursive: true });
    await writeFile(path.join(dir, 'payload/models/a.bin'), 'weights a');
    await writeFile(path.join(dir, 'payload/models/b.bin'), 'weights b');
    await rm(path.join(dir, 'Containerfile'));
    const report = await lintModule(dir);
    expect(fields(report.errors)).toEqual(
      [
        'service.network',
        'service.resources.memory',
        'service.mounts',
        'files["models/a.bin"]',
        'files["models/b.bin"]',
        'Containerfile',
      ].sort(),
    );
    const byField = Object.fromEntries(report.errors.map((e) => [e.field, e.message]));
    expect(byField['service.network']).toContain('service.justification["network"]');
    expect(byField['files["models/a.bin"]']).toContain(sha('weights a'));
    expect(byField['files["models/b.bin"]']).toContain(sha('weights b'));
    expect(report.loosened.map((l) => [l.field, l.justification])).toEqual([
      ['network', undefined],
      ['gpu', 'runs 20x faster on a GPU'],
      ['mounts', undefined],
      ['resources.memory', undefined],
    ]);
    expect(fields(report.warnings)).toEqual(['service.justification.data']);
  });

  it('is clean once each loosening is justified and each model file hashed', async () => {
    const dir = await module('justified', (m) => {
      noData(m);
      m.service.mounts = [{ source: 'models', target: '/models' }];
      m.service.justification = { mounts: 'the model weights, read-only' };
      m.files = { 'models/a.bin': sha('weights a') };
    });
    await mkdir(path.join(dir, 'payload/models'), { recursive: true });
    await writeFile(path.join(dir, 'payload/models/a.bin'), 'weights a');
    const report = await lintModule(dir);
    expect(report.errors).toEqual([]);
    expect(report.loosened).toEqual([
      {
        field: 'mounts',
        value: '[{"source":"models","target":"/models"}]',
        default: 'no package files mounted',
        justification: 'the model weights, read-only',
      },
    ]);
  });

  it('warns about a recipe that needs a registry', async () => {
    const dir = await module('registry', () => {});
    await writeFile(
      path.join(dir, 'Containerfile'),
      'FROM debian:12 AS build\nFROM scratch\nCOPY --from=build / /\n',
    );
    const report = await lintModule(dir);
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ field: 'Containerfile:1' })]);
  });

  // Its last line said '1 errors, 0 warnings: fix the errors before …' and 'ok (1 warnings)'.
  it('counts its findings in words that agree with them: one error, one warning', async () => {
    const broken = await module('one-error', (m) => {
      m.service.resources.pids = 1000;
    });
    const r = await run(['module', 'lint', broken]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('1 error, 0 warnings: fix the error before `blueprint repo build`');
    const warned = await module('one-warning', () => {});
    await writeFile(
      path.join(warned, 'Containerfile'),
      'FROM debian:12 AS build\nFROM scratch\nCOPY --from=build / /\n',
    );
    const w = await run(['module', 'lint', warned]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toContain('ok (1 warning)');
  });

  it('exits 4 with the findings in --json, and refuses bad names and non-empty folders', async () => {
    const dir = await module('cli-broken', (m) => {
      noData(m);
      m.service.resources.pids = 1000;
    });
    const r = await run(['--json', 'module', 'lint', dir]);
    expect(r.code, r.stderr).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      errors: [{ field: 'service.resources.pids' }],
      loosened: [{ field: 'resources.pids', value: '1000', default: '256' }],
    });
    const clash = await run(['--json', 'module', 'new', 'again', '--dir', dir]);
    expect(clash.code).toBe(5);
    expect(JSON.parse(clash.stdout).error.hint).toMatch(/--dir/);
    const bad = await run(['module', 'new', 'Bad_Name', '--dir', path.join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a valid module name/);
  });
});
