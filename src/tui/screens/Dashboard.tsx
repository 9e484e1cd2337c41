import os from 'node:os';
import { Box, type DOMElement, measureElement, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { encryptionLine, recoveryKeyNoteLine } from '../../present/encryption.js';
import { escapeLine } from '../../present/escape.js';
import { egressLine, exposureCount, listenerNote, systemLine } from '../../present/host.js';
import { bytes as formatBytes, duration as formatDuration } from '../../present/units.js';
import { type FirstRead, readDashboard } from '../dashboard-data.js';
import { type ScreenProps, SPARE_ROWS } from '../screen.js';
import type { Maybe } from '../sources.js';
import { useTheme } from '../theme.js';
import { usePoll } from '../usePoll.js';

function Row(props: { label: string; children: React.ReactNode }) {
  const { plain } = useTheme();
  return (
    <Box flexShrink={0}>
      <Box width={LABEL} flexShrink={0}>
        <Text bold={!plain}>{props.label}</Text>
      </Box>
      <Box flexGrow={1}>{props.children}</Box>
    </Box>
  );
}

function Unavailable({ reason }: { reason: string }) {
  const { plain } = useTheme();
  return <Text dimColor={!plain}>{escapeLine(reason)}</Text>;
}

function maybe<T>(m: Maybe<T> | undefined, show: (v: T) => React.ReactNode) {
  if (!m) return <Text>...</Text>;
  return m.available ? show(m.value) : <Unavailable reason={m.reason} />;
}

/** The Services row's height: the rest of the list is on the Services screen. */
const SERVICE_LINES = 4;
/** The label column of each row. */
const LABEL = 11;

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
  useInput((input, key) => {
    if (input === 'r') data.refresh();
    if (input === 'j' || key.downArrow) setScroll(Math.min(top + 1, maxScroll));
    if (input === 'k' || key.upArrow) setScroll(Math.max(top - 1, 0));
    if (input === 'g') setScroll(0);
    if (input === 'G') setScroll(maxScroll);
  });
  const d = data.value;
  // Each row is one line: text from outside (an error quoting a file, a host name, a GPU's name, a
  // process's note) is shown with its line breaks as `\x0a`, so it cannot paint a line of its own.
  if (!d)
    return (
      <Text>{data.error ? `Cannot read the host: ${escapeLine(data.error)}` : 'Reading the host...'}</Text>
    );
  const { host, exposure } = d;
  const used = host.memory.totalBytes - host.memory.availableBytes;
  const exposed = exposure.listeners;
  const note = d.encryption ? recoveryKeyNoteLine(d.encryption) : undefined;
  const serviceLines =
    d.services?.available && d.services.value.length ? Math.min(SERVICE_LINES, d.services.value.length) : 1;
  // The rows above the listeners: Host, CPU, Memory, Disk, GPUs, Updates, the services, Data and
  // its key note (wrapped), System and Egress, Exposure. The listeners get what is left.
  const above =
    7 +
    serviceLines +
    (d.encryption ? 1 : 0) +
    (note ? Math.ceil(note.length / Math.max(1, width - LABEL)) : 0) +
    (d.facts ? 2 : 0);
  const left = Math.max(1, height - above);
  const room = exposed.length > left ? Math.max(0, left - 1) : left;
  // The OS and egress facts: '...' while being read, as any row (maybe).
  const facts = d.facts === 'reading' ? undefined : d.facts;
  const below = Math.max(0, contentRows - top - (view - 1));
  return (
    <Box flexDirection="column" height={view} overflow="hidden">
      <Box flexDirection="column" height={over ? view - 1 : view} overflow="hidden" flexShrink={0}>
        <Box ref={rowsBox} flexDirection="column" flexShrink={0} marginTop={-top}>
          <Row label="Host">
            <Text wrap="truncate">{`${escapeLine(host.hostname)}  ${escapeLine(host.kernel)}  up ${formatDuration(host.uptimeSeconds)}${
              d.setupDone ? '' : '  (not set up: press 5)'
            }`}</Text>
          </Row>
          {d.facts ? (
            <Row label="System">
              {maybe(facts, (f) => (
                <Text wrap="truncate">{systemLine(f.system)}</Text>
              ))}
            </Row>
          ) : null}
          <Row label="CPU">
            <Text wrap="truncate">{`${pct(d.busy, 1)} busy  ${host.cpu.cores} cores  load ${host.cpu.load
              .map((l) => l.toFixed(2))
              .join(' ')}  ${escapeLine(host.cpu.model)}`}</Text>
          </Row>
          <Row label="Memory">
            <Text>{`${formatBytes(used)} used of ${formatBytes(host.memory.totalBytes)} (${pct(used, host.memory.totalBytes)})`}</Text>
          </Row>
          <Row label="Disk">
            <Text wrap="truncate">{`${formatBytes(host.disk.freeBytes)} free of ${formatBytes(host.disk.totalBytes)} on ${escapeLine(host.disk.path)}`}</Text>
          </Row>
          <Row label="GPUs">
            {maybe(d.gpus, (g) => (
              <Text wrap="truncate">
                {g.length ? g.map((x) => escapeLine(`${x.name} (${x.detail})`)).join(', ') : 'none found'}
              </Text>
            ))}
          </Row>
          <Row label="Updates">
            {maybe(d.updates, (n) => (
              <Text>{n ? `${n} available (press 2)` : 'up to date'}</Text>
            ))}
          </Row>
          <Row label="Services">
            {maybe(d.services, (list) => (
              <Box flexDirection="column">
                {list.length === 0 ? <Text>none installed</Text> : null}
                {list.slice(0, list.length > SERVICE_LINES ? SERVICE_LINES - 1 : SERVICE_LINES).map((s) => (
                  <Text
                    key={s.name}
                    wrap="truncate"
                  >{`${escapeLine(s.name).padEnd(20)} ${escapeLine(s.state).padEnd(9)} ${
                    s.damaged
                      ? 'registration damaged: the fix on 3 Services'
                      : s.sandboxed
                        ? '[sandboxed]'
                        : '[NOT SANDBOXED]'
                  }${s.usedBy?.length ? `  used by ${escapeLine(s.usedBy.join(', '))}` : ''}`}</Text>
                ))}
                {list.length > SERVICE_LINES ? (
                  <Text>{`+${list.length - SERVICE_LINES + 1} more (press 3)`}</Text>
                ) : null}
              </Box>
            ))}
          </Row>
          {d.encryption ? (
            <Row label="Data">
              <Text wrap="truncate">{encryptionLine(d.encryption).replace(/^data partition:? ?/, '')}</Text>
            </Row>
          ) : null}
          {note ? (
            <Row label="Key">
              <Text wrap="wrap">{note}</Text>
            </Row>
          ) : null}
          {d.facts ? (
            <Row label="Egress">
              {maybe(facts, (f) => (
                <Text wrap="truncate">{egressLine(f.egress, width - LABEL)}</Text>
              ))}
            </Row>
          ) : null}
          <Row label="Exposure">
            <Text wrap="truncate">
              {`firewall ${
                exposure.firewall === 'blueprint'
                  ? `on (default deny${exposure.allowedPorts.length ? `, allows tcp ${exposure.allowedPorts.join(',')}` : ''})`
                  : exposure.firewall === 'other'
                    ? 'rules not managed by blueprint'
                    : 'NOT CONFIGURED'
              }; ${exposureCount(exposure, 'listen')}`}
            </Text>
          </Row>
          {exposed.slice(0, room).map((l) => (
            <Text
              key={`${l.proto}${l.address}${l.port}`}
              color={plain || !l.flagged ? undefined : 'yellow'}
              wrap="truncate"
            >
              {`           ${escapeLine(l.proto).padEnd(5)} ${escapeLine(`${l.address}:${l.port}`).padEnd(28)} ${escapeLine(
                listenerNote(l, exposure),
              )}`}
            </Text>
          ))}
          {exposed.length > room ? (
            <Text>{`           ... ${exposed.length - room} more: blueprint audit network`}</Text>
          ) : null}
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
