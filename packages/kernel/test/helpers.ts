import { createHost, createSimulation, extendProfile, getProfile, type Host, type Simulation } from '../src/index.js';

/** A quiet rcar-s4 host (no noise) so costs are exact in assertions. */
export function quietHost(options: { seed?: number; cpus?: number; hz?: number; trace?: number } = {}): { sim: Simulation; host: Host } {
  const sim = createSimulation({ seed: options.seed ?? 1, traceCapacity: options.trace ?? 0 });
  const base = getProfile('rcar-s4');
  const profile = extendProfile(base, {
    cpu: { count: { value: options.cpus ?? 4 } },
    kernel: {
      hz: { value: options.hz ?? 250 },
      irqEntryExitNs: { value: 1_000 },
      softirqEntryNs: { value: 500 },
      wakeupNs: { value: 2_000 },
    },
    noise: { runScaleSd: { value: 0 }, chargeJitterSd: { value: 0 } },
  });
  return { sim, host: createHost(sim, { name: 'h', profile }) };
}
