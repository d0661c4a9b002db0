/**
 * `ntb-bench calibrate`: fit the rcar-s4 parameters no public source gives — the CPU's read
 * rate from the uncached (Normal-NC) RX ring, and the receive stack's per-packet cost — to the
 * single-queue published rows only (baseline TCP 599.5 and UDP 598 Mb/s). Every other row of
 * `reproduce` is then a prediction. The fit is a bisection on each parameter in turn (the
 * rate is monotonic in both), over a few seeds per point; it prints the values to put in the
 * profile (`memory.readUncachedMBps`, `net.rxPerPacketNs`) and the residuals.
 */
import { extendProfile, getProfile, type PlatformProfile } from '@ntbsim/kernel';
import { runPool, runSeed, type Job } from './reproduce.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

/** A calibration target: a scenario, its published mean, the parameter it pins. */
interface Target {
  readonly scenario: Scenario;
  readonly param: 'memory.readUncachedMBps' | 'net.rxPerPacketNs';
  readonly lo: number;
  readonly hi: number;
  /** Whether the rate rises with the parameter. */
  readonly increasing: boolean;
}

/** What `calibrate` found. */
export interface CalibrationResult {
  /** Fitted values by parameter path. */
  readonly values: Record<string, number>;
  /** Simulated mean and published mean per target. */
  readonly fit: { readonly id: string; readonly simulated: number; readonly published: number }[];
  /** Runs executed. */
  readonly runs: number;
}

function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(`calibrate: no scenario ${id}`);
  return s;
}

function patchFor(values: Record<string, number>): Record<string, unknown> {
  const patch: Record<string, Record<string, { value: number }>> = {};
  for (const [path, value] of Object.entries(values)) {
    const [group, name] = path.split('.') as [string, string];
    patch[group] = { ...(patch[group] ?? {}), [name]: { value } };
  }
  return patch;
}

/** Fit the unknown parameters; `onStep` reports each evaluated point. */
export async function calibrate(options: {
  readonly base?: PlatformProfile;
  readonly seeds: number;
  readonly durationS: number;
  readonly iterations: number;
  readonly workers: number;
  readonly onStep?: (param: string, value: number, mbps: number) => void;
}): Promise<CalibrationResult> {
  const base = options.base ?? getProfile('rcar-s4');
  const values: Record<string, number> = { 'memory.readUncachedMBps': base.memory.readUncachedMBps.value, 'net.rxPerPacketNs': base.net.rxPerPacketNs.value };
  const targets: Target[] = [
    { scenario: scenario('baseline-tcp'), param: 'memory.readUncachedMBps', lo: 20, hi: 2_000, increasing: true },
    { scenario: scenario('baseline-udp'), param: 'net.rxPerPacketNs', lo: 0, hi: 200_000, increasing: false },
  ];
  let runs = 0;
  const measure = async (s: Scenario, vals: Record<string, number>): Promise<number> => {
    const jobs: Job[] = Array.from({ length: options.seeds }, (_, r) => ({ config: s, run: r, options: { seed: runSeed(101, r), durationS: options.durationS, payload: 'timing', profileName: base.name, profilePatch: patchFor(vals) } }));
    let sum = 0;
    await runPool(jobs, options.workers, (_, res) => {
      sum += res.mbps;
    });
    runs += jobs.length;
    return sum / jobs.length;
  };
  for (let pass = 0; pass < 2; pass++) {
    for (const t of targets) {
      let lo = t.lo;
      let hi = t.hi;
      for (let i = 0; i < options.iterations; i++) {
        const mid = (lo + hi) / 2;
        const mbps = await measure(t.scenario, { ...values, [t.param]: mid });
        options.onStep?.(t.param, mid, mbps);
        const tooFast = mbps > t.scenario.published.mean;
        if (tooFast === t.increasing) hi = mid;
        else lo = mid;
      }
      values[t.param] = Math.round(((lo + hi) / 2) * 10) / 10;
    }
  }
  extendProfile(base, patchFor(values));
  const fit = [];
  for (const t of targets) fit.push({ id: t.scenario.id, simulated: await measure(t.scenario, values), published: t.scenario.published.mean });
  return { values, fit, runs };
}
