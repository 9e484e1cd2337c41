export { SCREENS, type ScreenName, type ScreenProps } from './screen.js';

import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { type ComponentType, lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { DETAIL_BACK } from '../present/back-key.js';
import type { FirstRead } from './dashboard-data.js';
import { fullSpeed } from './runtime.js';
import { SCREENS, type ScreenName, type ScreenProps, SPARE_ROWS } from './screen.js';
import { Dashboard } from './screens/Dashboard.js';
import { Help } from './screens/Help.js';
import type { Sources } from './sources.js';
import { type Theme, ThemeContext } from './theme.js';

const TITLES: Record<ScreenName, string> = {
  dashboard: 'Dashboard',
  packages: 'Packages',
  services: 'Services',
  keys: 'Keys',
  setup: 'Setup',
  outbound: 'Outbound',
  system: 'System',
};

/**
 * The other screens are loaded on their first visit (issue 20): the console opens on the Dashboard,
 * and compiling the wizard, its schemas (zod) and the package and system screens before the first
 * frame was a fifth of its CPU time to the first paint.
 */
const onFirstVisit = <K extends string>(
  load: () => Promise<Record<K, ComponentType<ScreenProps>>>,
  name: K,
) => lazy(async () => ({ default: (await load())[name] }));
const Packages = onFirstVisit(() => import('./screens/Packages.js'), 'Packages');
const Services = onFirstVisit(() => import('./screens/Services.js'), 'Services');
const Keys = onFirstVisit(() => import('./screens/Keys.js'), 'Keys');
const Setup = onFirstVisit(() => import('./screens/Setup.js'), 'Setup');
const Outbound = onFirstVisit(() => import('./screens/Outbound.js'), 'Outbound');
const System = onFirstVisit(() => import('./screens/System.js'), 'System');

/** Exit code that tells the SSH login hook to continue into a shell. */
export const EXIT_TO_SHELL = 10;

export function App(props: {
  sources: Sources;
  theme: Theme;
  initial?: ScreenName;
  /** Opened by the SSH login hook: `!` leaves for a shell. */
  login?: boolean;
  /** Only the wizard (`blueprint setup`): no other screens. */
  wizardOnly?: boolean;
  /** The Dashboard's first read, started before Ink loaded (src/tui/index.ts). */
  dashboard?: FirstRead;
  onExit(code: number): void;
}) {
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [screen, setScreen] = useState<ScreenName>(props.initial ?? 'dashboard');
  const [help, setHelp] = useState(false);
  const [capture, setCapture] = useState(false);
  const [busy, setBusy] = useState(false);
  const [stopping, setStopping] = useState(false);
  const abort = useRef(new AbortController());
  const firstRead = useRef(props.dashboard);
  const takeFirst = useCallback(() => {
    const f = firstRead.current;
    firstRead.current = undefined;
    return f;
  }, []);
  const plain = props.theme.plain;

  const quit = useCallback(
    (code: number) => {
      props.onExit(code);
      exit();
    },
    [exit, props.onExit],
  );

  // Ctrl-C always gets through, even while a text field has the keyboard.
  useInput((input, key) => {
    if (!(key.ctrl && input === 'c')) return;
    if (busy) {
      abort.current.abort();
      setStopping(true);
    } else quit(0);
  });

  useInput(
    (input, key) => {
      if (help) {
        if (input === '?' || input === 'q' || key.escape) setHelp(false);
        return;
      }
      if (input === '?') return setHelp(true);
      if (props.login && input === '!') return quit(EXIT_TO_SHELL);
      if (input === 'q' || key.escape) {
        if (screen !== 'dashboard' && !props.wizardOnly) return setScreen('dashboard');
        return quit(0);
      }
      if (props.wizardOnly) return;
      const n = Number(input);
      if (n >= 1 && n <= SCREENS.length) return setScreen(SCREENS[n - 1]!);
      if (key.tab) {
        const i = SCREENS.indexOf(screen);
        setScreen(SCREENS[(i + (key.shift ? SCREENS.length - 1 : 1)) % SCREENS.length]!);
      }
    },
    { isActive: !capture || help },
  );

  // An operation runs with V8's optimising compilers (the console waits without them: runtime.ts).
  useEffect(() => (busy ? fullSpeed() : undefined), [busy]);

  // Stopping finishes once the operation reports it is no longer busy.
  useEffect(() => {
    if (stopping && !busy) quit(130);
  }, [stopping, busy, quit]);

  const width = Math.max(40, columns);
  const bodyHeight = Math.max(5, rows - 2 - SPARE_ROWS);
  const screenProps: ScreenProps = {
    sources: props.sources,
    width: width - 2,
    height: bodyHeight,
    setCapture,
    setBusy,
    signal: abort.current.signal,
    onLeave: () => (props.wizardOnly ? quit(0) : setScreen('dashboard')),
    ...(props.wizardOnly ? { onDone: (code?: number) => quit(code ?? 0) } : {}),
  };
  const named = SCREENS.map((s, i) =>
    s === screen ? `[${i + 1} ${TITLES[s]}]` : ` ${i + 1} ${TITLES[s]} `,
  ).join('');
  // Narrower than the seven names (a 40-column serial line): the others by number, the open one by
  // name; cut, the line lost the open screen from 4 Keys on (QA25).
  const numbered = SCREENS.map((s, i) => (s === screen ? `[${i + 1} ${TITLES[s]}]` : ` ${i + 1} `)).join('');
  const tabs = props.wizardOnly ? 'Setup' : named.length <= width ? named : numbered;
  const hints = [
    // A field with the keyboard takes '?' as text (a wizard step): the key is not offered there (QA14).
    ...(capture && !help ? [] : ['? help']),
    capture ? DETAIL_BACK : 'q back',
    ...(props.login ? ['! shell'] : []),
    ...(busy ? ['Ctrl-C stop'] : ['Ctrl-C quit']),
  ].join('  ');
  return (
    <ThemeContext.Provider value={props.theme}>
      <Box flexDirection="column" width={width} height={rows}>
        {/* The first and last rows never give way to a screen taller than the terminal: squeezed,
            they were drawn over its rows (QA14: a 40x12 serial line). */}
        <Box flexShrink={0}>
          <Text bold={!plain} color={plain ? undefined : 'cyan'} wrap="truncate">
            {/* 80 columns hold the seven tabs but not the name as well: then the tabs alone (QA8). */}
            {`BlueprintOS  ${tabs}`.length <= width ? `BlueprintOS  ${tabs}` : tabs}
          </Text>
        </Box>
        <Box flexDirection="column" flexGrow={1} paddingX={1}>
          {help ? (
            <Help screen={screen} login={Boolean(props.login)} width={width - 2} height={bodyHeight} />
          ) : (
            <Suspense fallback={<Text>Loading...</Text>}>
              {screen === 'dashboard' ? <Dashboard {...screenProps} takeFirst={takeFirst} /> : null}
              {screen === 'packages' ? <Packages {...screenProps} /> : null}
              {screen === 'services' ? <Services {...screenProps} /> : null}
              {screen === 'keys' ? <Keys {...screenProps} /> : null}
              {screen === 'setup' ? <Setup {...screenProps} /> : null}
              {screen === 'outbound' ? <Outbound {...screenProps} /> : null}
              {screen === 'system' ? <System {...screenProps} /> : null}
            </Suspense>
          )}
        </Box>
        <Box flexShrink={0}>
          <Text dimColor={!plain} wrap="truncate">
            {stopping ? 'Stopping after the current step...' : hints}
          </Text>
        </Box>
      </Box>
    </ThemeContext.Provider>
  );
}
