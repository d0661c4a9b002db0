import { createHost, createSimulation, getProfile, type ExecContext, type TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { StreamLoop } from '../../../src/tools/iperf3/streams.js';

function setup() {
  const sim = createSimulation({ seed: 3 });
  const host = createHost(sim, { name: 'ep', profile: getProfile('rcar-s4') });
  const loop = new StreamLoop(host, { wrap: (fn) => fn });
  const calls: string[] = [];
  /** A stream body that logs its calls, charges `cost` ns and returns what `next` says. */
  const body = (name: string, next: (n: number) => TaskStep, cost = 1_000) => {
    let n = 0;
    return (ctx: ExecContext): TaskStep => {
      calls.push(name);
      ctx.charge(cost);
      return next(++n);
    };
  };
  return { sim, loop, calls, body };
}

describe('StreamLoop (iperf3 3.12: one thread for all streams)', () => {
  it('calls ready streams round-robin, one call per step, on one task', () => {
    const { sim, loop, calls, body } = setup();
    for (const s of ['a', 'b', 'c']) loop.add(body(s, (n) => (n < 3 ? 'run' : 'exit')));
    sim.run({ until: 1_000_000 });
    expect(calls.join('')).toBe('abcabcabc');
    expect(loop.task.state).toBe('exited');
  });

  it('does not spin on streams that would block: it sleeps until woken, then polls each once', () => {
    const { sim, loop, calls, body } = setup();
    loop.add(body('a', () => 'sleep', 0));
    loop.add(body('b', () => 'sleep', 0));
    sim.run({ until: 1_000_000 });
    const settled = calls.length;
    expect(calls.join('')).toBe('ab');
    sim.run({ until: 100_000_000 });
    expect(calls).toHaveLength(settled);
    expect(loop.task.state).toBe('sleeping');
    loop.task.wake();
    sim.run({ until: 200_000_000 });
    expect(calls.slice(settled).join('')).toBe('ab');
  });

  it('polls a blocked stream again after each round in which another made progress', () => {
    const { sim, loop, calls, body } = setup();
    loop.add(body('s', (n) => (n < 4 ? 'run' : 'exit')));
    loop.add(body('r', () => 'sleep', 0));
    sim.run({ until: 1_000_000 });
    expect(calls.join('')).toBe('srsrsrsr');
    expect(loop.task.state).toBe('sleeping');
  });

  it('calls a paced stream again at its deadline, and exits when every stream has', () => {
    const { sim, loop } = setup();
    const at: number[] = [];
    loop.add((ctx) => {
      at.push(ctx.time);
      return at.length < 3 ? 50_000 : 'exit';
    });
    sim.run({ until: 1_000_000 });
    expect(at).toHaveLength(3);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(50_000);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(50_000);
    expect(loop.task.state).toBe('exited');
  });
});
