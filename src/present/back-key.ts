/**
 * The words for going back from a console's detail screen (a destination, a key, a service's logs,
 * inspection or settings), said both in its title and on the console's bottom row: the title said
 * `q back` (or "any other key: back") over a bottom row's `Esc back` (CONSOLE6). Every detail
 * screen takes Esc, and q too, but a screen says one key: the one that goes back everywhere,
 * a text field's step included.
 */
export const DETAIL_BACK = 'Esc back';
