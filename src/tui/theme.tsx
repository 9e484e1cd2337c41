import { createContext, useContext } from 'react';

/**
 * Plain mode (NO_COLOR, TERM=dumb, --no-color, a DEC VT terminal): no colours, no box drawing,
 * ASCII markers only, no alternate screen.
 */
export interface Theme {
  plain: boolean;
}

export const ThemeContext = createContext<Theme>({ plain: false });
export const useTheme = () => useContext(ThemeContext);

/**
 * Terminals with neither colours nor an alternate screen (terminfo: `tput -T vt220 colors` is -1,
 * no smcup): the image's serial line says vt220, console servers and old terminals vt100 (QA18).
 * Their variants too (vt100-am, vt220-8bit, vt320-w); not vt525, which has colours.
 */
const NO_COLOUR_TERM = /^(dumb|vt(52|100|102|220|320|420))($|-)/;

export function isPlain(env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  return noColorFlag || Boolean(env.NO_COLOR) || NO_COLOUR_TERM.test(env.TERM ?? '');
}
