import { useEffect, useState } from 'react';

/**
 * Calls `load` now and every `ms`; keeps the last value and error. Never overlaps two loads.
 * `initial`: a value already read (the first load then waits `ms`).
 */
export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = [], initial?: T) {
  const [state, setState] = useState<{ value?: T; error?: string; tick: number }>(() =>
    initial === undefined ? { tick: 0 } : { value: initial, tick: 1 },
  );
  const [nonce, setNonce] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: load is re-created each render; deps says when it changes
  useEffect(() => {
    let live = true;
    let timer: NodeJS.Timeout | undefined;
    const run = async () => {
      try {
        const value = await load();
        if (live) setState((s) => ({ value, tick: s.tick + 1 }));
      } catch (err) {
        if (live) setState((s) => ({ ...s, error: (err as Error).message, tick: s.tick + 1 }));
      }
      if (live) timer = setTimeout(run, ms);
    };
    if (initial !== undefined && nonce === 0) timer = setTimeout(run, ms);
    else void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [ms, nonce, ...deps]);
  return { ...state, refresh: () => setNonce((n) => n + 1) };
}
