import { describe, expect, it } from 'vitest';
import { excludePaths, includePaths, removePaths } from '../../modules/vectors/server/payload-select.js';

// A payload key named "__proto__" is an own field like any other (JSON.parse makes it one, and
// Qdrant stores it). Selecting or removing paths must keep it a field: an assignment
// `out["__proto__"] = v` sets the copy's prototype instead, so the field vanished from the answer
// and the copy inherited the client's object.
const payload = () =>
  JSON.parse('{"__proto__": {"polluted": "yes", "page": 3}, "meta": {"__proto__": {"x": 1}, "y": 2}}');

describe('vectors: with_payload and delete payload keys on a "__proto__" field', () => {
  it('include keeps it as a field', () => {
    const out = includePaths(payload(), ['__proto__', 'meta']);
    expect(JSON.stringify(out)).toBe(
      '{"__proto__":{"polluted":"yes","page":3},"meta":{"__proto__":{"x":1},"y":2}}',
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('exclude of another field keeps it', () => {
    const out = excludePaths(payload(), ['meta.y']);
    expect(JSON.stringify(out)).toBe(
      '{"__proto__":{"polluted":"yes","page":3},"meta":{"__proto__":{"x":1}}}',
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('removing a key under it changes the field, not the prototype', () => {
    const out = removePaths(payload(), ['__proto__.page', 'meta.__proto__.x']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"yes"},"meta":{"__proto__":{},"y":2}}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf((out as { meta: object }).meta)).toBe(Object.prototype);
  });
});
