/**
 * Terminals with neither colours nor an alternate screen (terminfo: `tput -T vt220 colors` is -1,
 * no smcup): dumb, and DEC's VT terminals, which the image's serial line (vt220), console servers
 * and old terminals say (QA18). Their variants too (vt100-am, vt220-8bit, vt320-w); not vt525,
 * which has colours. The console is plain text there, and the CLI writes no colour codes.
 */
const NO_COLOUR_TERM = /^(dumb|vt(52|100|102|220|320|420))($|-)/;

export function colourlessTerm(term: string | undefined): boolean {
  return NO_COLOUR_TERM.test(term ?? '');
}
