import { describe, expect, it } from 'vitest';
import { engineErrorFrom } from '../../src/core/services/engine.js';

// Every error a user sees says what to do next (the brief). What the engine refuses for a reason
// of its own (a 500 with its message) used to come without one.
describe('engineErrorFrom', () => {
  const socket = '/run/podman/podman.sock';

  it('an engine refusal keeps its message and says what to do next', () => {
    const err = engineErrorFrom(
      Object.assign(new Error('HTTP 500'), { statusCode: 500, json: { message: 'crun: mount failed' } }),
      'starting container x',
      socket,
    );
    expect(err.code).toBe('engine-failed');
    expect(err.message).toContain('crun: mount failed');
    expect(err.hint).toMatch(/blueprint doctor/);
  });

  it('a missing socket and a denied one keep their own hints', () => {
    const down = engineErrorFrom(Object.assign(new Error('x'), { code: 'ENOENT' }), 'w', socket);
    const denied = engineErrorFrom(Object.assign(new Error('x'), { code: 'EACCES' }), 'w', socket);
    expect([down.code, denied.code]).toEqual(['engine-down', 'engine-denied']);
    expect(down.hint).toBeTruthy();
    expect(denied.hint).toMatch(/root/);
  });
});
