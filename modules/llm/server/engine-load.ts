/**
 * The parts of an engine's load (engine.ts Engine.load) that make llama.cpp objects from a loaded
 * model: its context and its chat template's wrapper.
 */
import {
  type ChatWrapper,
  GeneralChatWrapper,
  JinjaTemplateChatWrapper,
  type LlamaContext,
  type LlamaModel,
  resolveChatWrapper,
} from 'node-llama-cpp';
import type { EngineOptions } from './engine-types.js';
import { TEMPLATE_LOAD_MS, withDeadline } from './template-bound.js';

/** The model's context: `parallel` sequences of LLM_CONTEXT tokens each (at most the trained length). */
export function makeContext(model: LlamaModel, opts: EngineOptions): Promise<LlamaContext> {
  const contextSize = Math.min(opts.contextSize, model.trainContextSize);
  return model.createContext({
    contextSize: contextSize * opts.parallel,
    sequences: opts.parallel,
    threads: opts.threads,
    flashAttention: false,
    ...(opts.exactKvCache ? { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' } : {}),
  });
}

/** The chat template's wrapper, resolved once at load. */
export function resolveWrapper(model: LlamaModel, opts: EngineOptions): ChatWrapper {
  // Resolved once here: LlamaChat's 'auto' matches the GGUF's template against every built-in
  // wrapper in each constructor, which took 1.4-4 s a request on a busy 2-core machine (issue 17).
  // node-llama-cpp renders the template on example chats here (template-bound.ts: bounded).
  return withDeadline(
    () =>
      opts.chatTemplate
        ? new JinjaTemplateChatWrapper({ template: opts.chatTemplate })
        : // Without the model's llama: node-llama-cpp would render a template its JavaScript
          // renderer cannot parse with llama.cpp's native one, which no vm timeout stops; such
          // a template falls back to a built-in wrapper instead (test/security/llm-template-native).
          (resolveChatWrapper({
            bosString: model.tokens.bosString,
            architecture: model.fileInfo.metadata?.general?.architecture,
            filename: model.filename,
            fileInfo: model.fileInfo,
            tokenizer: model.tokenizer,
          }) ?? new GeneralChatWrapper()),
    TEMPLATE_LOAD_MS,
    'its example chats at load',
  );
}
