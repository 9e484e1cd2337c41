import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { templateFiles } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';

const files = Object.fromEntries(templateFiles('demo-mod').map((f) => [f.path, f.content]));

interface Step {
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  environment?: string;
  needs?: string;
  steps: Step[];
}

describe('the module template', () => {
  it('writes shell scripts that parse', () => {
    const dir = tempDir('bp-mod-tpl-');
    for (const name of ['build.sh', 'test.sh']) {
      const file = path.join(dir, name);
      writeFileSync(file, files[name]!);
      expect(() => execFileSync('sh', ['-n', file])).not.toThrow();
    }
    rmSync(dir, { recursive: true });
  });

  it('has a CI workflow that tests every change and signs only on the protected branch', () => {
    const wf = parse(files['.github/workflows/module.yml']!) as {
      on: Record<string, unknown>;
      permissions: Record<string, string>;
      jobs: Record<string, Job>;
    };
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'schedule']);
    expect(wf.permissions).toEqual({ contents: 'read' });
    const { test, publish } = wf.jobs as { test: Job; publish: Job };
    expect(test.steps.map((s) => s.run ?? '').join('\n')).toMatch(/module lint .*\n[\s\S]*sh test\.sh/);
    expect(test.if).toBeUndefined();
    expect(publish.needs).toBe('test');
    expect(publish.environment).toBe('release');
    expect(publish.if).toContain("github.ref == 'refs/heads/main'");
    expect(publish.if).not.toContain('pull_request');
    // The signing key is a secret of the publish job only, written to a file no one else can read.
    const usesSecret = (j: Job) => JSON.stringify(j).includes('secrets.BLUEPRINT_SIGNING_KEY');
    expect(usesSecret(test)).toBe(false);
    const signing = publish.steps.find((s) => s.env?.BLUEPRINT_SIGNING_KEY)!;
    expect(signing.run).toMatch(/umask 077/);
    expect(signing.run).toMatch(/blueprint repo build \. --repo site/);
    // GitHub Packages: pushed with the job's own token from the environment, never on the command line.
    const ghcr = publish.steps.find((s) =>
      s.run?.includes('blueprint repo publish site --to "oci://ghcr.io/'),
    )!;
    expect(ghcr.env).toEqual({
      BLUEPRINT_REGISTRY_USER: '${{ github.actor }}',
      BLUEPRINT_REGISTRY_PASSWORD: '${{ secrets.GITHUB_TOKEN }}',
    });
    expect(ghcr.run).not.toMatch(/GITHUB_TOKEN|PASSWORD/);
  });

  it('embeds the name everywhere it is needed, and nothing else varies', () => {
    const other = Object.fromEntries(templateFiles('other-mod').map((f) => [f.path, f.content]));
    for (const [file, content] of Object.entries(files))
      expect(other[file]).toBe(content.replaceAll('demo-mod', 'other-mod'));
    expect(JSON.parse(files['manifest.json']!).service.socket).toEqual({
      dir: '/run/demo-mod',
      file: 'api.sock',
    });
  });
});
