import path from 'node:path';
import { buildRepo, GOOD, makeKey, makeSource, type SourceSpec, type TestKey, tempDir } from './pkg.js';

export interface ApplyWorkspace {
  work: string;
  key: TestKey;
  /** A repository signed by `key`, holding the packages asked for. */
  repo: string;
  /** The box's root (not made yet) and the description's path, both in `work`. */
  root: string;
  file: string;
  /** The description's `repositories:` section naming `repo` as main, with its key. */
  repositories: string[];
}

/** A description's `repositories:` section of one repository, its key by file and fingerprint. */
export const repositoriesSection = (name: string, url: string, key: TestKey): string[] => [
  'repositories:',
  `  - name: ${name}`,
  `    url: ${url}`,
  `    key: ${key.publicFile}`,
  `    fingerprint: "${key.fingerprint}"`,
];

/** What the apply tests start from: a signed repository of `specs` (GOOD), a box root and a description path. */
export async function applyWorkspace(tag: string, specs: SourceSpec[] = [GOOD]): Promise<ApplyWorkspace> {
  const work = tempDir(tag);
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  await buildRepo(
    repo,
    key,
    specs.map((s) => makeSource(path.join(work, 'src'), s)),
  );
  return {
    work,
    key,
    repo,
    root: path.join(work, 'root'),
    file: path.join(work, 'appliance.yaml'),
    repositories: repositoriesSection('main', `file://${repo}`, key),
  };
}
