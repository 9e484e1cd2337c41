import { testSh, workflow } from './ci.js';
import { gitignore, manifest, manifestMd, readme } from './docs.js';
import { buildSh, containerfile, serverTs } from './image.js';
import { kitFiles } from './kit-files.js';

export interface TemplateFile {
  path: string;
  content: string;
  mode: number;
}

/** Every file of a new module named `name`, relative to its folder. */
export function templateFiles(name: string): TemplateFile[] {
  const file = (path: string, content: string, mode = 0o644) => ({ path, content, mode });
  return [
    file('manifest.json', `${JSON.stringify(manifest(name), null, 2)}\n`),
    file('manifest.md', manifestMd(name)),
    file('README.md', readme(name)),
    file('Containerfile', containerfile(name)),
    file('build.sh', buildSh(name), 0o755),
    file('server/main.ts', serverTs(name)),
    // The module server kit (modules/kit in the BlueprintOS repository), bundled with the server.
    ...Object.entries(kitFiles).map(([f, text]) => file(`kit/${f}`, text)),
    file('test.sh', testSh(name), 0o755),
    file('payload/.keep', ''),
    file('.gitignore', gitignore),
    file('.github/workflows/module.yml', workflow(name)),
  ];
}
