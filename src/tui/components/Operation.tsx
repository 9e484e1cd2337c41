import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { errorBlock, escapeLine } from '../../present/escape.js';
import { shownHint } from '../../present/root-in-hints.js';
import { textWidth } from '../text-width.js';
import { useTheme } from '../theme.js';
import { useLines } from '../useLines.js';
import { ScrollLines, wrapLines } from './ScrollLines.js';

/**
 * Runs one long operation with its progress lines on screen. The screen stays responsive; Ctrl-C
 * is handled by the App, which aborts `signal` and waits for the operation to return.
 */
export function Operation(props: {
  title: string;
  run(progress: (line: string) => void): Promise<void>;
  setBusy(on: boolean): void;
  height: number;
  /** Columns of the screen's body: a line wider than this is wrapped and takes more rows. */
  width?: number;
  onClose(): void;
}) {
  const { plain } = useTheme();
  const [lines, addLine] = useLines();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string } | undefined>();
  const { run, setBusy } = props;
  useEffect(() => {
    setBusy(true);
    // The commands its lines name (`blueprint service start hello`) carry the console's --root, as
    // the CLI's do: pasted, they act on this box, not on / (root-in-hints.ts).
    run((line) => addLine(shownHint(line)))
      .then(
        () => setOutcome({ ok: true, message: 'Done.' }),
        (err: Error & { hint?: string }) =>
          // As the CLI prints an error (errorBlock): a further line of it is indented, so none of
          // it (a tool's output, a server's answer) can pass for the screen's own 'Done.' or hint.
          setOutcome({
            ok: false,
            message: `${errorBlock(shownHint(err.message))}${err.hint ? `\nhint: ${errorBlock(shownHint(err.hint))}` : ''}`,
          }),
      )
      .finally(() => setBusy(false));
  }, [run, setBusy, addLine]);
  // The outcome's rows (an error's message and hint, each wrapped at the width) come out of the
  // progress's room, so that the screen never holds more rows than the terminal; one while working.
  const outcomeRows = outcome ? rowsOf(outcome.message.split('\n'), props.width) : 1;
  const room = Math.max(1, props.height - 3 - outcomeRows);
  // Once it is over, the whole progress can be read back (j/k, PgUp/PgDn, g/G), newest first: while
  // it ran the older lines gave way. One that fits closes on any key, as before.
  const done = outcome ? progressRows(lines, props.width) : [];
  const scrolls = done.length > room;
  useInput(
    () => {
      if (outcome) props.onClose();
    },
    { isActive: !scrolls },
  );
  return (
    <Box flexDirection="column">
      <Text bold={!plain}>{escapeLine(props.title)}</Text>
      {scrolls ? (
        <ScrollLines
          lines={done}
          height={room}
          width={props.width ?? 80}
          start="end"
          onOtherKey={props.onClose}
        />
      ) : (
        lastRows(lines, room, props.width).map((l) => (
          <Text key={l.id} wrap="hard">
            {l.shown}
          </Text>
        ))
      )}
      {outcome ? (
        <>
          <Text color={plain ? undefined : outcome.ok ? 'green' : 'red'}>{outcome.message}</Text>
          <Text>
            {scrolls ? 'Press any key. (j/k, PgUp/PgDn, g/G: the progress before)' : 'Press any key.'}
          </Text>
        </>
      ) : (
        <Text>Working...</Text>
      )}
    </Box>
  );
}

/**
 * The rows `lines` take at `width` columns, each wrapped at its spaces as Ink wraps a text (at least
 * one row each; a line of wide characters by its width).
 */
function rowsOf(lines: string[], width = 0): number {
  if (width <= 0) return lines.length;
  return lines.reduce(
    (n, l) => n + Math.max(1, wrapLines(l, width).length, Math.ceil(textWidth(l) / width)),
    0,
  );
}

/** Every progress line as the screen shows it, each cut into rows of `width` columns. */
function progressRows(lines: { text: string }[], width = 0): string[] {
  return lines.flatMap((l) => {
    const shown = `  ${escapeLine(l.text)}`;
    // Cut at the screen's edge, as the progress is drawn while it runs (wrap="hard"), indent kept.
    if (width <= 0 || shown.length <= width) return [shown];
    return Array.from({ length: Math.ceil(shown.length / width) }, (_, i) =>
      shown.slice(i * width, (i + 1) * width),
    );
  });
}

/**
 * The newest lines that fit in `rows` rows of `width` columns, each whole: a line wider than the
 * screen is wrapped at the screen's edge (hard: so its rows are counted exactly), not cut, as a warning's last words are often the command that does the rest
 * (`podman rmi …`). Older lines give way; the newest is always shown.
 */
function lastRows(lines: { id: number; text: string }[], rows: number, width = 0) {
  const out: { id: number; shown: string }[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const shown = `  ${escapeLine(lines[i]!.text)}`;
    const need = width > 0 ? Math.max(1, Math.ceil(textWidth(shown) / width)) : 1;
    if (out.length && used + need > rows) break;
    used += need;
    out.unshift({ id: lines[i]!.id, shown });
  }
  return out;
}
