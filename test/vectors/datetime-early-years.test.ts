/**
 * Datetime ranges over years 0 to 99, through the real @qdrant/js-client-rest. filter.ts reads a
 * date with Date.UTC, which takes a year from 0 to 99 as 1900 to 1999: a payload's "0099-06-01"
 * was 1999-06-01 and a bound "0050-01-01" was 1950, so a range over the first century found the
 * 1999 point and not the one of year 99. Qdrant reads the four digits as they are (chrono).
 * And a time without seconds is Qdrant's only as "YYYY-MM-DD HH:MM" (a space, no zone): its
 * formats with T or a zone all have seconds (DateTimePayloadType::from_str); "2024-03-01T10:00"
 * and "2024-03-01T10:00Z" were dates here, so a payload Qdrant does not match was matched and a
 * bound it refuses was taken.
 */
import { describe, expect, it } from 'vitest';
import { client, raw, withVectorsService } from './qdrant-setup.js';

withVectorsService();

describe('datetime ranges: the years 0000 to 0099 are those years', () => {
  it('a range over the first centuries finds year 99, not 1999', async () => {
    await client.createCollection('d', { vectors: { size: 2, distance: 'Cosine' } });
    const days = ['0099-06-01', '1999-06-01T00:00:00Z', '0001-01-01 00:00', '0120-02-29'];
    await client.upsert('d', {
      wait: true,
      points: days.map((d, i) => ({ id: i + 1, vector: [1, i], payload: { d } })),
    });
    const ids = async (range: Record<string, string>) =>
      (await client.scroll('d', { filter: { must: [{ key: 'd', range }] }, with_payload: false })).points.map(
        (p) => p.id,
      );
    expect(await ids({ gte: '0050-01-01', lte: '0150-01-01T00:00:00Z' })).toEqual([1, 4]);
    expect(await ids({ lt: '0100-01-01' })).toEqual([1, 3]);
    expect(await ids({ gte: '1900-01-01' })).toEqual([2]);
  });

  it('without seconds: only "YYYY-MM-DD HH:MM", as in Qdrant', async () => {
    await client.createCollection('m', { vectors: { size: 2, distance: 'Cosine' } });
    const days = [
      '2024-03-01 10:00',
      '2024-03-01T10:00',
      '2024-03-01T10:00Z',
      '2024-03-01 10:00+01',
      '2024-03-01T10:00:00+01',
    ];
    await client.upsert('m', {
      wait: true,
      points: days.map((d, i) => ({ id: i + 1, vector: [1, i], payload: { d } })),
    });
    const scroll = (range: Record<string, string>) =>
      raw('POST', '/collections/m/points/scroll', {
        filter: { must: [{ key: 'd', range }] },
        with_payload: false,
      });
    const all = await scroll({ gte: '2024-01-01' });
    expect(all.json.result.points.map((p: { id: number }) => p.id)).toEqual([1, 5]);
    expect((await scroll({ gte: '2024-03-01 09:00' })).status).toBe(200);
    for (const bound of ['2024-03-01T09:00', '2024-03-01T09:00Z', '2024-03-01 09:00Z']) {
      const r = await scroll({ gte: bound });
      expect(r.status, bound).toBe(400);
      expect(r.json.status.error).toContain('is not in a supported date/time format');
    }
  });
});
