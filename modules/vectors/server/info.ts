/**
 * What the service says about itself: a collection's info (Qdrant's shape) and GET /telemetry
 * (Qdrant's path, this server's own contents: how filters and searches were served, which tests
 * use to see that a payload index was used, the bodies parsed off the event loop, and what a
 * checkpoint is doing).
 */
import type { Collection } from './collection.js';
import type { BodyParser } from './offload.js';
import { isObject } from './parse.js';
import type { Store } from './store.js';

/** The Qdrant version whose REST API this subset follows (GET / reports it). */
export const API_VERSION = '1.19.0';

/**
 * `problems`: operations on this collection that failed (problems.ts: records set aside at
 * start, changes that threw while applied): Qdrant's way to say a collection had operations fail
 * is status red and an optimizer error.
 */
export function collectionInfo(c: Collection, problems: string[] = []) {
  const schema = Object.fromEntries(
    Object.entries(c.payloadSchema).map(([f, s]) => [
      f,
      {
        data_type: isObject(s) ? s.type : s,
        ...(isObject(s) ? { params: s } : {}),
        points: c.fieldIndexes.count(f), // kept as payloads change (field-index.ts)
      },
    ]),
  );
  return {
    status: problems.length > 0 ? 'red' : 'green',
    optimizer_status: problems.length > 0 ? { error: problems.join('; ') } : 'ok',
    indexed_vectors_count: c.count > c.config.fullScanThreshold ? c.count : 0,
    points_count: c.count,
    segments_count: 1,
    config: {
      params: {
        vectors: { size: c.config.size, distance: c.config.distance },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: false,
      },
      hnsw_config: {
        m: c.config.m,
        ef_construct: c.config.efConstruct,
        full_scan_threshold: c.config.fullScanThreshold,
        max_indexing_threads: 0,
        on_disk: false,
      },
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 1,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: c.config.fullScanThreshold,
        flush_interval_sec: 5,
        max_optimization_threads: null,
      },
      wal_config: { wal_capacity_mb: 64, wal_segments_ahead: 0 },
      quantization_config: null,
      // Qdrant leaves it out when the collection has none.
      ...(c.config.metadata ? { metadata: c.config.metadata } : {}),
    },
    payload_schema: schema,
  };
}

export function telemetry(store: Store, bodies: BodyParser['stats']) {
  return {
    id: 'blueprint-vectors',
    app: { name: 'qdrant', version: API_VERSION },
    requests: { bodies_parsing_off_loop: bodies.parsing, bodies_parsed_off_loop: bodies.parsed },
    checkpoint: store.checkpointState,
    // Records of the log set aside at start (quarantine.ts), until the admin removes their files.
    // Whose a record is stays out: any client reads this (GET /quarantine shows it to the admin).
    quarantine: store.quarantineOf().map(({ owner: _owner, ...q }) => q),
    // Changes that threw while applied since start (not logged).
    failed_applies: store.problems.failedApplies.map((f) => ({ ...f })),
    collections: {
      number_of_collections: store.collections.size,
      collections: [...store.collections].map(([id, c]) => ({
        id,
        points: c.count,
        payload_indexes: Object.fromEntries(
          [...c.fieldIndexes].map(([f, idx]) => [f, { distinct_values: idx.size }]),
        ),
        filters: { by_payload_index: c.stats.indexedFilters, by_scan: c.stats.scannedFilters },
        searches: {
          exact: c.stats.exactSearches,
          hnsw: c.stats.hnswSearches,
          // Wall time inside hnswlib's searchKnn since start, all graph searches together.
          hnsw_ms: c.stats.hnswMs,
        },
      })),
    },
  };
}
