/**
 * `ntb-bench calibrate`: fit the rcar-s4 parameter no public source gives — the CPU's read
 * rate from the uncached (Normal-NC) RX ring, `memory.readUncachedMBps` — to the
 * single-queue published rows only (baseline TCP 599.5 and UDP 598 Mb/s). Every other row of
 * `reproduce` is then a prediction. Both rates rise monotonically with the read rate, so the
 * fit is a bisection on the mean relative error of the two rows (zero at the fit), over a few
 * seeds per point. It prints the value to put in the profile and the residuals.
 */
import { extendProfile, getProfile, type PlatformProfile } from '@ntbsim/kernel';
import { resultOf, runPool, runSeed, type Job } from './reproduce.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

/** What `calibrate` found. */
export interface CalibrationResult {
  /** Fitted values by parameter path. */
  readonly values: Record<string, number>;
  /** Simulated mean and published mean per target row. */
  readonly fit: { readonly id: string; readonly simulated: number; readonly published: number }[];
  /** Runs executed. */
  readonly runs: number;
}

function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(`calibrate: no scenario ${id}`);
  return s;
}

function patchFor(rate: number): Record<string, unknown> {
  return { memory: { readUncachedMBps: { value: rate } } };
}

/** Fit `memory.readUncachedMBps`; `onStep` reports each evaluated point (mean relative error, %). */
export async function calibrate(options: {
  readonly base?: PlatformProfile;
  readonly seeds: number;
  readonly durationS: number;
  readonly iterations: number;
  readonly workers: number;
  readonly lo?: number;
  readonly hi?: number;
  readonly onStep?: (param: string, value: number, errPct: number) => void;
}): Promise<CalibrationResult> {
  const base = options.base ?? getProfile('rcar-s4');
  const rows = [scenario('baseline-tcp'), scenario('baseline-udp')];
  let runs = 0;
  const measure = async (rate: number): Promise<number[]> => {
    const jobs: Job[] = rows.flatMap((s) => Array.from({ length: options.seeds }, (_, r): Job => ({ config: s, run: r, options: { seed: runSeed(101, r), durationS: options.durationS, payload: 'timing', profileName: base.name, profileJson: base, profilePatch: patchFor(rate) } })));
    const sums = rows.map(() => 0);
    await runPool(jobs, options.workers, (i, o) => {
      const k = Math.floor(i / options.seeds);
      sums[k] = (sums[k] ?? 0) + resultOf('calibrate', jobs[i] as Job, o).mbps;
    });
    runs += jobs.length;
    return sums.map((s) => s / options.seeds);
  };
  const relErr = (means: number[]): number => means.reduce((e, m, k) => e + m / (rows[k] as Scenario).published.mean - 1, 0) / rows.length;
  let lo = options.lo ?? 20;
  let hi = options.hi ?? 400;
  for (let i = 0; i < options.iterations; i++) {
    const mid = (lo + hi) / 2;
    const err = relErr(await measure(mid));
    options.onStep?.('memory.readUncachedMBps', mid, 100 * err);
    if (err > 0) hi = mid;
    else lo = mid;
  }
  const rate = Math.round(((lo + hi) / 2) * 10) / 10;
  extendProfile(base, patchFor(rate));
  const means = await measure(rate);
  return { values: { 'memory.readUncachedMBps': rate }, fit: rows.map((s, k) => ({ id: s.id, simulated: means[k] ?? NaN, published: s.published.mean })), runs };
}
