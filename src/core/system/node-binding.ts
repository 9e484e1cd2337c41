/**
 * One of Node's internal bindings (the C++ objects its own modules are written over), where the
 * executable's Node runs with `--expose-internals` (its execArgv, scripts/build.mjs); null anywhere
 * else (vitest, plain node), where callers use Node's public modules as before. Used where a public
 * module's load is most of a hot path's CPU (issue 20): node:crypto (src/core/pkg/crypto-lite.ts),
 * node:net's streams (src/core/services/pipe-socket.ts). Each caller checks the binding's shape.
 */
export function nodeBinding<T>(name: string): T | null {
  if (!process.execArgv.includes('--expose-internals')) return null;
  // internal/test/binding warns, once, that it is for tests: not for a user to see.
  const warn = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return (process.getBuiltinModule as (id: string) => { internalBinding(n: string): T })(
      'internal/test/binding',
    ).internalBinding(name);
  } catch {
    return null;
  } finally {
    process.emitWarning = warn;
  }
}
