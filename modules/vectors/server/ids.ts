/** Qdrant point ids: unsigned 64-bit integers (safe integers here) or UUIDs, kept in canonical form. */
import { HttpError } from '../../kit/server/index.js';

export type PointId = number | string;

const uuidRe =
  /^(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

export function parsePointId(v: unknown): PointId {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new HttpError(
      400,
      `Wrong input: point id ${v} is not an unsigned integer (up to 2^53-1 here) or a UUID`,
    );
  }
  if (typeof v === 'string') {
    const m = uuidRe.exec(v);
    if (m) return m.slice(1).join('-').toLowerCase();
    throw new HttpError(400, `Wrong input: Unable to parse UUID: ${v.slice(0, 64)}`);
  }
  throw new HttpError(400, 'Wrong input: a point id must be an unsigned integer or a UUID string');
}

/** Map key: integers and UUIDs never collide. */
export const pointKey = (id: PointId): string => (typeof id === 'number' ? `n${id}` : `u${id}`);

/** Qdrant's order: integer ids first (numerically), then UUIDs. */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  return typeof b === 'number' ? 1 : a < b ? -1 : a > b ? 1 : 0;
}
