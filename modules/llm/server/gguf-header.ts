/**
 * What a model is, from its GGUF's header alone (no load): /api/tags, /info and /v1/models show it
 * for a model not loaded yet, and Ollama's /api/show describes it from it, as Ollama reads the file
 * rather than loading the model. The tensor table is read only within estimate.ts's bound (for the
 * parameter count); past it, the count is left out.
 */
import { stat } from 'node:fs/promises';
import { GgufInsights, type Llama, readGgufFileInfo } from 'node-llama-cpp';
import type { EngineInfo } from './engine-types.js';
import { tensorTableRefused } from './estimate.js';
import { GGML_TYPES } from './gguf-types.js';

/** The header's EngineInfo fields, and the chat template that renders its chats. */
export type ModelHeader = Partial<EngineInfo> & { template?: string };

/**
 * `contextSize`: LLM_CONTEXT (the context it would be served with: at most the trained one).
 * `chatTemplate`: the package's template (read once at start), else the GGUF's own is said.
 */
export async function readHeader(
  modelPath: string,
  o: { contextSize: number; chatTemplate?: string; llama?: Llama },
): Promise<ModelHeader> {
  const tensors = !(await tensorTableRefused(modelPath));
  const gguf = await readGgufFileInfo(modelPath, { readTensorInfo: tensors, logWarnings: false });
  const meta = gguf.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const general = meta.general as { architecture?: string; file_type?: number } | undefined;
  const arch = general?.architecture;
  const trained = arch ? meta[arch]?.context_length : undefined;
  const ftype = general?.file_type;
  const own = (meta.tokenizer as { chat_template?: unknown } | undefined)?.chat_template;
  let parameters: number | undefined;
  if (tensors) parameters = (await GgufInsights.from(gguf, o.llama)).totalParameters;
  return {
    architecture: arch ?? 'unknown',
    quantisation: ftype === undefined ? 'unknown' : (GGML_TYPES[ftype] ?? `type ${ftype}`),
    sizeBytes: (await stat(modelPath)).size,
    ...(typeof trained === 'number'
      ? { trainedContextLength: trained, contextLength: Math.min(o.contextSize, trained) }
      : { contextLength: o.contextSize }),
    ...(parameters ? { parameters } : {}),
    ...(o.chatTemplate !== undefined
      ? { template: o.chatTemplate }
      : typeof own === 'string'
        ? { template: own }
        : {}),
  };
}
