import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { GGML_TYPES } from '../../../modules/llm/server/gguf-types.js';
import { loadFileList } from '../pkg/db.js';
import type { Layout } from '../system/paths.js';
import { readGgufInfo } from './gguf.js';
import { plainLine } from './manifest.js';

/**
 * What an installed model is (`blueprint model show`, as `ollama show`), from its package's
 * signed manifest (the licence, the files) and its GGUF's header (the bounded reader of gguf.ts:
 * the file is the installed package's, root's, read without following a link).
 */
export interface ModelFacts {
  name: string;
  package: string;
  version: string;
  origin: string;
  /** The GGUF, relative to the package's folder (the first part of a split one). */
  file: string;
  sizeBytes: number;
  architecture: string;
  /** general.name, when plain text. */
  displayName?: string;
  parameters: number;
  contextLength?: number;
  embeddingLength?: number;
  layers?: number;
  /** From general.file_type (llama.cpp's llama_ftype), as the llm's /info says it. */
  quantisation?: string;
  license?: string;
  chatTemplate: boolean;
  sha256?: string;
}

// Quantisation names: the llm module's own table (llama_ftype, general.file_type), so `model show`
// says what the llm's /info says (the module imports nothing from src/; src may read its table).
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);

export async function describeModel(
  paths: Layout,
  pkg: { name: string; version: string; origin: string },
): Promise<ModelFacts | undefined> {
  const list = await loadFileList(paths, pkg.name, pkg.version);
  const files = (list?.manifest.files ?? {}) as Record<string, string>;
  const gguf = Object.keys(files)
    .filter((f) => f.endsWith('.gguf'))
    .sort()[0];
  if (!gguf) return undefined;
  const fh = await open(
    path.join(paths.optDir, pkg.name, pkg.version, gguf),
    constants.O_RDONLY | constants.O_NOFOLLOW,
  );
  try {
    const size = (await fh.stat()).size;
    const info = await readGgufInfo(fh, size);
    const arch = String(info.metadata.get('general.architecture'));
    const at = (key: string) => num(info.metadata.get(`${arch}.${key}`));
    const type = num(info.metadata.get('general.file_type'));
    const displayName = plainLine(info.metadata.get('general.name'), 100);
    const license = plainLine(list?.manifest.license, 500);
    const contextLength = at('context_length');
    const embeddingLength = at('embedding_length');
    const layers = at('block_count');
    return {
      name: pkg.name.slice('model-'.length),
      package: pkg.name,
      version: pkg.version,
      origin: pkg.origin,
      file: gguf,
      sizeBytes: size,
      architecture: plainLine(arch, 100) ?? '?',
      ...(displayName ? { displayName } : {}),
      parameters: Number(info.parameters),
      ...(contextLength !== undefined ? { contextLength } : {}),
      ...(embeddingLength !== undefined ? { embeddingLength } : {}),
      ...(layers !== undefined ? { layers } : {}),
      ...(type !== undefined ? { quantisation: GGML_TYPES[type] ?? `type ${type}` } : {}),
      ...(license ? { license } : {}),
      chatTemplate:
        Object.keys(files).some((f) => f.endsWith('/chat_template.jinja')) ||
        typeof info.metadata.get('tokenizer.chat_template') === 'string',
      ...(files[gguf] ? { sha256: files[gguf] } : {}),
    };
  } finally {
    await fh.close();
  }
}

/**
 * The installed model package whose signed manifest lists a GGUF with this SHA-256, if any: the
 * same bytes imported again under another name would be stored twice (`model import` refuses).
 */
export async function modelHoldingGguf(
  paths: Layout,
  installed: readonly { name: string; version: string }[],
  sha256: string,
): Promise<string | undefined> {
  for (const pkg of installed) {
    if (!pkg.name.startsWith('model-')) continue;
    const files = ((await loadFileList(paths, pkg.name, pkg.version))?.manifest.files ?? {}) as Record<
      string,
      string
    >;
    if (Object.entries(files).some(([f, sha]) => f.endsWith('.gguf') && sha === sha256)) return pkg.name;
  }
  return undefined;
}
