import { createHost, createSimulation, extendProfile, getProfile, type ExecContext, type Host, type Simulation, type TaskStep } from '@ntbsim/kernel';
import type { NtbDev } from '@ntbsim/ntb-core';
import { createEpfPair, type EpfPair, type EpfPairOptions } from '../src/index.js';

/** Two quiet rcar-s4 hosts (no noise, so costs are exact) in one simulation. */
export function quietHosts(options: { seed?: number; hz?: number; dmaDoneLatencyNs?: number } = {}): { sim: Simulation; rc: Host; ep: Host } {
  const sim = createSimulation({ seed: options.seed ?? 1 });
  const profile = extendProfile(getProfile('rcar-s4'), {
    kernel: { hz: { value: options.hz ?? 250 } },
    noise: { runScaleSd: { value: 0 }, chargeJitterSd: { value: 0 } },
    ...(options.dmaDoneLatencyNs === undefined ? {} : { dma: { doneLatencyNs: { value: options.dmaDoneLatencyNs } } }),
  });
  return { sim, rc: createHost(sim, { name: 'rc', profile }), ep: createHost(sim, { name: 'ep', profile }) };
}

/** A pair on quiet hosts, run until the host probe has finished. */
export function probedPair(options: Partial<Omit<EpfPairOptions, 'rc' | 'ep'>> & { seed?: number; dmaDoneLatencyNs?: number } = {}): { sim: Simulation; rc: Host; ep: Host; pair: EpfPair } {
  const { seed, dmaDoneLatencyNs, ...pairOptions } = options;
  const { sim, rc, ep } = quietHosts({ ...(seed === undefined ? {} : { seed }), ...(dmaDoneLatencyNs === undefined ? {} : { dmaDoneLatencyNs }) });
  const pair = createEpfPair({ ...pairOptions, rc, ep });
  let done = false;
  pair.whenProbed(() => {
    done = true;
    sim.stop();
  });
  sim.run({ until: sim.now + 2_000_000_000 });
  if (!done) throw new Error('probe did not finish');
  return { sim, rc, ep, pair };
}

/** Run `fn` once in a kthread step on `host` (CPU `cpu`) at the current time; returns when the sim drained to `until`. */
export function inStep(host: Host, fn: (ctx: ExecContext) => void, options: { cpu?: number } = {}): void {
  host.createKthread(
    'test',
    (ctx): TaskStep => {
      fn(ctx);
      return 'exit';
    },
    { cpus: 1 << (options.cpu ?? 0) },
  );
}

/** Call an op taking `done` and run the simulation until it completed; returns rc. */
export function runOp(sim: Simulation, op: (done: (rc: number) => void) => void, limitNs = 5_000_000_000): number {
  let rc: number | null = null;
  op((r) => {
    rc = r;
    sim.stop();
  });
  if (rc === null) sim.run({ until: sim.now + limitNs });
  if (rc === null) throw new Error('operation did not complete');
  return rc;
}

/** Enable the link from the host and run until the EP reports it up. */
export function linkUp(sim: Simulation, pair: EpfPair): number {
  return runOp(sim, (done) => pair.rc.ops.linkEnable('auto', 'auto', done));
}

/** Record db events of a device: [time, vector, bits read at event]. */
export function recordDb(dev: NtbDev): { t: number; vector: number; bits: number; cpu: number; kind: string }[] {
  const log: { t: number; vector: number; bits: number; cpu: number; kind: string }[] = [];
  const rc = dev.setCtx({
    dbEvent: (vector, ctx) => {
      log.push({ t: ctx.time, vector, bits: dev.ops.dbRead(), cpu: ctx.cpu.id, kind: ctx.kind });
    },
  });
  if (rc !== 0) throw new Error(`${dev.name}: context already set`);
  return log;
}

/** Run the simulation for `ns` more nanoseconds. */
export function runFor(sim: Simulation, ns: number): void {
  sim.run({ until: sim.now + ns });
}
