import { Text, useInput, usePaste } from 'ink';
import { useRef } from 'react';
import { escapeLine } from '../../present/escape.js';
import { useTheme } from '../theme.js';

/**
 * One line of text input. Pasted text arrives as one chunk and is kept whole (an SSH key line);
 * newlines in a paste are turned into spaces. Enter submits, Esc cancels.
 */
export function TextInput(props: {
  value: string;
  onChange(v: string): void;
  onSubmit?(v: string): void;
  onCancel?(): void;
  active?: boolean;
  placeholder?: string;
  /** A passphrase: shown as one * per character. */
  secret?: boolean;
}) {
  const { plain } = useTheme();
  // Keys can arrive faster than React re-renders: edit the latest value, not the rendered one.
  const latest = useRef(props.value);
  latest.current = props.value;
  const set = (v: string) => {
    latest.current = v;
    props.onChange(v);
  };
  useInput(
    (input, key) => {
      const value = latest.current;
      if (key.return) return props.onSubmit?.(value);
      if (key.escape) return props.onCancel?.();
      if (key.backspace || key.delete) return set(value.slice(0, -1));
      if (key.ctrl && input === 'u') return set('');
      if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.tab) return;
      // Scripted terminals send several keys in one read ("box-01\r"): replay them.
      let v = value;
      for (const ch of input) {
        if (ch === '\r' || ch === '\n') {
          set(v);
          return props.onSubmit?.(v);
        }
        if (ch === '\x15') v = '';
        else if (ch === '\x7f' || ch === '\b') v = v.slice(0, -1);
        else if (ch >= ' ') v += ch;
      }
      set(v);
    },
    { isActive: props.active !== false },
  );
  usePaste((text) => set(latest.current + text.replace(/[\r\n]+/g, ' ').trim()), {
    isActive: props.active !== false,
  });
  const empty = props.value === '';
  return (
    <Text>
      {empty && props.placeholder ? (
        <Text dimColor={!plain}>{props.placeholder}</Text>
      ) : props.secret ? (
        '*'.repeat([...props.value].length)
      ) : (
        escapeLine(props.value)
      )}
      <Text inverse={!plain}>{plain ? '_' : ' '}</Text>
    </Text>
  );
}
