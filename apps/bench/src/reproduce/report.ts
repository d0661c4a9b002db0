/**
 * `bench-results/report.html`: a self-contained page (no network, no scripts needed to read
 * it) with the reproduce table, an SVG chart of throughput per scenario with every run and the
 * published value, and per-scenario CPU utilisation breakdowns by context kind.
 */
import type { CpuLoad } from './bottleneck.js';
import { queueSpreadNotes, unevenRxNotes, type ReproduceReport, type ScenarioResult } from './reproduce.js';

/** Text or attribute value escaped for HTML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The style of the bench's HTML pages (report.html, sweep.html). */
export const PAGE_STYLE =
  '<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:right}td:first-child,td:last-child{text-align:left}</style>';

/** Throughput chart: a bar per scenario (mean), dots per run, a tick for the published value. */
export function throughputSvg(scenarios: readonly ScenarioResult[]): string {
  const w = 760;
  const rowH = 34;
  const left = 150;
  const h = scenarios.length * rowH + 40;
  const max = Math.max(1, ...scenarios.flatMap((s) => [s.max_mbps, s.published_mbps])) * 1.1;
  const x = (v: number): number => left + ((w - left - 20) * v) / max;
  const parts: string[] = [];
  for (let t = 0; t <= max; t += max > 1000 ? 200 : 100) {
    parts.push(`<line x1="${x(t)}" y1="10" x2="${x(t)}" y2="${h - 25}" stroke="#ddd"/><text x="${x(t)}" y="${h - 10}" font-size="10" text-anchor="middle">${t}</text>`);
  }
  scenarios.forEach((s, i) => {
    const y = 14 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 14}" font-size="12" text-anchor="end">${esc(s.id)}</text>`);
    parts.push(`<rect class="bar" x="${left}" y="${y + 4}" width="${x(s.mean_mbps) - left}" height="16" fill="${s.protocol === 'tcp' ? '#4e79a7' : '#f28e2b'}" opacity="0.75"><title>${esc(s.id)} mean ${s.mean_mbps.toFixed(1)} Mb/s</title></rect>`);
    for (const r of s.runs_mbps) parts.push(`<circle cx="${x(r)}" cy="${y + 12}" r="2.5" fill="#222"/>`);
    parts.push(`<line x1="${x(s.published_mbps)}" y1="${y}" x2="${x(s.published_mbps)}" y2="${y + 24}" stroke="#e15759" stroke-width="3"><title>published ${s.published_mbps} Mb/s</title></line>`);
  });
  parts.push(`<text x="${left}" y="${h - 10 + 0}" font-size="10" dx="-140">Mb/s</text>`);
  return `<svg id="throughput" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="throughput per scenario">${parts.join('')}</svg>`;
}

/** Stacked utilisation bars of the busy CPUs of both boards for one scenario. */
export function utilisationSvg(s: ScenarioResult): string {
  const cpus: { label: string; load: CpuLoad }[] = [];
  for (const board of ['ep', 'rc'] as const) for (const l of s.bottleneck.cpus[board]) cpus.push({ label: `${board} cpu${l.cpu}`, load: l });
  const left = 80;
  const barW = 300;
  // The busy % and the busiest context go in a column right of the bars, wide enough for the
  // longest context names (a saturated CPU's label must not run off the chart).
  const labelX = left + barW + 6;
  const w = labelX + 280;
  const rowH = 20;
  const h = Math.max(1, cpus.length) * rowH + 30;
  const x = (v: number): number => (barW * v) / 100;
  const colors = { softirq: '#59a14f', hardirq: '#e15759', kthread: '#76b7b2', user: '#edc948' } as const;
  const parts: string[] = [];
  cpus.forEach(({ label, load }, i) => {
    const y = 8 + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y + 12}" font-size="11" text-anchor="end">${label}</text>`);
    let at = left;
    for (const k of ['softirq', 'hardirq', 'kthread', 'user'] as const) {
      const width = x(load[k]);
      if (width <= 0) continue;
      parts.push(`<rect class="util" x="${at}" y="${y}" width="${width}" height="14" fill="${colors[k]}"><title>${label} ${k} ${load[k].toFixed(1)}%</title></rect>`);
      at += width;
    }
    parts.push(`<text x="${labelX}" y="${y + 12}" font-size="10">${load.busy.toFixed(0)}%${load.top === null ? '' : ` ${esc(load.top.name)}`}</text>`);
  });
  const legend = Object.entries(colors)
    .map(([k, c], i) => `<rect x="${left + i * 90}" y="${h - 14}" width="10" height="10" fill="${c}"/><text x="${left + i * 90 + 14}" y="${h - 5}" font-size="10">${k}</text>`)
    .join('');
  return `<svg class="util-chart" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="CPU utilisation ${esc(s.id)}">${parts.join('')}${legend}</svg>`;
}

/** Notes of the text report (a heading line, then items) as a paragraph with `id` and a list, or nothing. */
function notesHtml(id: string, notes: readonly string[]): string {
  const [head, ...items] = notes.filter((l) => l !== '');
  if (head === undefined) return '';
  return `<p id="${id}">${esc(head)}</p><ul>${items.map((l) => `<li>${esc(l.trim())}</li>`).join('')}</ul>`;
}

/** The runs on one TX queue (`queueSpreadNotes`) and those with an RX CPU left short (`unevenRxNotes`). */
function spreadNotes(rep: ReproduceReport): string {
  return notesHtml('queue-spread', queueSpreadNotes(rep.scenarios)) + notesHtml('uneven-rx', unevenRxNotes(rep.scenarios));
}

/** The whole report page. */
export function reportHtml(rep: ReproduceReport, extraSections = ''): string {
  const rows = rep.scenarios
    .map(
      (s) =>
        `<tr><td>${esc(s.id)}</td><td>${s.mean_mbps.toFixed(1)}</td><td>${s.min_mbps.toFixed(1)}</td><td>${s.max_mbps.toFixed(1)}</td><td>${s.median_mbps.toFixed(1)}</td><td>${s.sd_mbps.toFixed(2)}</td><td>${s.vs_baseline_pct === null ? '' : `${s.vs_baseline_pct.toFixed(1)}%`}</td><td>${s.published_mbps}</td><td${s.compared_runs === s.runs_mbps.length ? '' : ` title="over the ${s.compared_runs} runs whose flows used several queues, as published; all runs ${s.delta_all_runs_pct.toFixed(1)}%"`}>${s.delta_pct.toFixed(1)}%</td><td>${s.queues > 1 ? `${s.one_queue_runs}/${s.runs_mbps.length}` : ''}</td><td>${esc(s.bottleneck.board)} cpu${s.bottleneck.cpu} ${s.bottleneck.busyPct.toFixed(0)}%: ${esc(s.bottleneck.stage)}</td></tr>`,
    )
    .join('\n');
  const utils = rep.scenarios.map((s) => `<h3>${esc(s.id)}</h3>${utilisationSvg(s)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ntbsim reproduce — ${esc(rep.profile)}</title>
${PAGE_STYLE}
</head><body>
<h1>ntbsim: reproducing the R-Car S4 ntb_netdev results</h1>
<p>Profile <b>${esc(rep.profile)}</b>, ${rep.runs} runs per scenario × ${rep.duration_s} s simulated, ${rep.mode} mode; ${rep.wall_s.toFixed(1)} s wall on ${rep.workers} workers, ${(rep.events_per_s / 1e6).toFixed(2)} M events/s.</p>
<table id="results"><thead><tr><th>scenario</th><th>mean</th><th>min</th><th>max</th><th>median</th><th>SD</th><th>vs baseline</th><th>published</th><th title="against the published figure; for one measured with the flows distributed across the queues, over the runs whose flows used several queues">Δ</th><th title="runs in which one TX queue carried ≥ 95 % of the bytes (iperf3 streams hashed onto one queue)">runs on one queue</th><th>bottleneck (median run)</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${spreadNotes(rep)}
<h2>Throughput per scenario (Mb/s): bar = mean, dots = runs, red tick = published</h2>
${throughputSvg(rep.scenarios)}
<h2>Where the time went: busy CPUs by context kind</h2>
${utils}
${extraSections}
</body></html>
`;
}
