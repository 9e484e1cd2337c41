/**
 * A rag stack on the real engine for an end-to-end test (test/rag/e2e, test/rag/purge,
 * test/clients/python-openai-rag): moduleE2E with the four packages of stackSources under names
 * made from `tag`, rag installed (the other three come as what it uses) and all four removed after
 * the tests. Apart from rag-stack.ts, which the rag benchmark runs outside vitest.
 */
import { type ModuleE2E, moduleE2E } from './module-e2e.js';
import { type StackNames, stackNames, stackSources } from './rag-stack.js';

export function ragStackE2E(
  prefix: string,
  tag: string,
  sources: Parameters<typeof stackSources>[2] = {},
): { names: StackNames; e: ModuleE2E } {
  const names = stackNames(tag);
  const e = moduleE2E({
    prefix,
    install: [names.rag],
    remove: [names.rag, names.llm, names.vectors, names.embeddings],
    timeoutMs: 900_000,
    sources: (work) => stackSources(work, names, sources),
  });
  return { names, e };
}
