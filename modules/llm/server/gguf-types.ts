/**
 * The GGUF's quantisation names (llama_ftype values, general.file_type): /info's and Ollama's, and
 * `blueprint model show`'s (src/core/models/describe.ts imports this table; this file imports nothing).
 */
export const GGML_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  32: 'BF16',
}; // llama_ftype values (general.file_type); others are shown as "type N"
