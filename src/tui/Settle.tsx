import { useInput } from 'ink';
import type { ReactNode } from 'react';

/** Tells `onInput` of every key: the console's idle memory collection counts from the last one. */
export function Settle(props: { onInput(): void; children?: ReactNode }) {
  useInput(() => props.onInput());
  return <>{props.children}</>;
}
