/**
 * `ntb-bench calibrate`: fit the two rcar-s4 parameters no public source gives, to the
 * single-queue published rows only; every other row of `reproduce` is then a prediction.
 *
 * 1. `memory.readUncachedMBps`, the CPU's read rate from the uncached (Normal-NC) RX ring, to
 *    the baseline TCP and UDP means (599.5 and 598 Mb/s). Both rise monotonically with the read
 *    rate, so the fit is a bisection on the mean relative error of the two rows (zero at the
 *    fit), over a few seeds per point.
 * 2. `noise.runScaleSd`, the SD of each host's run factor (every cost × N(1, runScaleSd), drawn
 *    once per run), to the baseline TCP run-to-run SD (5.84 Mb/s over 10 runs). Over a fixed
 *    set of seeds the run factors' draws are fixed, so the model's SD is close to proportional
 *    to runScaleSd; each iteration scales it by published SD / simulated SD, starting from the
 *    profile's value.
 *
 * The seeds are runSeed(101, r), not reproduce's runSeed(1, r), so `reproduce` checks the fit
 * on other draws. It prints the values to put in the profile and the residuals.
 */
import { getProfile, type PlatformProfile } from '@ntbsim/kernel';
import { resultOf, runPool, runSeed, type Job } from './reproduce.js';
import { SCENARIOS, summarize, type Scenario } from './scenarios.js';

/** The parameters `calibrate` can fit. */
export type CalibrationTarget = 'rate' | 'sd';

/** What `calibrate` found. */
export interface CalibrationResult {
  /** Fitted values by parameter path. */
  readonly values: Record<string, number>;
  /** Simulated mean and published mean per target row (at the fitted values). */
  readonly fit: { readonly id: string; readonly simulated: number; readonly published: number }[];
  /** The baseline TCP run-to-run SD at the fitted values, over `seeds` seeds, and the published one (Mb/s); absent when runScaleSd was not fitted. */
  readonly sdFit?: { readonly id: string; readonly simulated: number; readonly published: number; readonly seeds: number };
  /** Runs executed. */
  readonly runs: number;
}

function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(`calibrate: no scenario ${id}`);
  return s;
}

function patchFor(rate: number, sd: number): Record<string, unknown> {
  return { memory: { readUncachedMBps: { value: rate } }, noise: { runScaleSd: { value: sd } } };
}

/**
 * Fit `memory.readUncachedMBps` and/or `noise.runScaleSd` (`fit`, default both); `onStep`
 * reports each evaluated point: the parameter, its value, and the error in % (mean relative
 * error of the two rows for the rate, simulated SD / published SD − 1 for runScaleSd).
 */
export async function calibrate(options: {
  readonly base?: PlatformProfile;
  readonly seeds: number;
  readonly durationS: number;
  readonly iterations: number;
  readonly workers: number;
  readonly fit?: readonly CalibrationTarget[];
  readonly sdSeeds?: number;
  readonly sdIterations?: number;
  readonly lo?: number;
  readonly hi?: number;
  readonly onStep?: (param: string, value: number, errPct: number) => void;
}): Promise<CalibrationResult> {
  const base = options.base ?? getProfile('rcar-s4');
  const fit = options.fit ?? ['rate', 'sd'];
  let runs = 0;
  const measure = async (rows: readonly Scenario[], seeds: number, rate: number, sd: number): Promise<number[][]> => {
    const jobs: Job[] = rows.flatMap((s) => Array.from({ length: seeds }, (_, r): Job => ({ config: s, run: r, options: { seed: runSeed(101, r), durationS: options.durationS, payload: 'timing', profileName: base.name, profileJson: base, profilePatch: patchFor(rate, sd) } })));
    const mbps = rows.map((): number[] => []);
    await runPool(jobs, options.workers, (i, o) => {
      mbps[Math.floor(i / seeds)]?.push(resultOf('calibrate', jobs[i] as Job, o).mbps);
    });
    runs += jobs.length;
    return mbps;
  };
  const means = [scenario('baseline-tcp'), scenario('baseline-udp')];
  const mean = (xs: readonly number[] | undefined): number => summarize(xs ?? [NaN]).mean;
  const relErr = (m: readonly number[][]): number => m.reduce((e, xs, k) => e + mean(xs) / (means[k] as Scenario).published.mean - 1, 0) / means.length;
  let rate = base.memory.readUncachedMBps.value;
  let sd = base.noise.runScaleSd.value;
  if (fit.includes('rate')) {
    let lo = options.lo ?? 20;
    let hi = options.hi ?? 400;
    for (let i = 0; i < options.iterations; i++) {
      const mid = (lo + hi) / 2;
      const err = relErr(await measure(means, options.seeds, mid, sd));
      options.onStep?.('memory.readUncachedMBps', mid, 100 * err);
      if (err > 0) hi = mid;
      else lo = mid;
    }
    rate = Math.round(((lo + hi) / 2) * 10) / 10;
  }
  let sdFit: CalibrationResult['sdFit'];
  if (fit.includes('sd')) {
    const tcp = scenario('baseline-tcp');
    const target = tcp.published.sd ?? NaN;
    const seeds = options.sdSeeds ?? 10;
    if (sd <= 0) sd = 0.01;
    if (seeds < 2) throw new Error(`calibrate: an SD needs at least 2 seeds (got ${seeds})`);
    const sdAt = async (x: number): Promise<number> => summarize((await measure([tcp], seeds, rate, x))[0] ?? []).sd;
    let simulated = await sdAt(sd);
    options.onStep?.('noise.runScaleSd', sd, 100 * (simulated / target - 1));
    for (let i = 0; i < (options.sdIterations ?? 2); i++) {
      if (simulated <= 0) throw new Error(`calibrate: the model's baseline TCP runs did not vary at runScaleSd = ${sd}, so the SD cannot be scaled to ${target}`);
      sd = Math.min(0.5, Math.round(sd * (target / simulated) * 10_000) / 10_000);
      simulated = await sdAt(sd);
      options.onStep?.('noise.runScaleSd', sd, 100 * (simulated / target - 1));
    }
    sdFit = { id: tcp.id, simulated, published: target, seeds };
  }
  const final = await measure(means, options.seeds, rate, sd);
  return {
    values: { ...(fit.includes('rate') ? { 'memory.readUncachedMBps': rate } : {}), ...(fit.includes('sd') ? { 'noise.runScaleSd': sd } : {}) },
    fit: means.map((s, k) => ({ id: s.id, simulated: mean(final[k]), published: s.published.mean })),
    ...(sdFit === undefined ? {} : { sdFit }),
    runs,
  };
}
