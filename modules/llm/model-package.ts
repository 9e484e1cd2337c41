/**
 * A model as a package of its own: `model-NAME`, the GGUF file(s), the chat template and the
 * licence, with the SHA-256 of every file in the signed manifest (`files`), which the package
 * manager checks at install.
 *
 *   node modules/llm/model-package.ts --model DIR --out SRC [--name NAME] [--version X.Y.Z] [--license TEXT]
 *
 * DIR holds one .gguf (or the parts of a split one), and optionally LICENSE and a chat template
 * (chat_template.jinja); when there is no chat template file, the one inside the GGUF
 * (`tokenizer.chat_template`) is written out, so what the model will be prompted with is part of
 * what is signed and reviewed. Payload: models/NAME/. Then `blueprint repo build SRC …` signs it.
 */
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { MODEL_NAME, modelManifest } from '../../src/core/models/manifest.ts';
import { recipeMain, sha256 } from '../kit/image.ts';

export interface ModelSourceOptions {
  model: string;
  out: string;
  /** The model's name (default: the folder's); the package is `model-NAME`. */
  name?: string;
  version?: string;
  /** The licence line of the manifest (default: the GGUF's general.license, else "see LICENSE"). */
  license?: string;
}

export async function makeModelPackageSource(
  opts: ModelSourceOptions,
): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const model = resolve(opts.model);
  const name = (opts.name ?? basename(model)).toLowerCase();
  if (!MODEL_NAME.test(name))
    throw new Error(`model name ${name}: use lowercase letters, digits and "-" (the package is model-NAME)`);
  const ggufs = readdirSync(model).filter((f) => f.endsWith('.gguf'));
  if (ggufs.length === 0) throw new Error(`${model} holds no .gguf file`);
  const out = resolve(opts.out);
  rmSync(out, { recursive: true, force: true });
  const folder = join(out, 'payload/models', name);
  cpSync(model, folder, { recursive: true, dereference: true });
  const info = await readGgufFileInfo(join(model, ggufs.sort()[0]!), {
    readTensorInfo: false,
    logWarnings: false,
  });
  const meta = info.metadata as unknown as {
    general?: { license?: string; name?: string };
    tokenizer?: { chat_template?: string };
  };
  const template = meta.tokenizer?.chat_template;
  if (!existsSync(join(folder, 'chat_template.jinja')) && template)
    writeFileSync(join(folder, 'chat_template.jinja'), template);
  const payload = join(out, 'payload');
  const files = Object.fromEntries(
    readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((f) => [relative(payload, f), sha256(f)]),
  );
  // The same manifest `blueprint model import` makes on a box (one definition, in src/core).
  const manifest = modelManifest({
    name,
    version: opts.version ?? '1.0.0',
    license: opts.license ?? meta.general?.license,
    displayName: meta.general?.name,
    hasTemplate: Boolean(template),
    files,
  });
  const license = String(manifest.license);
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(out, 'README.md'),
    `# model-${name}\n\nThe language model ${name} for the llm module: ${Object.keys(files).join(', ')} under\n` +
      `/opt/blueprint/model-${name}/current/models/${name}/. Every file's SHA-256 is in the signed manifest;\n` +
      'the package manager checks them at install and the llm service again before loading.\n\n' +
      `Licence: ${license}\n`,
  );
  return { dir: out, manifest };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  await recipeMain({
    usage: [
      'usage: node modules/llm/model-package.ts --model DIR --out SOURCE_DIR [--name NAME] [--version X.Y.Z] [--license TEXT]',
    ],
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      license: { type: 'string' },
    },
    required: ['model', 'out'],
    make: (v) =>
      makeModelPackageSource({
        model: v.model!,
        out: v.out!,
        name: v.name,
        version: v.version,
        license: v.license,
      }),
    describe: (m) => `${Object.keys(m.files as object).length} files`,
  });
}
