import { useCallback, useRef, useState } from 'react';

/** A growing list of output lines (progress, logs), each with a stable id for React keys. */
export function useLines(max = 500) {
  const next = useRef(0);
  const [lines, setLines] = useState<{ id: number; text: string }[]>([]);
  const add = useCallback(
    (text: string) => setLines((all) => [...all.slice(-(max - 1)), { id: next.current++, text }]),
    [max],
  );
  return [lines, add] as const;
}
