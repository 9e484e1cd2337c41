import { Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { codeUnitGraphemes } from '../graphemes.js';
import { moveSelection } from '../keys.js';
import { textWidth } from '../text-width.js';
import { useTheme } from '../theme.js';
import { wrapWords } from '../wrap-width.js';
import { fitCell } from './Table.js';

/**
 * `text` broken at spaces into lines of at most `width` terminal columns (a word longer than that is
 * cut), so a view knows exactly how many rows a text takes (the checklist's foot, a question's lines).
 * Text of one column a character is counted by characters here; any other (CJK, emoji, combining
 * accents) by columns and graphemes (wrapWords).
 */
export function wrapLines(text: string, width: number): string[] {
  if (!codeUnitGraphemes(text) || textWidth(text) !== text.length) return wrapWords(text, width);
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (next.length <= w) line = next;
    else {
      if (line) lines.push(line);
      let rest = word;
      while (rest.length > w) {
        lines.push(rest.slice(0, w));
        rest = rest.slice(w);
      }
      line = rest;
    }
  }
  lines.push(line);
  return lines;
}

export interface ScrollLine {
  text: string;
  /** A warning's colour (not in the plain theme). */
  color?: string;
}

/**
 * Text longer than its screen, shown `height` rows at a time: j/k and the arrows move a line,
 * PgUp/PgDn (and Space) a page, g/G to the top and the end, as the console's lists move (keys.ts
 * moveSelection). When it does not fit, a row above says '↑ N more' and one below '↓ N more',
 * blank when there is none that way, so the text never moves under them. Each line is one screen
 * row, cut to `width`: a caller wraps what must be read whole (wrapLines). Keys that do not scroll
 * go to `onOtherKey`.
 */
export function ScrollLines(props: {
  lines: (string | ScrollLine)[];
  height: number;
  width: number;
  isActive?: boolean;
  /** Where it opens: at its first line (the default) or its last (a log read back from its end). */
  start?: 'top' | 'end';
  /** A growing text (a log): at its end, it stays at the end as lines come; scrolled up, it stays put. */
  follow?: boolean;
  /** Told whether the last line is in sight (a log view says `following` or `paused`). */
  onAtEnd?(atEnd: boolean): void;
  onOtherKey?(input: string, key: { escape: boolean; return: boolean }): void;
}) {
  const { plain } = useTheme();
  const count = props.lines.length;
  const fits = count <= props.height;
  // Two rows for the markers when it does not fit; at least one line of text.
  const page = fits ? count : Math.max(1, props.height - 2);
  const last = Math.max(0, count - page);
  const [top, setTop] = useState(props.start === 'end' ? last : 0);
  // A new text (a terminal made bigger, the plan looked at again): still a place within it; one
  // followed and read at its end moves on to the new end.
  const lastBefore = useRef(last);
  const { follow } = props;
  useEffect(() => {
    const before = lastBefore.current;
    lastBefore.current = last;
    setTop((t) => (follow && t >= before ? last : Math.min(t, last)));
  }, [last, follow]);
  useInput(
    (input, key) => {
      // Space pages down too, as a pager does.
      const space = input === ' ';
      const moved = moveSelection(
        space ? '' : input,
        space ? { ...key, pageDown: true } : key,
        top,
        last + 1,
        page,
      );
      if (moved !== undefined) return setTop(moved);
      props.onOtherKey?.(input, key);
    },
    { isActive: props.isActive ?? true },
  );
  // Followed and at its end before these lines came: at the new end in this very render. Moved there
  // by the effect above only, one frame had the view short of its end, and a log's title said
  // `paused` for a frame at each line that arrived.
  const from = follow && top >= lastBefore.current ? last : Math.min(top, last);
  const below = count - from - page;
  const { onAtEnd } = props;
  const atEnd = from >= last;
  useEffect(() => onAtEnd?.(atEnd), [atEnd, onAtEnd]);
  return (
    <>
      {fits ? null : <Text dimColor={!plain}>{from > 0 ? `  ↑ ${from} more` : ' '}</Text>}
      {props.lines.slice(from, from + page).map((l, i) => {
        const line = typeof l === 'string' ? { text: l } : l;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a line's place in the whole text is its identity
          <Text key={from + i} wrap="truncate" {...(line.color && !plain ? { color: line.color } : {})}>
            {fitCell(line.text, props.width)}
          </Text>
        );
      })}
      {fits ? null : (
        <Text dimColor={!plain} wrap="truncate">
          {below > 0 ? `  ↓ ${below} more (j/k, PgUp/PgDn, g/G)` : ' '}
        </Text>
      )}
    </>
  );
}
