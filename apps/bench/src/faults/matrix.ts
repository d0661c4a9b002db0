/**
 * `ntb-bench faults`: run every fault scenario and report the fault × invariant matrix as
 * text, as JSON (`bench-results/faults.json` by default) and as an HTML section for the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { esc } from '../reproduce/report.js';
import { faultScenarios } from './catalog.js';
import { INVARIANTS, runScenario, type InvariantName, type ScenarioResult } from './scenario.js';

/** Options of `runFaults`. */
export interface FaultsOptions {
  /** RNG seed of every scenario. Default 1. */
  readonly seed?: number;
  /** Only the scenarios whose id contains one of these strings. Default: all. */
  readonly only?: readonly string[];
  /** Where to write the JSON report; null to skip. Default `bench-results/faults.json`. */
  readonly jsonPath?: string | null;
  /** Called after each scenario (progress). */
  readonly onResult?: (r: ScenarioResult) => void;
}

/** The fault matrix. */
export interface FaultsReport {
  /** Seed used. */
  readonly seed: number;
  /** The invariants (matrix columns). */
  readonly invariants: readonly InvariantName[];
  /** One row per scenario. */
  readonly results: readonly ScenarioResult[];
  /** Scenarios with every applicable invariant passing. */
  readonly passed: number;
  /** Scenarios with a failing invariant. */
  readonly failed: number;
  /** Wall-clock time (ms). */
  readonly wallMs: number;
}

/** Run the scenarios and write the JSON report. */
export function runFaults(options: FaultsOptions = {}): Promise<FaultsReport> {
  const seed = options.seed ?? 1;
  const wall0 = performance.now();
  const only = options.only ?? [];
  const scenarios = faultScenarios().filter((s) => only.length === 0 || only.some((o) => s.id.includes(o)));
  const results: ScenarioResult[] = [];
  for (const sc of scenarios) {
    const r = runScenario(sc, seed);
    results.push(r);
    options.onResult?.(r);
  }
  const passed = results.filter((r) => r.pass).length;
  const report: FaultsReport = { seed, invariants: INVARIANTS, results, passed, failed: results.length - passed, wallMs: performance.now() - wall0 };
  const path = options.jsonPath === undefined ? 'bench-results/faults.json' : options.jsonPath;
  if (path !== null) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  }
  return Promise.resolve(report);
}

const MARK: Record<string, string> = { pass: 'PASS', fail: 'FAIL', 'n/a': '-' };

/** The matrix as text (one row per scenario, one column per invariant), then the failures' details. */
export function faultsText(report: FaultsReport): string {
  const idW = Math.max(8, ...report.results.map((r) => r.id.length));
  const cols = report.invariants.map((i) => Math.max(i.length, 4));
  let out = `${'scenario'.padEnd(idW)}  ${report.invariants.map((i, k) => i.padEnd(cols[k] ?? 4)).join('  ')}\n`;
  for (const r of report.results) out += `${r.id.padEnd(idW)}  ${report.invariants.map((i, k) => (MARK[r.invariants[i].status] ?? '?').padEnd(cols[k] ?? 4)).join('  ')}\n`;
  out += `\n${report.passed}/${report.results.length} scenarios pass (seed ${report.seed}, ${(report.wallMs / 1000).toFixed(1)} s)\n`;
  for (const r of report.results) {
    for (const i of report.invariants) if (r.invariants[i].status === 'fail') out += `FAIL ${r.id} ${i}: ${r.invariants[i].detail}\n`;
  }
  return out;
}

/** The matrix as an HTML section (a table; each cell's title holds what was measured). */
export function faultsHtml(report: FaultsReport): string {
  const head = report.invariants.map((i) => `<th>${esc(i)}</th>`).join('');
  const rows = report.results
    .map((r) => {
      const cells = report.invariants
        .map((i) => {
          const v = r.invariants[i];
          return `<td class="${v.status === 'n/a' ? 'na' : v.status}" title="${esc(v.detail)}">${esc(MARK[v.status] ?? '?')}</td>`;
        })
        .join('');
      return `<tr><th scope="row" title="${esc(r.title)}">${esc(r.id)}</th><td>${esc(r.fault)}</td>${cells}</tr>`;
    })
    .join('\n');
  const fails = report.results.flatMap((r) => report.invariants.filter((i) => r.invariants[i].status === 'fail').map((i) => `<li><code>${esc(r.id)}</code> ${esc(i)}: ${esc(r.invariants[i].detail)}</li>`));
  return [
    '<section id="faults">',
    '<h2>Faults and invariants</h2>',
    `<p>${report.passed} of ${report.results.length} scenarios pass every applicable invariant (seed ${report.seed}). Hover a cell for what was measured.</p>`,
    '<style>#faults td.pass{background:#d8f5d0}#faults td.fail{background:#f8d0d0}#faults td.na{color:#999}#faults table{border-collapse:collapse}#faults td,#faults th{border:1px solid #ccc;padding:2px 6px}</style>',
    `<table><thead><tr><th>scenario</th><th>fault</th>${head}</tr></thead><tbody>`,
    rows,
    '</tbody></table>',
    fails.length === 0 ? '' : `<ul>${fails.join('')}</ul>`,
    '</section>',
  ].join('\n');
}
