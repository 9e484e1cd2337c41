/**
 * The shapes a collection is made of and answers with, apart from the class (collection.ts): what
 * request parsing (parse.ts), the body worker (offload.ts) and the checkpoint files (persist.ts)
 * share with it.
 */
import type { Payload } from './filter.js';
import type { PointId } from './ids.js';

export type Distance = 'Cosine' | 'Dot' | 'Euclid';
export interface CollectionConfig {
  size: number;
  distance: Distance;
  m: number;
  efConstruct: number;
  /** Below this many candidates, search is exact (Qdrant's full_scan_threshold, counted in points). */
  fullScanThreshold: number;
  /**
   * Qdrant's collection `metadata` (1.16+), as given and merged by updates (parse.ts checkMetadata);
   * kept with the config, so in the create record, every checkpoint and every snapshot.
   */
  metadata?: Payload;
}
/**
 * Which consumer made a collection (its token named the client `consumer:NAME`) and when (ms since
 * the epoch): a purge of that consumer deletes it (consumer-purge.ts). None for the admin's.
 */
export interface Owner {
  consumer: string;
  created: number;
}
export interface Point {
  id: PointId;
  vector: number[] | Float32Array;
  payload?: Payload;
}
export interface Hit {
  label: number;
  score: number;
}
