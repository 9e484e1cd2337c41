/**
 * The checks on a request body of the llm service's OpenAI-compatible API: each bad field is a 400
 * naming it (`param`, as OpenAI's errors do), before the request waits for a slot.
 */
import { HttpError, hasLoneSurrogate } from '../../kit/server/index.js';
import type { ChatMessage, Sampling } from './engine.js';

export type Obj = Record<string, unknown>;
export const bad = (message: string, param?: string) => new HttpError(400, message, param);

export function text(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad(`'${param}' must be a string`, param);
  if (hasLoneSurrogate(v)) throw bad(`'${param}' contains a lone surrogate: send valid Unicode`, param);
  return v;
}

export function num(body: Obj, key: string, min: number, max: number, int = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v)))
    throw bad(`'${key}' must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}`, key);
  return v;
}

export function sampling(body: Obj, cap: number): Sampling {
  const stop = body.stop;
  const stops =
    stop === undefined || stop === null
      ? []
      : typeof stop === 'string'
        ? [stop]
        : Array.isArray(stop) && stop.length <= 4
          ? stop.map((s, i) => text(s, `stop[${i}]`))
          : (() => {
              throw bad("'stop' must be a string or an array of at most 4 strings", 'stop');
            })();
  if (stops.some((s) => s.length === 0)) throw bad("'stop' strings must not be empty", 'stop');
  const maxTokens = num(body, 'max_completion_tokens', 1, cap, true) ?? num(body, 'max_tokens', 1, cap, true);
  let jsonSchema: Obj | undefined;
  const rf = body.response_format as Obj | undefined;
  if (rf !== undefined && rf !== null) {
    if (typeof rf !== 'object' || Array.isArray(rf))
      throw bad("'response_format' must be an object", 'response_format');
    if (rf.type === 'json_schema') {
      const js = rf.json_schema as Obj | undefined;
      if (!js || typeof js !== 'object' || typeof js.schema !== 'object' || js.schema === null)
        throw bad("'response_format.json_schema.schema' must be a JSON schema object", 'response_format');
      jsonSchema = js.schema as Obj;
    } else if (rf.type === 'json_object') {
      jsonSchema = { type: 'object', additionalProperties: true };
    } else if (rf.type !== 'text') {
      throw bad("'response_format.type' must be text, json_object or json_schema", 'response_format');
    }
  }
  return {
    maxTokens,
    // OpenAI's default is 1; 0 means greedy decoding.
    temperature: num(body, 'temperature', 0, 2) ?? 1,
    topP: num(body, 'top_p', 0, 1),
    seed: num(body, 'seed', 0, 2 ** 32 - 1, true),
    stop: stops,
    jsonSchema,
  };
}

export function messages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) throw bad("'messages' must be a non-empty array", 'messages');
  if (v.length > 1024) throw bad("'messages' has more than 1024 entries", 'messages');
  return v.map((m: Obj, i) => {
    const p = `messages[${i}]`;
    if (!m || typeof m !== 'object') throw bad(`'${p}' must be an object`, p);
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant')
      throw bad(`'${p}.role' must be system, developer, user or assistant`, `${p}.role`);
    // Content as a string or as text parts (what the SDKs send for multi-part messages).
    const c = m.content;
    const content = Array.isArray(c)
      ? c
          .map((part: Obj, j) => {
            if (part?.type !== 'text') throw bad(`'${p}.content[${j}]' must be a text part`, `${p}.content`);
            return text(part.text, `${p}.content[${j}].text`);
          })
          .join('')
      : text(c, `${p}.content`);
    return { role, content };
  });
}
