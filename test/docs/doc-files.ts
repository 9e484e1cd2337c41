import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository's root, and the docs a user reads there: the READMEs, docs/*.md, each module's README. */
export const repo = path.resolve(import.meta.dirname, '../..');

export function docFiles(): string[] {
  const inFolder = (dir: string) =>
    readdirSync(path.join(repo, dir))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `${dir}/${f}`);
  const readmes = (dir: string) =>
    readdirSync(path.join(repo, dir))
      .map((m) => `${dir}/${m}/README.md`)
      .filter((f) => existsSync(path.join(repo, f)));
  return [
    'README.md',
    'ARCHITECTURE.md',
    'CONTRIBUTING.md',
    'SECURITY.md',
    'image/README.md',
    'image/rauc/README.md',
    'keys/README.md',
    'contrib/ansible/README.md',
    ...inFolder('docs'),
    ...readmes('modules'),
  ].filter((f) => existsSync(path.join(repo, f)));
}
