import { ListScreen } from '../components/ListScreen.js';
import type { ScreenProps } from '../screen.js';
import type { KeyRow } from '../sources.js';

const spaced = (fp: string) => fp.replace(/(.{4})/g, '$1 ').trim();

export function Keys(props: ScreenProps) {
  return (
    <ListScreen<KeyRow>
      {...props}
      title="Trusted signing keys"
      load={props.sources.keys}
      haystack={(k) => `${k.fingerprint} ${k.name}`}
      columns={[
        { header: 'Fingerprint', width: 50, get: (k) => spaced(k.fingerprint) },
        { header: 'Signer', get: (k) => k.name },
      ]}
    />
  );
}
