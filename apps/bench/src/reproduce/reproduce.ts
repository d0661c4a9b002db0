/**
 * `ntb-bench reproduce`: the seed's matrix, N runs per scenario with different seeds, on a
 * worker pool (one worker per core); the seed's table beside the published figures, the
 * bottleneck per scenario, `reproduce.json` and `report.html`.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { getProfile, parseProfile, type PlatformProfile } from '@ntbsim/kernel';
import { Worker } from 'node:worker_threads';
import type { Bottleneck } from './bottleneck.js';
import type { RunOptions, RunResult, Timeline } from './run.js';
import { SCENARIOS, summarize, type RunConfig, type Scenario, type Summary } from './scenarios.js';

/** One scenario's aggregated result (the JSON `scenarios[]` entry). */
export interface ScenarioResult {
  readonly id: string;
  readonly protocol: 'tcp' | 'udp';
  readonly queues: number;
  readonly doorbell: 'legacy' | 'per-bit';
  readonly variant: 'baseline' | 'mq';
  readonly runs_mbps: number[];
  readonly mean_mbps: number;
  readonly min_mbps: number;
  readonly max_mbps: number;
  readonly median_mbps: number;
  readonly sd_mbps: number;
  readonly published_mbps: number;
  readonly published: Scenario['published'];
  /** (compared_mean_mbps − published) / published, %. */
  readonly delta_pct: number;
  /**
   * The model runs the published figure compares with: all of them, or for a figure measured
   * with the flows distributed across the queues (`published.condition`) those whose streams
   * used more than one queue (all of them if none did).
   */
  readonly compared_runs: number;
  /** Mean of the compared runs (Mb/s). */
  readonly compared_mean_mbps: number;
  /** (mean_mbps − published) / published, %: every run, whatever the published condition. */
  readonly delta_all_runs_pct: number;
  readonly vs_baseline_pct: number | null;
  /** The bottleneck of the median run (by Mb/s; the lower middle of an even count). */
  readonly bottleneck: Bottleneck;
  /** The index in `runs_mbps` of the run `bottleneck` describes. */
  readonly median_run: number;
  /** What ran on which CPU of each board over TIMELINE_NS in the middle of the median run's steady state (absent in reports of older versions). */
  readonly timeline?: Timeline;
  /** Per run, each TX queue's share of the bytes sent (sending board's ntb0). */
  readonly runs_tx_queue_share: number[][];
  /** Runs of a multi-queue scenario in which one TX queue carried ≥ 95 % of the bytes. */
  readonly one_queue_runs: number;
  /** Per run, the stage that limited it (`Bottleneck.stage` of that run). */
  readonly runs_stage: string[];
  /** Per run, the RX queues one saturated RX CPU left short (`Bottleneck.unevenRx`; '' when none). */
  readonly runs_uneven_rx: string[];
  /** Per run, the receiving board's TX queue whose standing qdisc queue held its ACKs back, and the senders' RTT (`Bottleneck.returnPath`; '' when none). */
  readonly runs_return_path: string[];
}

/** A run in which one TX queue carried at least this share of the bytes ran as if on one queue. */
export const ONE_QUEUE_SHARE = 0.95;

/** Whether a run with these TX queue shares used effectively one queue of several. */
export function ranOnOneQueue(shares: readonly number[]): boolean {
  return shares.length > 1 && Math.max(...shares) >= ONE_QUEUE_SHARE;
}

/** The digest recorded as `profile_digest`: SHA-256 of the profile's JSON, first 16 hex digits. */
export function profileDigest(profile: PlatformProfile): string {
  return createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 16);
}

/** The reproduce report (`bench-results/reproduce.json`). */
export interface ReproduceReport {
  readonly profile: string;
  /** `profileDigest` of the profile the runs used (first 16 hex digits of its SHA-256). */
  readonly profile_digest: string;
  /** The base seed (`--seed`); run r of every scenario ran on `runSeed(seed, r)`. */
  readonly seed: number;
  /** Each run's seed, by run index. */
  readonly run_seeds: number[];
  /** When the report was written (ISO 8601, UTC). */
  readonly date: string;
  readonly mode: 'functional' | 'timing';
  readonly runs: number;
  readonly duration_s: number;
  readonly wall_s: number;
  readonly events: number;
  readonly events_per_s: number;
  readonly sim_s_per_wall_s: number;
  readonly workers: number;
  readonly scenarios: ScenarioResult[];
}

/** A job for the pool: one run of one configuration. */
export interface Job {
  readonly config: RunConfig;
  readonly run: number;
  readonly options: Omit<RunOptions, 'profile'> & { readonly profileName?: string; readonly profileJson?: unknown; readonly profilePatch?: Readonly<Record<string, unknown>> };
}

/** Options of `reproduce`. */
export interface ReproduceOptions {
  readonly runs: number;
  readonly durationS: number;
  readonly payload: 'functional' | 'timing';
  readonly profileName: string;
  readonly profileJson?: unknown;
  readonly scenarios?: readonly string[];
  readonly workers?: number;
  readonly baseSeed?: number;
  readonly onProgress?: (done: number, total: number, job: Job) => void;
}

/** The seed of run `run` of a scenario (same across scenarios so configurations are compared on equal draws). */
export function runSeed(base: number, run: number): number {
  return (base + run * 7919) >>> 0;
}

/** What one job gave: its result, or why it failed (message, and the stall diagnosis when the model shows one). */
export type JobOutcome = { readonly ok: true; readonly result: RunResult } | { readonly ok: false; readonly error: string; readonly stall: string | null };

/** A job of a fixed matrix (reproduce, calibrate) that failed: names the configuration, the run and why. */
export class JobError extends Error {
  constructor(command: string, job: Job, outcome: Extract<JobOutcome, { ok: false }>) {
    super(`${command}: ${job.config.id} run ${job.run + 1} (seed ${job.options.seed}) failed: ${outcome.error}${outcome.stall === null ? '' : ` (${outcome.stall})`}`);
    this.name = 'JobError';
  }
}

/** The result of `outcome`, or a JobError for `command` when the job failed. */
export function resultOf(command: string, job: Job, outcome: JobOutcome): RunResult {
  if (!outcome.ok) throw new JobError(command, job, outcome);
  return outcome.result;
}

/**
 * Run the jobs on `workers` worker threads (dist/reproduce/worker.js); `workers` 0 runs them
 * in this thread, in order (tests, profiling). Every job's outcome goes to `onDone`, failed or
 * not; a worker that dies fails its job and is replaced. When `onDone` throws, no further job
 * starts and `runPool` rejects with that error.
 */
export async function runPool(jobs: readonly Job[], workers: number, onDone: (i: number, outcome: JobOutcome) => void): Promise<void> {
  if (workers <= 0) {
    const { runJobOutcome } = await import('./job.js');
    jobs.forEach((j, i) => onDone(i, runJobOutcome(j)));
    return;
  }
  const url = new URL('./worker.js', import.meta.url);
  let next = 0;
  let stop: unknown = undefined;
  let stopped = false;
  const deliver = (i: number, o: JobOutcome): void => {
    if (stopped) return;
    try {
      onDone(i, o);
    } catch (e) {
      stopped = true;
      stop = e;
    }
  };
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let w = new Worker(url);
      let current = -1;
      const feed = (): void => {
        if (next >= jobs.length || stopped) {
          current = -1;
          void w.terminate();
          resolve();
          return;
        }
        current = next++;
        w.postMessage(jobs[current]);
      };
      const listen = (): void => {
        w.on('message', (m: JobOutcome) => {
          deliver(current, m);
          feed();
        });
        w.once('error', (e) => {
          const i = current;
          w.removeAllListeners('message');
          if (i >= 0) deliver(i, { ok: false, error: `worker thread died: ${e.message}`, stall: null });
          w = new Worker(url);
          listen();
          feed();
        });
      };
      listen();
      feed();
    });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, one));
  if (stopped) throw stop;
}

/** The index of the median run by rate (Mb/s): the lower middle of an even count; ties by run order. */
export function medianRunIndex(mbps: readonly number[]): number {
  const order = mbps.map((_, i) => i).sort((a, b) => (mbps[a] ?? 0) - (mbps[b] ?? 0) || a - b);
  return order[Math.floor((order.length - 1) / 2)] ?? 0;
}

/** Run the matrix and aggregate it. */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceReport> {
  const chosen = options.scenarios === undefined ? SCENARIOS : SCENARIOS.filter((s) => options.scenarios?.includes(s.id));
  const jobs: Job[] = [];
  for (const s of chosen) {
    for (let r = 0; r < options.runs; r++) {
      jobs.push({ config: s, run: r, options: { seed: runSeed(options.baseSeed ?? 1, r), durationS: options.durationS, payload: options.payload, timeline: true, profileName: options.profileName, ...(options.profileJson === undefined ? {} : { profileJson: options.profileJson }) } });
    }
  }
  const results: (RunResult | undefined)[] = new Array<RunResult | undefined>(jobs.length);
  const workers = options.workers ?? availableParallelism();
  const t0 = process.hrtime.bigint();
  let done = 0;
  await runPool(jobs, workers, (i, o) => {
    results[i] = resultOf('reproduce', jobs[i] as Job, o);
    done++;
    options.onProgress?.(done, jobs.length, jobs[i] as Job);
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let events = 0;
  let simS = 0;
  for (const r of results) {
    events += r?.events ?? 0;
    simS += r?.simS ?? 0;
  }
  const baselineMean = new Map<string, number>();
  const scenarios = chosen.map((s): ScenarioResult => {
    const rs = jobs.flatMap((j, i) => (j.config.id === s.id ? [results[i] as RunResult] : []));
    const mbps = rs.map((r) => Math.round(r.mbps * 10) / 10);
    const sum: Summary = summarize(mbps);
    if (s.variant === 'baseline') baselineMean.set(s.protocol, sum.mean);
    const base = baselineMean.get(s.protocol);
    const medianRun = medianRunIndex(mbps);
    const median = rs[medianRun];
    if (median === undefined) throw new Error(`reproduce: no runs for ${s.id}`);
    const compared = comparedRuns(s.published, mbps, rs.map((r) => r.txQueueShare));
    return {
      id: s.id,
      protocol: s.protocol,
      queues: s.queues,
      doorbell: s.doorbell,
      variant: s.variant,
      runs_mbps: mbps,
      mean_mbps: sum.mean,
      min_mbps: sum.min,
      max_mbps: sum.max,
      median_mbps: sum.median,
      sd_mbps: sum.sd,
      published_mbps: s.published.mean,
      published: s.published,
      delta_pct: pct(compared.mean, s.published.mean),
      compared_runs: compared.runs,
      compared_mean_mbps: compared.mean,
      delta_all_runs_pct: pct(sum.mean, s.published.mean),
      vs_baseline_pct: base === undefined || s.variant === 'baseline' ? null : (100 * (sum.mean - base)) / base,
      bottleneck: median.bottleneck,
      median_run: medianRun,
      ...(median.timeline === undefined ? {} : { timeline: median.timeline }),
      runs_tx_queue_share: rs.map((r) => r.txQueueShare),
      one_queue_runs: rs.filter((r) => ranOnOneQueue(r.txQueueShare)).length,
      runs_stage: rs.map((r) => r.bottleneck.stage),
      runs_uneven_rx: rs.map((r) => r.bottleneck.unevenRx),
      runs_return_path: rs.map((r) => r.bottleneck.returnPath),
    };
  });
  const baseSeed = options.baseSeed ?? 1;
  return {
    profile: options.profileName,
    profile_digest: profileDigest(options.profileJson === undefined ? getProfile(options.profileName) : parseProfile(options.profileJson, options.profileName)),
    seed: baseSeed,
    run_seeds: Array.from({ length: options.runs }, (_, r) => runSeed(baseSeed, r)),
    date: new Date().toISOString(),
    mode: options.payload,
    runs: options.runs,
    duration_s: options.durationS,
    wall_s: wall,
    events,
    events_per_s: events / wall,
    sim_s_per_wall_s: simS / wall,
    workers,
    scenarios,
  };
}

function f1(x: number): string {
  return x.toFixed(1);
}

/**
 * The runs a published figure compares with, their count and mean (Mb/s): every run, or for a
 * figure measured with the flows distributed across the queues those whose streams used more
 * than one queue (every run if none did).
 */
export function comparedRuns(published: Scenario['published'], mbps: readonly number[], shares: readonly (readonly number[])[]): { readonly runs: number; readonly mean: number } {
  const spread = published.condition === 'flows-distributed' ? mbps.filter((_, i) => !ranOnOneQueue(shares[i] ?? [])) : mbps;
  const use = spread.length > 0 ? spread : mbps;
  return { runs: use.length, mean: summarize(use).mean };
}

/** (x − ref) / ref, %. */
function pct(x: number, ref: number): number {
  return (100 * (x - ref)) / ref;
}

/** `+1.2%` / `-0.7%`. */
function signed(p: number): string {
  return `${p >= 0 ? '+' : ''}${f1(p)}%`;
}

/**
 * Notes on multi-queue rows whose runs put all the traffic on one TX queue: iperf3's streams
 * pick a queue by their socket's random flow hash, so with S streams on Q queues all share one
 * queue in Q^(1-S) of the runs (1 in 8 for 4 streams on 2 queues), and such a run measures the
 * single-queue rate. The mean includes them, as a real 10-run series would.
 */
export function queueSpreadNotes(scenarios: readonly ScenarioResult[]): string[] {
  const hit = scenarios.filter((s) => s.one_queue_runs > 0);
  if (hit.length === 0) return [];
  const lines = ['', 'Runs on one TX queue (iperf3 streams pick a queue by their socket\'s random flow hash, sk_txhash; no XPS):'];
  for (const s of hit) {
    const onOne = (i: number): boolean => ranOnOneQueue(s.runs_tx_queue_share[i] ?? []);
    const one = s.runs_mbps.filter((_, i) => onOne(i));
    const spread = s.runs_mbps.filter((_, i) => !onOne(i));
    let rest = '';
    if (spread.length > 0) {
      const m = summarize(spread).mean;
      const d = (100 * (m - s.published_mbps)) / s.published_mbps;
      rest = `; the other ${spread.length}: mean ${f1(m)} (${d >= 0 ? '+' : ''}${f1(d)}% vs published)`;
    }
    lines.push(`  ${s.id.padEnd(16)} ${s.one_queue_runs} of ${s.runs_mbps.length} runs (${one.map(f1).join(', ')} Mb/s)${rest}`);
  }
  return lines;
}

/**
 * Notes on the runs in which one RX queue's CPU was saturated and another's left short: the
 * rate the second could have added is missing (how the streams hashed onto the sender's
 * queues, or their ACKs held up on the way back).
 */
export function unevenRxNotes(scenarios: readonly ScenarioResult[]): string[] {
  const hit = scenarios.flatMap((s) => s.runs_uneven_rx.flatMap((note, i) => (note === '' ? [] : [`  ${s.id.padEnd(16)} run ${i + 1} (${f1(s.runs_mbps[i] ?? NaN)} Mb/s): ${note}`])));
  return hit.length === 0 ? [] : ['', 'Runs with an RX CPU left short while another was saturated:', ...hit];
}

/**
 * Notes on the runs whose ACKs queued on the way back (`runs_return_path`), with the mean of the
 * row's other compared runs against the published figure: the receiving board's own TX queue
 * carries them, its ring drains only as the peer takes frames out, and a stopped queue waits for
 * its tx_timer; the senders see the ACKs that much later and their windows bound the rate.
 */
export function returnPathNotes(scenarios: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const s of scenarios) {
    const held = (i: number): boolean => (s.runs_return_path[i] ?? '') !== '';
    if (!s.runs_mbps.some((_, i) => held(i))) continue;
    s.runs_mbps.forEach((mbps, i) => {
      if (held(i)) lines.push(`  ${s.id.padEnd(16)} run ${i + 1} (${f1(mbps)} Mb/s): ${s.runs_return_path[i] ?? ''}`);
    });
    const compared = (i: number): boolean => s.published.condition !== 'flows-distributed' || !ranOnOneQueue(s.runs_tx_queue_share[i] ?? []);
    const rest = s.runs_mbps.filter((_, i) => compared(i) && !held(i));
    if (rest.length > 0) {
      const m = summarize(rest).mean;
      lines.push(`  ${s.id.padEnd(16)} the other ${rest.length}${s.published.condition === 'flows-distributed' ? ' on several queues' : ''}: mean ${f1(m)} Mb/s (${signed(pct(m, s.published_mbps))} vs published)`);
    }
  }
  return lines.length === 0 ? [] : ['', "Runs whose ACKs queued on the way back (the receiving board's own ntb0 TX queue; its ring drains as the peer takes frames out, a stopped queue waits for its tx_timer):", ...lines];
}

/** The width the terminal tables keep to (columns). */
export const TERM_WIDTH = 100;

/**
 * `tokens` joined by `joiner` after `prefix`, as lines of at most TERM_WIDTH columns: a line that
 * would grow past it is broken between tokens, the next indented by `indent` spaces (a token too
 * long for a line of its own is cut). No line ends in a space.
 */
export function wrapTokens(prefix: string, tokens: readonly string[], joiner: string, indent: number): string[] {
  const width = TERM_WIDTH;
  const lines: string[] = [];
  const pad = ' '.repeat(indent);
  let cur = prefix;
  let empty = true;
  for (let tok of tokens) {
    if (tok === '') continue;
    if (!empty && (cur + joiner + tok).length <= width) {
      cur += joiner + tok;
      continue;
    }
    if (empty && (cur + tok).length <= width) {
      cur += tok;
      empty = false;
      continue;
    }
    if (cur.trim() !== '') lines.push(cur.trimEnd());
    while (pad.length + tok.length > width) {
      lines.push(pad + tok.slice(0, width - pad.length));
      tok = tok.slice(width - pad.length);
    }
    cur = pad + tok;
    empty = false;
  }
  if (cur.trim() !== '') lines.push(cur.trimEnd());
  return lines;
}

/** `text` after `prefix`, wrapped at spaces to TERM_WIDTH columns, continuation lines indented by `indent`. */
export function wrapText(prefix: string, text: string, indent: number): string[] {
  return wrapTokens(prefix, text.split(' '), ' ', indent);
}

/** `+1.2%` / `-0.7%`: a signed percentage as the tables print it. */
export function signedPct(p: number): string {
  return signed(p);
}

/**
 * What a row's Δ is over, when not every run: for a figure measured with the flows distributed
 * across the queues, the runs whose flows used several queues, their mean, every run's Δ and the
 * other published figure's; null when Δ is over every run.
 */
export function deltaBasisNote(s: ScenarioResult): string | null {
  if (s.published.condition !== 'flows-distributed') return null;
  const also = s.published.also === undefined ? '' : `; v3 published ${s.published.also.value}: ${signed(pct(s.compared_mean_mbps, s.published.also.value))}`;
  return `Δ over the ${s.compared_runs} of ${s.runs_mbps.length} runs whose flows used several queues, as published (mean ${f1(s.compared_mean_mbps)} Mb/s); all runs ${signed(s.delta_all_runs_pct)}${also}`;
}

/** The SD of a row as printed: `n/a` for a single run. */
export function sdCell(sd: number, runs: number): string {
  return runs < 2 || Number.isNaN(sd) ? 'n/a' : sd.toFixed(2);
}

/** The seed's table with the published figures beside each row, and the bottlenecks (lines of at most TERM_WIDTH columns). */
export function formatTable(rep: ReproduceReport): string {
  const head = `${'scenario'.padEnd(16)} ${'mean'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'median'.padStart(7)} ${'SD'.padStart(6)} ${'vs base'.padStart(8)} │ ${'published'.padStart(9)} ${'Δ'.padStart(7)}  (Mb/s)`;
  const lines = [head, '─'.repeat(head.length)];
  // Notes of a row go on continuation lines under its numbers.
  const noteIndent = 17;
  for (const s of rep.scenarios) {
    const vs = s.vs_baseline_pct === null ? '' : signed(s.vs_baseline_pct);
    lines.push(`${s.id.padEnd(16)} ${f1(s.mean_mbps).padStart(7)} ${f1(s.min_mbps).padStart(7)} ${f1(s.max_mbps).padStart(7)} ${f1(s.median_mbps).padStart(7)} ${sdCell(s.sd_mbps, s.runs_mbps.length).padStart(6)} ${vs.padStart(8)} │ ${String(s.published_mbps).padStart(9)} ${signed(s.delta_pct).padStart(7)}`);
    const basis = deltaBasisNote(s);
    if (basis !== null) lines.push(...wrapText(' '.repeat(noteIndent), basis, noteIndent + 2));
    if (s.published.sd !== undefined) lines.push(...wrapText(' '.repeat(noteIndent), `published: min ${s.published.min ?? ''} max ${s.published.max ?? ''} med ${s.published.median ?? ''} SD ${s.published.sd}`, noteIndent + 2));
  }
  // A note line: a paragraph, or an item `  ID  text` whose text wraps under itself.
  const para = (l: string): string[] => {
    const item = /^(\s+\S+\s+)(.*)$/.exec(l);
    if (l === '') return [''];
    return item === null ? wrapText('', l, 2) : wrapText(item[1] ?? '', item[2] ?? '', Math.min((item[1] ?? '').length, 40));
  };
  if (rep.profile !== 'rcar-s4') lines.push('', ...para(`The published figures were measured on two R-Car S4 boards; on the ${rep.profile} profile the Δ column is how far this platform's prediction is from them, not a model error.`));
  lines.push(...queueSpreadNotes(rep.scenarios).flatMap(para));
  lines.push(...unevenRxNotes(rep.scenarios).flatMap(para));
  lines.push(...returnPathNotes(rep.scenarios).flatMap(para));
  lines.push('');
  lines.push('Bottleneck per scenario (median run): board, CPU, busy %, stage');
  for (const s of rep.scenarios) {
    const b = s.bottleneck;
    const prefix = `  ${s.id.padEnd(16)} ${b.board} cpu${b.cpu} ${b.busyPct.toFixed(0).padStart(3)}%  `;
    lines.push(...wrapText(prefix, b.stage, prefix.length));
    for (const board of ['rc', 'ep'] as const) {
      const cpus = b.cpus[board].map((c) => `cpu${c.cpu} ${c.busy.toFixed(0)}% (si ${c.softirq.toFixed(0)} hi ${c.hardirq.toFixed(0)} sy ${(c.kthread + c.user).toFixed(0)} us 0)`);
      lines.push(...wrapTokens(`      ${board}: `, cpus.length === 0 ? ['idle'] : cpus, ', ', 10));
    }
  }
  lines.push('');
  lines.push(...wrapText('', `${rep.scenarios.reduce((n, s) => n + s.runs_mbps.length, 0)} runs × ${rep.duration_s} s simulated in ${rep.wall_s.toFixed(1)} s wall on ${rep.workers} workers (${rep.mode} mode): ${(rep.events_per_s / 1e6).toFixed(2)} M events/s, ${rep.sim_s_per_wall_s.toFixed(1)} simulated s per wall s`, 2));
  return lines.join('\n');
}
