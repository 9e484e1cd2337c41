/**
 * A JSON string with a `minLength` or `maxLength` in node-llama-cpp's grammars, written in ASCII
 * (any other character as a `\uXXXX` escape), so that the grammar's count of its characters is
 * the count JavaScript makes.
 *
 * The grammar counts a string's characters as llama.cpp decodes the bytes generated, and leniently:
 * a byte token of the tiny llama (`<0xF0>`) followed by others made one "character" that
 * JavaScript decodes into several (U+FFFD, then the rest). node-llama-cpp's own check of a
 * function call (validateObjectAgainstGbnfSchema, after the call is generated) counts UTF-16 units,
 * as JavaScript's validators do, and threw out a call the grammar had allowed (4 characters, 7
 * units): a 500 (test/llm/tools.test.ts). Printable ASCII and escapes are one unit each, for
 * both. A string without bounds keeps node-llama-cpp's own grammar (any character).
 *
 * node-llama-cpp exports no way to change this terminal, so its prototype is patched here, once,
 * in the copy node-llama-cpp itself imports (the same file in the repository and in the image's
 * bundle); a response_format's grammar is built from it too.
 */
import { GbnfString } from '../../../node_modules/node-llama-cpp/dist/utils/gbnfJson/terminals/GbnfString.js';

/** Printable ASCII but `"` and `\`, or an escape: node-llama-cpp's escapes, as they are. */
export const BOUNDED_CHAR = '( [ !#-[\\]-~] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4} )';

const original = GbnfString.prototype.getGrammar;
GbnfString.prototype.getGrammar = function getGrammar(this: GbnfString, generator) {
  if ((this.minLength === 0 && this.maxLength === undefined) || this.maxLength === 0)
    return original.call(this, generator);
  return `"\\"" ${BOUNDED_CHAR}{${this.minLength},${this.maxLength ?? ''}} "\\""`;
};
