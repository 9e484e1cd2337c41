/**
 * Sets `o[key]` as an own, enumerable field whatever the key. Keys here are a client's text (a
 * collection's name, a payload's field): an assignment `o["__proto__"] = v` sets the object's
 * prototype instead, and JSON (a checkpoint's manifest, an answer) then leaves the entry out, as
 * JSON.parse never does (test/security/vectors-proto-collection-name.test.ts); a snapshot header's
 * field of that name would have set the header's prototype (header-parse.ts).
 */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
