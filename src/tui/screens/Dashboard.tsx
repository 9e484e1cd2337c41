import os from 'node:os';
import { Box, type DOMElement, measureElement, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { encryptionLine, recoveryKeyNoteLine } from '../../present/encryption.js';
import { escapeLine } from '../../present/escape.js';
import { egressLine, exposureCount, listenerNote, systemLine } from '../../present/host.js';
import { bytes as formatBytes, duration as formatDuration } from '../../present/units.js';
import { wrapLines } from '../components/ScrollLines.js';
import { type FirstRead, readDashboard } from '../dashboard-data.js';
import { moveSelection } from '../keys.js';
import { type ScreenProps, SPARE_ROWS } from '../screen.js';
import type { Maybe, ServiceRow } from '../sources.js';
import { useTheme } from '../theme.js';
import { usePoll } from '../usePoll.js';
import { padColumns } from '../wrap-width.js';

/** One row: its label, then its value's lines (wrapped under the value's column), dim for a reason. */
interface Line {
  text: string;
  dim?: boolean;
  warn?: boolean;
}
interface RowLines {
  label: string;
  lines: Line[];
  key?: string;
}

/**
 * `text` wrapped at spaces to `width`, its continuation rows two further in (a service's or a
 * listener's next line starts at the value's column, the continuation shows it is not a new one).
 */
function hanging(text: string, width: number, line: Omit<Line, 'text'> = {}): Line[] {
  const [first = '', ...rest] = wrapLines(text, width);
  const more = rest.length ? wrapLines(rest.join(' '), Math.max(1, width - 2)).map((r) => `  ${r}`) : [];
  return [first, ...more].map((t) => ({ ...line, text: t }));
}

/** A value that may be unavailable (its reason, dim) or still being read ('...'). */
function maybe<T>(m: Maybe<T> | undefined, width: number, show: (v: T) => string): Line[] {
  if (!m) return [{ text: '...' }];
  return m.available ? hanging(show(m.value), width) : hanging(escapeLine(m.reason), width, { dim: true });
}

/** The Services row's height: the rest of the list is on the Services screen. */
const SERVICE_LINES = 4;
/** The label column of each row. */
const LABEL = 11;
/** Narrower values than this lay a service or a listener out unpadded (its columns would wrap). */
const COLUMNS_FROM = 60;

const pct = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 100)}%` : '?');

/**
 * `takeFirst`: the read the console started before its first frame (src/tui/index.ts), handed to
 * the first Dashboard only; a later one (back from another screen) reads afresh.
 */
export function Dashboard({
  sources,
  width,
  height,
  takeFirst,
}: ScreenProps & { takeFirst?: () => FirstRead | undefined }) {
  const { plain } = useTheme();
  const [first] = useState(() => takeFirst?.());
  const lastCpu = useRef(first?.value?.cpus ?? os.cpus());
  const pending = useRef(first?.value ? undefined : first?.pending);
  const data = usePoll(
    async () => {
      const early = pending.current && (await pending.current);
      pending.current = undefined;
      const d = early ?? (await readDashboard(sources, lastCpu.current));
      lastCpu.current = d.cpus;
      return d;
    },
    2000,
    [],
    first?.value,
  );
  // A screen shorter than the rows (a 40x12 serial line) shows them from `scroll` on, with what
  // is out of sight said; j/k and the arrows scroll. Squeezed instead, rows were drawn over each
  // other (QA25: `Diskry`, Disk painted over Memory).
  const view = height + SPARE_ROWS;
  const rowsBox = useRef<DOMElement>(null);
  const [contentRows, setContentRows] = useState(0);
  const [scroll, setScroll] = useState(0);
  useEffect(() => {
    if (!rowsBox.current) return;
    const h = measureElement(rowsBox.current).height;
    if (h !== contentRows) setContentRows(h);
  });
  const over = contentRows > view;
  const maxScroll = over ? contentRows - (view - 1) : 0;
  const top = Math.min(scroll, maxScroll);
  // The lists' moves (keys.ts): PgUp/PgDn a page and a held j (`jjj` in one read) too, as help says.
  useInput((input, key) => {
    if (input === 'r') return data.refresh();
    const moved = moveSelection(input, key, top, maxScroll + 1, Math.max(1, view - 2));
    if (moved !== undefined) setScroll(moved);
  });
  const d = data.value;
  // Each row is one line: text from outside (an error quoting a file, a host name, a GPU's name, a
  // process's note) is shown with its line breaks as `\x0a`, so it cannot paint a line of its own.
  if (!d)
    return (
      <Text>{data.error ? `Cannot read the host: ${escapeLine(data.error)}` : 'Reading the host...'}</Text>
    );
  const { host, exposure } = d;
  // Each row wrapped under its label, every line counted: cut at the screen's edge, a 40-column
  // console lost most values (the kernel, the CPU's model, a service's badge, the firewall's ports).
  const w = Math.max(1, width - LABEL);
  const columns = w >= COLUMNS_FROM;
  const used = host.memory.totalBytes - host.memory.availableBytes;
  const exposed = exposure.listeners;
  const note = d.encryption ? recoveryKeyNoteLine(d.encryption) : undefined;
  // The OS and egress facts: '...' while being read, as any row (maybe).
  const facts = d.facts === 'reading' ? undefined : d.facts;
  const serviceLines = (list: ServiceRow[]): Line[] => {
    if (!list.length) return [{ text: 'none installed' }];
    const shown = list.slice(0, list.length > SERVICE_LINES ? SERVICE_LINES - 1 : SERVICE_LINES);
    return [
      ...shown.flatMap((s) => {
        const badge = s.damaged
          ? 'registration damaged: the fix on 3 Services'
          : s.sandboxed
            ? '[sandboxed]'
            : '[NOT SANDBOXED]';
        const users = s.usedBy?.length ? `  used by ${escapeLine(s.usedBy.join(', '))}` : '';
        const name = escapeLine(s.name);
        const state = escapeLine(s.state);
        return hanging(
          columns
            ? `${padColumns(name, 20)} ${padColumns(state, 9)} ${badge}${users}`
            : `${name}  ${state}  ${badge}${users}`,
          w,
        );
      }),
      ...(list.length > SERVICE_LINES
        ? hanging(`+${list.length - SERVICE_LINES + 1} more (press 3)`, w)
        : []),
    ];
  };
  const firewall =
    exposure.firewall === 'blueprint'
      ? `on (default deny${exposure.allowedPorts.length ? `, allows tcp ${exposure.allowedPorts.join(',')}` : ''})`
      : exposure.firewall === 'other'
        ? 'rules not managed by blueprint'
        : 'NOT CONFIGURED';
  const rows: RowLines[] = [
    {
      label: 'Host',
      lines: hanging(
        `${escapeLine(host.hostname)}  ${escapeLine(host.kernel)}  up ${formatDuration(host.uptimeSeconds)}${
          d.setupDone ? '' : '  (not set up: press 5)'
        }`,
        w,
      ),
    },
    ...(d.facts ? [{ label: 'System', lines: maybe(facts, w, (f) => systemLine(f.system)) }] : []),
    {
      label: 'CPU',
      lines: hanging(
        `${pct(d.busy, 1)} busy  ${host.cpu.cores} cores  load ${host.cpu.load
          .map((l) => l.toFixed(2))
          .join(' ')}  ${escapeLine(host.cpu.model)}`,
        w,
      ),
    },
    {
      label: 'Memory',
      lines: hanging(
        `${formatBytes(used)} used of ${formatBytes(host.memory.totalBytes)} (${pct(used, host.memory.totalBytes)})`,
        w,
      ),
    },
    {
      label: 'Disk',
      lines: hanging(
        `${formatBytes(host.disk.freeBytes)} free of ${formatBytes(host.disk.totalBytes)} on ${escapeLine(host.disk.path)}`,
        w,
      ),
    },
    {
      label: 'GPUs',
      lines: maybe(d.gpus, w, (g) =>
        g.length ? g.map((x) => escapeLine(`${x.name} (${x.detail})`)).join(', ') : 'none found',
      ),
    },
    { label: 'Updates', lines: maybe(d.updates, w, (n) => (n ? `${n} available (press 2)` : 'up to date')) },
    {
      label: 'Services',
      lines: d.services?.available ? serviceLines(d.services.value) : maybe(d.services, w, () => ''),
    },
    ...(d.encryption
      ? [
          {
            label: 'Data',
            lines: hanging(encryptionLine(d.encryption).replace(/^data partition:? ?/, ''), w),
          },
        ]
      : []),
    ...(note ? [{ label: 'Key', lines: wrapLines(note, w).map((text) => ({ text })) }] : []),
    ...(d.facts ? [{ label: 'Egress', lines: maybe(facts, w, (f) => egressLine(f.egress)) }] : []),
    { label: 'Exposure', lines: hanging(`firewall ${firewall}; ${exposureCount(exposure, 'listen')}`, w) },
  ];
  // The listeners get the rows the others left (counted as wrapped), one saying how many more; on a
  // screen the other rows already overflow (40x12), a screenful, that j/k scroll to.
  const listener = (l: (typeof exposed)[number]) => {
    const where = escapeLine(`${l.address}:${l.port}`);
    const proto = escapeLine(l.proto);
    const why = escapeLine(listenerNote(l, exposure));
    return hanging(
      columns ? `${padColumns(proto, 5)} ${padColumns(where, 28)} ${why}` : `${proto} ${where}  ${why}`,
      w,
      {
        warn: l.flagged,
      },
    );
  };
  const above = rows.reduce((n, r) => n + r.lines.length, 0);
  let left = above >= height ? height : height - above;
  const listenerRows: RowLines[] = [];
  for (const [i, l] of exposed.entries()) {
    const lines = listener(l);
    const last = i === exposed.length - 1;
    if (lines.length > left - (last ? 0 : 1)) {
      listenerRows.push({
        label: '',
        key: 'more',
        lines: hanging(`... ${exposed.length - i} more: blueprint audit network`, w),
      });
      break;
    }
    listenerRows.push({ label: '', key: `${l.proto}${l.address}${l.port}`, lines });
    left -= lines.length;
  }
  const below = Math.max(0, contentRows - top - (view - 1));
  return (
    <Box flexDirection="column" height={view} overflow="hidden">
      <Box flexDirection="column" height={over ? view - 1 : view} overflow="hidden" flexShrink={0}>
        <Box ref={rowsBox} flexDirection="column" flexShrink={0} marginTop={-top}>
          {[...rows, ...listenerRows].map((r) => (
            <Box key={r.key ?? r.label} flexShrink={0}>
              <Box width={LABEL} flexShrink={0}>
                <Text bold={!plain}>{r.label}</Text>
              </Box>
              <Box flexDirection="column" flexGrow={1}>
                {r.lines.map((l, i) => (
                  <Text
                    // biome-ignore lint/suspicious/noArrayIndexKey: a line's place in its row is its identity
                    key={i}
                    dimColor={l.dim === true && !plain}
                    color={l.warn && !plain ? 'yellow' : undefined}
                    wrap="truncate"
                  >
                    {l.text}
                  </Text>
                ))}
              </Box>
            </Box>
          ))}
        </Box>
      </Box>
      {over ? (
        <Text dimColor={!plain} wrap="truncate">
          {`${top ? `↑ ${top} more  ` : ''}${below ? `↓ ${below} more  ` : ''}j/k scroll`}
        </Text>
      ) : null}
    </Box>
  );
}
