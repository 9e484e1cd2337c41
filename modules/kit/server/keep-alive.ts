/**
 * How long a kept-alive connection between modules lives idle, on both sides, from one number so
 * they cannot drift apart: the kit server closes an idle connection after KEEP_ALIVE_MS (counted
 * from its last answer; ./limits.ts, `keepAliveTimeoutMs`), and a module's client (the kit's
 * ../client/unix-http.ts, rag's stream agent) closes its side first, CLIENT_IDLE_MS, so a request
 * rarely meets a connection the server is closing (one that does is sent again when safe).
 */
export const KEEP_ALIVE_MS = 60_000;
/** 2 s under the server's: the server counts from its answer's end, which comes before the client's. */
export const CLIENT_IDLE_MS = KEEP_ALIVE_MS - 2_000;
