import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Draft, SetupHold, SetupPlan, WizardEnv } from '../../app/index.js';
import { draftToAnswers, initialDraft, nextStep, STEPS } from '../../app/wizard.js';
import { byWizardStep, formatChange, setupNextSteps } from '../../present/setup.js';
import { Operation } from '../components/Operation.js';
import { wrapLines } from '../components/ScrollLines.js';
import { TextInput } from '../components/TextInput.js';
import { shownLine } from '../escaped-sources.js';
import { keyRows, WIZARD_KEY_LINE } from '../keys.js';
import type { ScreenProps } from '../screen.js';
import { useTheme } from '../theme.js';
import { SetupCatalog } from './SetupCatalog.js';
import { SetupHelp } from './SetupHelp.js';
import { SetupRecoveryKey } from './SetupRecoveryKey.js';
import { SetupSummary } from './SetupSummary.js';

const SET_UP_ALREADY = 'This box is set up already: answers here update it.';
/** How soon after a y/n letter a bare Enter still belongs to it. */
const LETTER_ENTER_MS = 1000;

type Phase =
  | { kind: 'step'; index: number }
  | { kind: 'summary'; plan: SetupPlan }
  | { kind: 'apply'; plan: SetupPlan }
  | { kind: 'encrypt'; plan: SetupPlan }
  | { kind: 'recovery'; key: string; plan: SetupPlan };

/** The first-boot wizard: one question per step, a summary of every change, then apply. */
export function Setup(props: ScreenProps) {
  const { plain } = useTheme();
  const { sources, setCapture } = props;
  const [env, setEnv] = useState<WizardEnv | undefined>();
  const [draft, setDraft] = useState<Draft | undefined>();
  const [phase, setPhase] = useState<Phase>({ kind: 'step', index: 0 });
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [checking, setChecking] = useState(false);
  const [wasDone, setWasDone] = useState(false);
  // The wizard's help (Ctrl-G): shown over the step, which stays mounted, its field's text kept.
  const [help, setHelp] = useState(false);
  const [box, setBox] = useState({ memoryBytes: 0, freeDiskBytes: 0 });
  // The catalog is read while the first steps are answered (each package is read once for its
  // sizes); the step before the checklist waits for it, so the steps never change under the admin.
  const catalogRead = useRef<Promise<Pick<WizardEnv, 'catalog' | 'catalogProblem'>>>(Promise.resolve({}));
  // When a y/n letter answered a step: people type the letter and then Enter, and that Enter must
  // not also answer the next step (it skipped the repository URL unseen on the image). A bare Enter
  // this soon after, with no other key between, is taken as part of the letter's answer.
  const letterAt = useRef(0);
  const echoOfLetter = () => {
    const soon = Date.now() - letterAt.current < LETTER_ENTER_MS;
    letterAt.current = 0;
    return soon;
  };

  useEffect(() => {
    catalogRead.current = (sources.catalog?.() ?? Promise.resolve(undefined)).then(
      (catalog) => (catalog ? { catalog } : {}),
      (err: Error) => ({ catalogProblem: err.message }),
    );
    void (async () => {
      const [host, gpus, done, encryption] = await Promise.all([
        sources.host(),
        sources.gpus(),
        sources.setupDone(),
        // No blank data partition (today's image, a dev box): no encryption steps (issue 23).
        sources.encryptionTarget?.().catch(() => undefined),
      ]);
      const gpuSummary = gpus.available
        ? gpus.value.length
          ? gpus.value.map((g) => `${g.vendor} ${g.name}: ${g.detail}`)
          : ['No GPU found: modules run on the CPU.']
        : [`${gpus.reason}.`];
      setBox({ memoryBytes: host.memory.totalBytes, freeDiskBytes: host.disk.freeBytes });
      setEnv({
        cwd: process.cwd(),
        gpuSummary,
        ...(encryption ? { encryption } : {}),
      });
      const d = initialDraft(host.hostname);
      setDraft(d);
      setValue(STEPS[0]!.initial?.(d) ?? '');
      setWasDone(done);
    })();
  }, [sources]);

  const step = phase.kind === 'step' ? STEPS[phase.index] : undefined;
  // The wizard owns the keyboard: Esc steps back (and leaves from the first step), q is a letter.
  useEffect(() => {
    setCapture(true);
    return () => setCapture(false);
  }, [setCapture]);

  const goTo = (index: number, d: Draft) => {
    setError('');
    if (index < 0) return props.onLeave();
    if (index >= STEPS.length) return void summarize(d);
    setPhase({ kind: 'step', index });
    setValue(STEPS[index]!.initial?.(d) ?? '');
  };

  const summarize = async (d: Draft) => {
    setChecking(true);
    try {
      setPhase({ kind: 'summary', plan: await sources.planSetup(draftToAnswers(d)) });
    } catch (err) {
      // Named by the step that asked, not by a field of an answers file (`modules.0.name`).
      setError(byWizardStep((err as Error).message));
    } finally {
      setChecking(false);
    }
  };

  const submit = async (v: string) => {
    if (!step || !draft || !env || checking) return;
    setChecking(true);
    const r = await step.accept(v, draft, env).finally(() => setChecking(false));
    if (typeof r === 'string') return setError(r);
    const withCatalog = { ...env, ...(await catalogRead.current) };
    setEnv(withCatalog);
    setDraft(r);
    goTo(nextStep(STEPS.indexOf(step), r, withCatalog), r);
  };

  useInput(
    (input, key) => {
      if (!draft || !env) return;
      // Ctrl-G on every step and the summary, fields included (they take no control keys); why that
      // key: WIZARD_HELP in keys.ts.
      if (key.ctrl && input === 'g') {
        letterAt.current = 0;
        return setHelp((h) => !h);
      }
      if (help) {
        if (key.escape || input === 'q' || input === '?') setHelp(false);
        return; // the step answers no key while its help shows
      }
      if (phase.kind === 'summary') {
        if (input === 'y' && !phase.plan.blocked.length) {
          // The data partition first: its recovery key is shown and acknowledged before apply
          // writes setup's marker (which ends the wizard on the image).
          const choice = draftToAnswers(draft).encryption;
          const encrypt = choice && choice.mode !== 'none' && sources.encrypt;
          setPhase({ kind: encrypt ? 'encrypt' : 'apply', plan: phase.plan });
        }
        if (key.escape || input === 'n') goTo(nextStep(STEPS.length, draft, env, -1), draft);
        return;
      }
      if (!step || step.kind === 'checklist') return; // SetupCatalog reads its own keys
      if (step.kind === 'text') {
        if (!key.return) letterAt.current = 0; // another key first: a later Enter is meant
        return;
      }
      if (key.escape) return goTo(nextStep(STEPS.indexOf(step), draft, env, -1), draft);
      // "y" and Enter may come in one chunk (fast typing, a paste): one answer.
      const letter = /^([yn])\r?$/i.exec(input)?.[1];
      if (step.kind === 'confirm' && letter) {
        letterAt.current = Date.now();
        void submit(letter.toLowerCase());
        return;
      }
      if (step.kind === 'info' && key.return && !echoOfLetter()) void submit('');
    },
    { isActive: phase.kind === 'step' || phase.kind === 'summary' },
  );

  // The box held from the encryption to the apply (sources.holdSetup), so that no other console's
  // setup lands on this one's encryption while its recovery key is read (QA18).
  const hold = useRef<SetupHold | undefined>(undefined);
  useEffect(() => () => void hold.current?.release(), []);
  // Refused because the box was set up meanwhile (from the other console): the wizard ends with
  // that refusal's exit code, never applying, and never back at a step to answer it again.
  const lost = useRef<number | undefined>(undefined);
  const applyRefused = useRef(false);
  const noteLost = useCallback((err: unknown): never => {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'set-up-meanwhile') lost.current = e.exitCode ?? 5;
    throw err;
  }, []);
  const run = useCallback(
    async (progress: (l: string) => void) => {
      if (phase.kind !== 'apply') return;
      // Without encryption the box is taken here: a wizard begun on a box not set up never applies
      // once it is, even with a plan made again since (which takes the box as set up).
      applyRefused.current = false;
      const held =
        hold.current ??
        (await sources.holdSetup?.(phase.plan, !wasDone).catch((err: unknown) => {
          // Another setup holds the box (the other console applying, or showing its key): nothing
          // was written; back to the last step to try again, not ended as if set up.
          applyRefused.current = (err as { code?: string }).code === 'locked';
          return noteLost(err);
        }));
      hold.current = undefined;
      const r = await sources
        .applySetup(phase.plan, (c) => progress(formatChange(c)), props.signal, held)
        .catch(noteLost);
      progress(`${r.changed.length} change(s) written under ${phase.plan.root}.`);
      const addresses = draft?.ssh
        ? await (sources.addresses?.() ?? Promise.resolve([])).catch(() => [])
        : [];
      if (draft)
        for (const l of setupNextSteps(
          { ...draft, consolePassword: Boolean(draft.consolePasswordHash) },
          addresses,
        ))
          progress(l);
    },
    [phase, sources, props.signal, draft, wasDone, noteLost],
  );
  const recovery = useRef<string | undefined>(undefined);
  const encryptFailed = useRef(false);
  // A recovery key made is the one copy until its screen is read: the operation stays busy until
  // then, so a Ctrl-C during the encryption stops after the key was shown, not before (QA14).
  const { setBusy } = props;
  const encryptBusy = useCallback((on: boolean) => setBusy(on || recovery.current !== undefined), [setBusy]);
  const encrypt = useCallback(
    async (progress: (l: string) => void) => {
      const choice = draft ? draftToAnswers(draft).encryption : undefined;
      if (phase.kind !== 'encrypt' || !choice || !sources.encrypt) return;
      progress(`Encrypting the data partition (${choice.mode === 'tpm' ? 'TPM' : 'passphrase'})...`);
      encryptFailed.current = true; // until it returns: a failure must not go on to apply
      // The box is taken first, the marker judged: another console setting it up, or done with it,
      // is said before anything is encrypted.
      if (sources.holdSetup && !hold.current)
        hold.current = await sources.holdSetup(phase.plan, !wasDone).catch(noteLost);
      const o = await sources.encrypt(choice).catch(async (err: unknown) => {
        await hold.current?.release();
        hold.current = undefined;
        throw err;
      });
      encryptFailed.current = false;
      recovery.current = o.recoveryKey;
      progress(
        o.alreadyEncrypted ? 'The data partition was encrypted already.' : 'Data partition encrypted.',
      );
    },
    [phase, sources, draft, wasDone, noteLost],
  );
  // Applied: the standalone wizard quits; the console's Setup screen leaves for the Dashboard, which
  // shows the box as set up now (back at step 1 it looked as if nothing had been written).
  const finish = () => (props.onDone ? props.onDone(lost.current) : props.onLeave());

  if (!draft || !env) return <Text>Reading the host...</Text>;
  if (phase.kind === 'recovery')
    return (
      <SetupRecoveryKey
        recoveryKey={phase.key}
        width={props.width}
        onAck={() => {
          // Stopped (Ctrl-C) since the encryption began: nothing of setup is applied; the box is let go.
          if (props.signal.aborted) {
            const held = hold.current;
            hold.current = undefined;
            void (held?.release() ?? Promise.resolve()).finally(() => setBusy(false));
          } else setPhase({ kind: 'apply', plan: phase.plan });
        }}
      />
    );
  if (phase.kind === 'encrypt') {
    const plan = phase.plan;
    return (
      <Operation
        title="Encrypting the data partition"
        run={encrypt}
        setBusy={encryptBusy}
        height={props.height}
        width={props.width}
        onClose={() => {
          const key = recovery.current;
          recovery.current = undefined;
          // Set up meanwhile from the other console: this wizard ends, its setup not applied.
          if (lost.current !== undefined) finish();
          // Failed: back to the last step shown; nothing of setup was written yet.
          else if (encryptFailed.current) goTo(nextStep(STEPS.length, draft, env, -1), draft);
          else if (key) setPhase({ kind: 'recovery', key, plan });
          else setPhase({ kind: 'apply', plan });
        }}
      />
    );
  }
  if (phase.kind === 'apply')
    return (
      <Operation
        title="Applying setup"
        run={run}
        setBusy={props.setBusy}
        height={props.height}
        width={props.width}
        onClose={() =>
          applyRefused.current ? goTo(nextStep(STEPS.length, draft, env, -1), draft) : finish()
        }
      />
    );
  if (phase.kind === 'summary' && help)
    return <SetupHelp title="Summary" kind="summary" width={props.width} height={props.height} />;
  if (phase.kind === 'summary')
    return <SetupSummary plan={phase.plan} draft={draft} width={props.width} height={props.height} />;
  const s = step!;
  const number = STEPS.filter((x, i) => i <= phase.index && !x.skip?.(draft, env)).length;
  const total = STEPS.filter((x) => !x.skip?.(draft, env)).length;
  return (
    <>
      {help ? (
        <SetupHelp
          title={`Step ${number} of ${total}: ${s.title}`}
          kind={s.kind}
          width={props.width}
          height={props.height}
        />
      ) : null}
      {/* On a screen too short for the whole step (a 40x12 serial line) the notes give way, cut at the
        bottom; the rest is never squeezed, or the layout draws its rows over each other (QA14). The
        step stays while its help shows (hidden, its keys off), so closing the help finds it as it was. */}
      <Box flexDirection="column" display={help ? 'none' : 'flex'}>
        <Box flexDirection="column" flexShrink={0}>
          {wasDone ? <Text dimColor={!plain}>{SET_UP_ALREADY}</Text> : null}
          <Text bold={!plain}>{`Step ${number} of ${total}: ${s.title}`}</Text>
          {s.kind === 'checklist' ? null : <Text>{s.prompt(draft)}</Text>}
        </Box>
        <Box flexDirection="column" flexShrink={1} overflow="hidden">
          {/* Notes quote a key file's user IDs (a USB stick's): shown escaped, as errors below. */}
          {(s.notes?.(draft, env) ?? []).map((n) => (
            <Box key={n} flexShrink={0}>
              <Text dimColor={!plain}>{shownLine(n)}</Text>
            </Box>
          ))}
        </Box>
        {s.id === 'key' && draft.keyFingerprint ? (
          <Box flexShrink={0}>
            <Text dimColor={!plain}>{`Current: ${draft.keyFingerprint}`}</Text>
          </Box>
        ) : null}
        {s.kind === 'checklist' ? (
          <SetupCatalog
            entries={s.choices?.(draft, env) ?? []}
            prompt={s.prompt(draft)}
            initial={draft.modules}
            box={box}
            width={props.width}
            // What the step shows around the checklist: the lines above it, and below (checking, error).
            height={
              props.height -
              (wasDone ? wrapLines(SET_UP_ALREADY, props.width).length + 1 : 1) -
              (s.notes?.(draft, env) ?? []).length -
              (checking ? 1 : 0) -
              (error ? 1 : 0)
            }
            isEcho={echoOfLetter}
            active={!help}
            onSubmit={(names) => void submit(names.join(','))}
            onBack={() => goTo(nextStep(phase.index, draft, env, -1), draft)}
          />
        ) : null}
        <Box marginTop={1} flexShrink={0} display={s.kind === 'checklist' ? 'none' : 'flex'}>
          <Text>{'> '}</Text>
          {s.kind === 'text' ? (
            <TextInput
              value={value}
              secret={s.id.startsWith('encrypt-passphrase') || s.id.startsWith('console-password')}
              active={!help}
              onChange={(v) => {
                setValue(v);
                setError('');
              }}
              onSubmit={(v) => {
                if (!echoOfLetter()) void submit(v);
              }}
              onCancel={() => goTo(nextStep(phase.index, draft, env, -1), draft)}
            />
          ) : (
            <Text>{s.kind === 'confirm' ? 'y / n' : 'Enter'}</Text>
          )}
        </Box>
        <Box flexDirection="column" flexShrink={0}>
          {checking ? <Text>Checking...</Text> : null}
          {error ? <Text color={plain ? undefined : 'red'}>{`! ${shownLine(error)}`}</Text> : null}
          {s.kind === 'checklist'
            ? null
            : // The keys this kind of step takes: Enter does nothing at a yes/no question (QA8). Rows
              // break between keys, never inside one (a 40-column serial line).
              keyRows(WIZARD_KEY_LINE[s.kind], props.width).map((row) => (
                <Text key={row} dimColor={!plain}>
                  {row}
                </Text>
              ))}
        </Box>
      </Box>
    </>
  );
}
