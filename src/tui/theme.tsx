import { createContext, useContext } from 'react';
import { colourlessTerm } from '../present/terminal.js';

/**
 * Plain mode (NO_COLOR, TERM=dumb, --no-color, a DEC VT terminal): no colours, no box drawing,
 * ASCII markers only, no alternate screen.
 */
export interface Theme {
  plain: boolean;
}

export const ThemeContext = createContext<Theme>({ plain: false });
export const useTheme = () => useContext(ThemeContext);

export function isPlain(env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  return noColorFlag || Boolean(env.NO_COLOR) || colourlessTerm(env.TERM);
}
