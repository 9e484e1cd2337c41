import { WIZARD_KEYS, WIZARD_STEP_KEYS } from '../keys.js';
import { Help } from './Help.js';

/**
 * The wizard's help (Ctrl-G, see WIZARD_HELP): the keys of the step on screen, or of the summary,
 * and those of every step (back, this help, quit). The console's list (1-7, '?', q) is not shown:
 * no field of the wizard takes those as keys.
 */
export function SetupHelp(props: {
  /** 'Step 3 of 11: Admin user', or 'Summary'. */
  title: string;
  kind: keyof typeof WIZARD_STEP_KEYS;
  width: number;
  height: number;
}) {
  return (
    <Help
      screen="setup"
      login={false}
      width={props.width}
      height={props.height}
      sections={[
        [`On this step (${props.title})`, WIZARD_STEP_KEYS[props.kind]],
        ['On every step', WIZARD_KEYS],
      ]}
      closes="Ctrl-G, Esc or q: back to the step."
    />
  );
}
