/**
 * The scaffold's CI workflow refused, before `repo build` ran, every push to main whose manifest
 * version was already in the pool ("already published: raise version"): a push that changed only
 * the README or a test went red. Module packages build reproducibly and `repo build` itself keeps
 * the pool's file for the same contents and refuses other contents under a released version (exit 5,
 * its own message), so the workflow leaves that decision to it. Runs the publish job's build step
 * as written, with a stand-in `blueprint` that records its arguments and exits as told.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { templateFiles } from '../../src/core/modules/index.js';
import { removeTempDirs, tempDir } from '../helpers/pkg.js';

interface Step {
  run?: string;
  env?: Record<string, string>;
}
const files = Object.fromEntries(templateFiles('demo-mod').map((f) => [f.path, f.content]));
const wf = parse(files['.github/workflows/module.yml']!) as { jobs: { publish: { steps: Step[] } } };
const buildStep = wf.jobs.publish.steps.find((s) => s.env?.BLUEPRINT_SIGNING_KEY)!;

afterAll(removeTempDirs);

/** The module folder with version 0.1.0 already in the pool of site/, and the stand-in blueprint. */
function checkout(rc: number) {
  const dir = tempDir('bp-ci-same-');
  writeFileSync(path.join(dir, 'manifest.json'), files['manifest.json']!);
  mkdirSync(path.join(dir, 'site/pool/demo-mod'), { recursive: true });
  writeFileSync(path.join(dir, 'site/pool/demo-mod/demo-mod_0.1.0_all.bpkg'), 'published');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const stub = path.join(bin, 'blueprint');
  writeFileSync(
    stub,
    `#!/bin/sh\necho "$*" >> "${dir}/calls"\n[ ${rc} = 0 ] || echo "repo build says: refused" >&2\nexit ${rc}\n`,
  );
  chmodSync(stub, 0o755);
  const temp = path.join(dir, 'runner-temp');
  mkdirSync(temp);
  const r = spawnSync('sh', ['-e', '-c', buildStep.run!], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      RUNNER_TEMP: temp,
      GITHUB_EVENT_NAME: 'push',
      BLUEPRINT_SIGNING_KEY: 'KEY',
    },
  });
  const calls = (() => {
    try {
      return readFileSync(path.join(dir, 'calls'), 'utf8');
    } catch {
      return '';
    }
  })();
  return { r, calls, key: path.join(temp, 'signing-key.asc') };
}

describe('the scaffold CI on a push that keeps the version', () => {
  it('hands the version already published to repo build: the same contents are a green run', () => {
    const { r, calls, key } = checkout(0);
    expect(r.stderr).not.toContain('already published');
    expect(r.status).toBe(0);
    expect(calls).toBe(`repo build . --repo site --name demo-mod --key ${key}\n`);
  });

  it("fails with repo build's own refusal when the contents changed under that version", () => {
    const { r, calls } = checkout(5);
    expect(calls).toContain('repo build . --repo site');
    expect(r.status).toBe(5);
    expect(r.stderr).toBe('repo build says: refused\n');
  });
});
