/**
 * `ntb-bench faults`: run every fault scenario and report the fault × invariant matrix as
 * text, as JSON (`bench-results/faults.json` by default) and as an HTML section for the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { esc, PAGE_HEAD } from '../reproduce/report.js';
import { wrapText } from '../reproduce/reproduce.js';
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

/** What the marks mean (the legend of the text and the HTML). */
export const FAULTS_LEGEND: readonly (readonly [string, string])[] = [
  ['PASS', 'the invariant held'],
  ['FAIL', 'it did not (the details follow the matrix)'],
  ['-', 'n/a: the scenario does not check it, or the known kernel weakness it shows wedged the traffic it needs (see known-weakness), or that weakness is a race this seed did not hit'],
  ['known-weakness', 'PASS when a known kernel weakness shows with the fix off, and stays away with the fix on, as expected'],
];

/** Scenarios whose known-weakness verdict is a kernel weakness shown (fix off) and one shown absent (fix on). */
export function weaknessCounts(report: FaultsReport): { readonly shown: number; readonly fixed: number } {
  const kw = report.results.map((r) => r.invariants['known-weakness']);
  return { shown: kw.filter((v) => v.status === 'pass' && v.detail.startsWith('shown')).length, fixed: kw.filter((v) => v.status === 'pass' && v.detail.startsWith('absent')).length };
}

/** `30/30 scenarios pass; 10 known kernel weaknesses shown with the fix off, 7 absent with the fix on`. */
export function faultsSummary(report: FaultsReport): string {
  const { shown, fixed } = weaknessCounts(report);
  const weak = shown === 0 && fixed === 0 ? '' : `; ${shown} known kernel weakness${shown === 1 ? '' : 'es'} shown with the fix off, ${fixed} absent with the fix on`;
  return `${report.passed}/${report.results.length} scenarios pass${weak}`;
}

/** A column heading over two lines, split at the hyphen that balances them (`no-throw-` / `no-hang`). */
function twoLines(name: string): [string, string] {
  let best: [string, string] = [name, ''];
  for (let i = name.indexOf('-'); i >= 0; i = name.indexOf('-', i + 1)) {
    const cand: [string, string] = [name.slice(0, i + 1), name.slice(i + 1)];
    if (Math.max(cand[0].length, cand[1].length) < Math.max(best[0].length, best[1].length)) best = cand;
  }
  return best;
}

/** The matrix as text (one row per scenario, one column per invariant, headings over two lines to keep within TERM_WIDTH), a legend, the summary, then the failures' details. */
export function faultsText(report: FaultsReport): string {
  const idW = Math.max(8, ...report.results.map((r) => r.id.length));
  const heads = report.invariants.map(twoLines);
  const cols = heads.map(([a, b]) => Math.max(a.length, b.length, 4));
  const line = (id: string, cells: readonly string[]): string => `${id.padEnd(idW)}  ${cells.map((c, k) => c.padEnd(cols[k] ?? 4)).join('  ')}`.trimEnd();
  let out = `${line('', heads.map((h) => h[0]))}\n${line('scenario', heads.map((h) => h[1]))}\n`;
  for (const r of report.results) out += `${line(r.id, report.invariants.map((i) => MARK[r.invariants[i].status] ?? '?'))}\n`;
  out += '\n';
  for (const [mark, what] of FAULTS_LEGEND) out += `${wrapText(`${mark.padEnd(14)}  `, what, 16).join('\n')}\n`;
  out += `\n${wrapText('', `${faultsSummary(report)} (seed ${report.seed}, ${(report.wallMs / 1000).toFixed(1)} s)`, 2).join('\n')}\n`;
  for (const r of report.results) {
    for (const i of report.invariants) if (r.invariants[i].status === 'fail') out += `${wrapText('', `FAIL ${r.id} ${i}: ${r.invariants[i].detail}`, 4).join('\n')}\n`;
  }
  return out;
}

const FAULTS_STYLE =
  '<style>#faults table{border-collapse:collapse}#faults td,#faults th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:left;vertical-align:top}#faults th{background:#f5f5f5}#faults td.pass,#faults td.fail,#faults td.na{text-align:center;font-weight:600}#faults td.pass{background:#d8f5d0;color:#1d4d12}#faults td.fail{background:#f8d0d0;color:#7a0000}#faults td.na{color:#555;background:#fff}#faults .desc{display:block;font-size:12px;color:#444;font-weight:normal;max-width:34em}#faults .legend{font-size:13px}#faults .legend dt{display:inline;font-weight:600}#faults .legend dd{display:inline;margin:0 1em 0 .3em}</style>';

/** The matrix as an HTML section: the summary, a legend, the table (each scenario's fault and what it does; each cell's title holds what was measured), the failures. */
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
      return `<tr><th scope="row">${esc(r.id)}</th><td>${esc(r.fault)}<span class="desc">${esc(r.title)}</span></td>${cells}</tr>`;
    })
    .join('\n');
  const measured = report.results
    .map((r) => {
      const items = report.invariants.map((i) => `<dt>${esc(i)}: ${esc(MARK[r.invariants[i].status] ?? '?')}</dt><dd>${esc(r.invariants[i].detail)}</dd>`).join('');
      return `<details><summary><code>${esc(r.id)}</code> ${r.pass ? 'pass' : 'FAIL'}</summary><dl>${items}</dl></details>`;
    })
    .join('\n');
  const fails = report.results.flatMap((r) => report.invariants.filter((i) => r.invariants[i].status === 'fail').map((i) => `<li><code>${esc(r.id)}</code> ${esc(i)}: ${esc(r.invariants[i].detail)}</li>`));
  const legend = FAULTS_LEGEND.map(([m, what]) => `<dt class="${m === 'PASS' ? 'pass' : m === 'FAIL' ? 'fail' : m === '-' ? 'na' : ''}">${esc(m)}</dt><dd>${esc(what)}</dd>`).join('');
  return [
    '<section id="faults">',
    '<h2>Faults and invariants</h2>',
    `<p id="faults-summary"><b>${esc(faultsSummary(report))}</b> (seed ${report.seed}): every applicable invariant held in ${report.passed} of ${report.results.length} scenarios. Hover a cell, or open a scenario under the table, for what was measured.</p>`,
    FAULTS_STYLE,
    `<dl class="legend">${legend}</dl>`,
    `<div class="scroll"><table><thead><tr><th>scenario</th><th>fault</th>${head}</tr></thead><tbody>`,
    rows,
    '</tbody></table></div>',
    fails.length === 0 ? '' : `<ul>${fails.join('')}</ul>`,
    `<div id="faults-measured"><h3>What was measured</h3>\n${measured}</div>`,
    '</section>',
  ].join('\n');
}

/** `faults.html`: the matrix on its own page, in the style of report.html. */
export function faultsPage(report: FaultsReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ntbsim faults</title>
${PAGE_HEAD}
</head><body>
<h1>ntbsim: faults and invariants</h1>
${faultsHtml(report)}
</body></html>
`;
}
