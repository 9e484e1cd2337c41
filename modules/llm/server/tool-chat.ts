/**
 * Tool calling, the engine side: node-llama-cpp's own function calling (LlamaChat.generateResponse's
 * `functions`). The chat wrapper documents the functions in the prompt in its syntax, and once the
 * model starts a call, a grammar makes it a call of a declared function whose parameters follow its
 * schema (tool-schema.ts took only schemas that grammar enforces). The request side is tools.ts.
 */
import {
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type ChatWrapperGeneratedContextState,
  type Llama,
  LlamaText,
} from 'node-llama-cpp';
import { type ChatMessage, SchemaError, type ToolCall, type ToolSet } from './engine-types.js';

/** The messages as node-llama-cpp's history, each call with its result, and the answer to come. */
export function historyOf(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant'
      ? {
          type: 'model',
          response: [
            ...(m.content ? [m.content] : []),
            ...(m.toolCalls ?? []).map((c, k) => ({
              type: 'functionCall' as const,
              name: c.name,
              params: c.arguments,
              result: c.result,
              startsNewChunk: k === 0,
            })),
          ],
        }
      : { type: m.role, text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * The wrapper for a chat that must call a tool (`required`, or a tool named): its prompt as the
 * wrapper renders it, but the answer begins with the wrapper's call prefix (node-llama-cpp's
 * `noPrefixTrigger` of type functionCall, with no other trigger), so the first thing generated is
 * a function's name under the grammar of the names declared.
 */
function forcing(wrapper: ChatWrapper): ChatWrapper {
  const prefix = wrapper.settings.functions.call.prefix;
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (state) =>
    ({
      ...wrapper.generateContextState(state),
      prefixTriggers: undefined,
      noPrefixTrigger: { type: 'functionCall', inject: LlamaText(prefix) },
      functionCall: undefined,
    }) as unknown as ChatWrapperGeneratedContextState;
  return forced;
}

/** The wrapper and generateResponse's options of a chat with these tools (none: plain text). */
export function toolOptions(wrapper: ChatWrapper, tools: ToolSet | undefined) {
  if (!tools) return { wrapper, state: {}, options: {} };
  const functions = tools.functions as ChatModelFunctions;
  const state = { availableFunctions: functions, documentFunctionParams: true };
  return {
    wrapper: tools.choice === 'required' ? forcing(wrapper) : wrapper,
    state,
    options: { functions, documentFunctionParams: true, maxParallelFunctionCalls: tools.maxCalls },
  };
}

/**
 * The parameters (as JSON) whose grammar llama.cpp took, the least recently sent first: an agent
 * sends the same tools every turn, and making their grammars again took up to ~60 ms of the event
 * loop (128 tools of 30 properties). At most 256, each of 16 KiB at most (4 MiB in all).
 */
const taken = new Set<string>();
const TAKEN_MAX = 256;
const TAKEN_MAX_CHARS = 16 * 1024;

/**
 * Each tool's arguments grammar made now, before the prompt is evaluated: node-llama-cpp makes it
 * only once the model begins a call of that tool, and llama.cpp's parser refuses some counts (a
 * minLength, minItems or minProperties of 2,000 or more: 'exceeds sane defaults'), which was a 500
 * part-way through an answer, or never seen while the model called another tool. A 400 naming it.
 * Parameters taken once are not made again (`taken`).
 */
export async function checkToolGrammars(llama: Llama, tools: ToolSet | undefined): Promise<void> {
  for (const [name, f] of Object.entries(tools?.functions ?? {})) {
    if (!f.params) continue;
    const text = JSON.stringify(f.params);
    if (taken.delete(text)) {
      taken.add(text); // the newest last
      continue;
    }
    try {
      // biome-ignore lint/suspicious/noExplicitAny: tool-schema.ts took only what the grammar builder takes
      await llama.createGrammarForJsonSchema(f.params as any);
      if (text.length <= TAKEN_MAX_CHARS) taken.add(text);
      if (taken.size > TAKEN_MAX) taken.delete(taken.values().next().value!);
    } catch (err) {
      throw new SchemaError(
        `tool '${name}': llama.cpp cannot parse the grammar made from its parameters (${(err as Error).message}); some counts of 2,000 or more (minLength, maxLength, minItems, minProperties) are beyond what it takes`,
        'tools',
      );
    }
  }
}

/** The calls of node-llama-cpp's answer. */
export function callsOf(r: {
  functionCalls?: { functionName: string; params: unknown }[];
}): ToolCall[] | undefined {
  const calls = r.functionCalls?.map((c) => ({ name: c.functionName, arguments: c.params ?? {} }));
  return calls?.length ? calls : undefined;
}
