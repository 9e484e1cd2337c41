/**
 * Tool calling on both APIs' chats, the request side: the declared tools (`tools`: OpenAI's and
 * Ollama's shape, `{type: "function", function: {name, description, parameters}}`), OpenAI's
 * `tool_choice` and `parallel_tool_calls`, and the calls and tool results in a history, paired
 * here into the assistant message that made them (node-llama-cpp keeps a call and its result
 * together). Every bad part is a 400 naming it, before anything waits. The engine side is
 * tool-chat.ts; a tool's `parameters` are checked against what the grammar can enforce in
 * tool-schema.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ChatMessage, Sampling, ToolCall, ToolSet } from './engine-types.js';
import { bad, checkSchema, type Obj, text } from './request.js';
import { grammarSchema } from './tool-schema.js';

/** Tools one request may declare (OpenAI's own bound). */
export const MAX_TOOLS = 128;
/** Calls one answer may make when parallel calls are allowed. */
export const MAX_PARALLEL_CALLS = 8;
/** Levels a call's arguments in a history may nest (they are written into the prompt as JSON). */
const MAX_ARGUMENT_DEPTH = 64;

/** Deeper than MAX_ARGUMENT_DEPTH, walked without recursion (JSON.parse takes any depth). */
function tooDeep(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > MAX_ARGUMENT_DEPTH) return true;
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return false;
}

/** A function's name, as OpenAI allows it. */
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const FUNCTION_KEYS = new Set(['name', 'description', 'parameters', 'strict']);

const none = (v: unknown) => v === null || v === undefined;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function name(v: unknown, param: string): string {
  if (typeof v !== 'string' || !NAME.test(v))
    throw bad(`'${param}' must be 1 to 64 letters, digits, '_' or '-'`, param);
  return v;
}

/** The tools declared, checked; `{}` when there are none. */
function declared(list: unknown): ToolSet['functions'] {
  if (none(list)) return {};
  if (!Array.isArray(list)) throw bad("'tools' must be a list of tools", 'tools');
  if (list.length > MAX_TOOLS) throw bad(`'tools' has more than ${MAX_TOOLS} tools`, 'tools');
  // All the tools together under one schema's bounds (depth, keys, characters), iteratively: a
  // list nested 100,000 deep must not overflow the stack of what walks it next.
  checkSchema({ tools: list }, 'tools', 'tools');
  const functions: ToolSet['functions'] = {};
  list.forEach((tool: unknown, i) => {
    const p = `tools[${i}]`;
    if (!isObj(tool) || (tool.type !== undefined && tool.type !== 'function') || !isObj(tool.function))
      throw bad(`'${p}' must be {"type": "function", "function": {"name", "description", "parameters"}}`, p);
    const f = tool.function;
    const extra = Object.keys(f).find((k) => !FUNCTION_KEYS.has(k));
    if (extra !== undefined)
      throw bad(`'${p}.function.${extra.slice(0, 64)}' is not served: leave it out`, `${p}.function`);
    const n = name(f.name, `${p}.function.name`);
    if (Object.hasOwn(functions, n))
      throw bad(`'${p}.function.name' repeats the tool '${n}'`, `${p}.function.name`);
    if (!none(f.strict) && typeof f.strict !== 'boolean')
      throw bad(`'${p}.function.strict' must be a boolean`, `${p}.function.strict`);
    const description = none(f.description) ? undefined : text(f.description, `${p}.function.description`);
    const where = `${p}.function.parameters`;
    let params: Obj | undefined;
    if (!none(f.parameters)) {
      if (!isObj(f.parameters) || f.parameters.type !== 'object')
        throw bad(`'${where}' must be a JSON schema of type object`, where);
      params = grammarSchema(f.parameters, where, where);
    }
    functions[n] = { ...(description !== undefined ? { description } : {}), ...(params ? { params } : {}) };
  });
  return functions;
}

/**
 * OpenAI's `tools`, `tool_choice` and `parallel_tool_calls` (Ollama's `tools` alone: `auto`,
 * parallel): the tools the chat may call, none when it may call none (`none`, or no tools).
 */
export function toolsOf(body: Obj): ToolSet | undefined {
  const functions = declared(body.tools);
  const names = Object.keys(functions);
  const choice = body.tool_choice;
  const parallel = body.parallel_tool_calls;
  if (!none(parallel) && typeof parallel !== 'boolean')
    throw bad("'parallel_tool_calls' must be a boolean", 'parallel_tool_calls');
  const maxCalls = parallel === false ? 1 : MAX_PARALLEL_CALLS;
  if (none(choice) || choice === 'auto')
    return names.length ? { functions, choice: 'auto', maxCalls } : undefined;
  if (choice === 'none') return undefined;
  if (names.length === 0)
    throw bad("'tool_choice' asks for a tool call, and 'tools' declares none", 'tool_choice');
  if (choice === 'required') return { functions, choice: 'required', maxCalls };
  const named =
    isObj(choice) && choice.type === 'function' && isObj(choice.function) ? choice.function.name : undefined;
  if (typeof named !== 'string')
    throw bad(
      `'tool_choice' must be "none", "auto", "required" or {"type": "function", "function": {"name"}}`,
      'tool_choice',
    );
  if (!Object.hasOwn(functions, named))
    throw bad(`'tool_choice' names '${named.slice(0, 64)}', not one of 'tools'`, 'tool_choice');
  return { functions: { [named]: functions[named]! }, choice: 'required', maxCalls };
}

/** A message as request.ts reads it, before the tool results are paired with their calls. */
export interface ReadMessage extends ChatMessage {
  /** A `tool` message: its call's id (OpenAI) or its tool's name (Ollama), either may be absent. */
  tool?: { callId?: string; name?: string };
  /** The ids of an assistant's calls (OpenAI's), in order. */
  callIds?: (string | undefined)[];
}

/** An assistant's `tool_calls`: OpenAI's (arguments a JSON string) or Ollama's (an object). */
export function readCalls(v: unknown, p: string): { calls: ToolCall[]; ids: (string | undefined)[] } {
  if (!Array.isArray(v)) throw bad(`'${p}' must be a list of tool calls`, p);
  const ids: (string | undefined)[] = [];
  const calls = v.map((c: unknown, k) => {
    const q = `${p}[${k}]`;
    if (!isObj(c) || !isObj(c.function)) throw bad(`'${q}' must be {"function": {"name", "arguments"}}`, q);
    ids.push(typeof c.id === 'string' ? c.id : undefined);
    const n = name(c.function.name, `${q}.function.name`);
    let args = c.function.arguments ?? {};
    if (typeof args === 'string')
      try {
        args = JSON.parse(args);
      } catch {
        throw bad(`'${q}.function.arguments' is not JSON`, `${q}.function.arguments`);
      }
    if (!isObj(args) || tooDeep(args))
      throw bad(
        `'${q}.function.arguments' must be a JSON object nested at most ${MAX_ARGUMENT_DEPTH} levels`,
        `${q}.function.arguments`,
      );
    return { name: n, arguments: args };
  });
  return { calls, ids };
}

/**
 * Each `tool` message given to the call it answers, in the assistant message before it: by its
 * call's id, else by its tool's name, else in order. A call without a result, or a result without
 * its call, is a 400 (OpenAI's API refuses them too).
 */
export function pairToolResults(list: ReadMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    if (m.tool)
      throw bad(
        `'messages[${i}]' is a tool message that does not follow an assistant message with tool_calls`,
        `messages[${i}]`,
      );
    if (!m.toolCalls?.length) {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    const calls = m.toolCalls.map((c) => ({ ...c, result: undefined as string | undefined }));
    let j = i + 1;
    for (; j < list.length && list[j]!.tool; j++) {
      const t = list[j]!.tool!;
      const open = (k: number) => calls[k]!.result === undefined;
      let k =
        t.callId !== undefined ? (m.callIds ?? []).findIndex((id, x) => id === t.callId && open(x)) : -1;
      if (k < 0 && t.callId === undefined && t.name !== undefined)
        k = calls.findIndex((c, x) => c.name === t.name && open(x));
      if (k < 0 && t.callId === undefined && t.name === undefined) k = calls.findIndex((_, x) => open(x));
      if (k < 0)
        throw bad(
          `'messages[${j}]' answers no open call of the tool_calls in messages[${i}] (by tool_call_id, else tool_name)`,
          `messages[${j}]`,
        );
      calls[k]!.result = list[j]!.content;
    }
    const missing = calls.findIndex((c) => c.result === undefined);
    if (missing >= 0)
      throw bad(
        `'messages[${i}].tool_calls[${missing}]' has no tool message with its result after it`,
        `messages[${i}].tool_calls`,
      );
    out.push({ role: 'assistant', content: m.content, toolCalls: calls });
    i = j - 1;
  }
  return out;
}

/** Characters a chat's messages and tools put in the prompt, for the size checks before tokenising. */
export function chatChars(messages: ChatMessage[], tools: ToolSet | undefined): number {
  let n = tools ? JSON.stringify(tools.functions).length : 0;
  for (const m of messages) {
    n += m.content.length;
    for (const c of m.toolCalls ?? []) n += JSON.stringify(c.arguments).length + (c.result?.length ?? 0);
  }
  return n;
}

/** The tools of a chat on either API: a grammar and tools are not both served (node-llama-cpp's). */
export function chatTools(body: Obj, s: Sampling, formatParam = 'response_format'): ToolSet | undefined {
  const tools = toolsOf(body);
  if (tools && s.jsonSchema)
    throw bad(
      `'${formatParam}' and tools are not served together: a tool call's arguments follow its schema already; leave one out (or tool_choice "none")`,
      formatParam,
    );
  return tools;
}

/** The calls of an answer in OpenAI's shape: an id each, the arguments as a JSON string. */
export const openAiCalls = (calls: ToolCall[]) =>
  calls.map((c) => ({
    id: `call_${randomBytes(12).toString('base64url')}`,
    type: 'function' as const,
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));

/** A message's calls in Ollama's shape (the arguments as an object), or nothing. */
export const ollamaCalls = (calls: ToolCall[] | undefined) =>
  calls ? { tool_calls: calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) } : {};
