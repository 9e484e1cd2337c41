import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { loadAnswersFile, loadSpecFile } from '../../src/core/setup/index.js';
import { tempDir } from './temp-registry.js';

/**
 * An answers or apply file that does not parse: the error named the line and column but ended in
 * the parser's ':' (its code frame cut off) and gave no hint; an empty file was "(top level):
 * Invalid input: expected object, received null". Both say what is wrong and what to do.
 */
const dir = tempDir('bp-file-syntax-');
let n = 0;
async function file(content: string): Promise<string> {
  const f = path.join(dir, `f-${n++}.yaml`);
  await writeFile(f, content);
  return f;
}

describe.each([
  ['setup --answers', loadAnswersFile],
  ['apply -f', loadSpecFile],
])('%s', (_what, load) => {
  it('a YAML syntax error names the place, without a dangling colon, and says what to do', async () => {
    const f = await file('hostname: [\n');
    const err = await load(f).catch((e) => e);
    expect(err).toMatchObject({ code: 'usage', exitCode: ExitCode.usage });
    expect(err.message).toMatch(/is not valid YAML or JSON: .* at line 2, column 1$/);
    expect(err.hint).toMatch(/line 2/);
  });

  it('a JSON syntax error too', async () => {
    const err = await load(await file('{"hostname": "box-01",, }')).catch((e) => e);
    expect(err).toMatchObject({ code: 'usage' });
    expect(err.message).not.toMatch(/:$/);
    expect(err.hint).toBeTruthy();
  });

  it('an empty file says it is empty', async () => {
    for (const content of ['', '\n  \n', '# only a comment\n']) {
      const f = await file(content);
      const err = await load(f).catch((e) => e);
      expect(err).toMatchObject({ code: 'usage', message: `${f} is empty` });
      expect(err.hint).toMatch(/--help/);
    }
  });
});
