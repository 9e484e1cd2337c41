/**
 * The Packages table's Signer cell: a package not installed had an empty cell, which reads as
 * "unsigned" (found by the QA4 walk), while its signature is checked at the install (the install
 * page names the signer before the confirmation). It now says so; an installed package shows the key
 * its install verified; an installed one with none recorded says that.
 */
import { expect, it } from 'vitest';
import { packagesBody } from '../../src/web/pages.js';

const cell = (page: string, name: string) =>
  new RegExp(`<strong>${name}</strong>[\\s\\S]*?data-label="Signer">([\\s\\S]*?)</td>`).exec(page)?.[1];

it('says where a signer is checked instead of leaving the cell empty', () => {
  const page = String(
    packagesBody(
      [
        { name: 'offered', version: '1.0.0', installed: false, summary: 's', origin: 'main' },
        {
          name: 'kept',
          version: '1.0.0',
          installed: true,
          summary: 's',
          origin: 'main',
          signer: 'ABCD 1234',
        },
        { name: 'old', version: '1.0.0', installed: true, summary: 's', origin: 'main' },
      ],
      '',
      'csrf',
    ),
  );
  expect(cell(page, 'offered')).toBe('<span class="muted">checked at install</span>');
  expect(cell(page, 'kept')).toBe('<code>ABCD 1234</code>');
  expect(cell(page, 'old')).toBe('<span class="muted">not recorded</span>');
  expect(page).not.toContain('<code></code>');
});
