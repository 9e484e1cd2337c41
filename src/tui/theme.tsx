import { createContext, useContext } from 'react';

/** Plain mode (NO_COLOR, TERM=dumb, --no-color): no colours, no box drawing, ASCII markers only. */
export interface Theme {
  plain: boolean;
}

export const ThemeContext = createContext<Theme>({ plain: false });
export const useTheme = () => useContext(ThemeContext);

export function isPlain(env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  return noColorFlag || Boolean(env.NO_COLOR) || env.TERM === 'dumb';
}
