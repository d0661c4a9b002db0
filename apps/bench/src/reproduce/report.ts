/**
 * `bench-results/report.html`: a self-contained page (no network, no scripts needed to read
 * it) with the reproduce table, an SVG chart of throughput per scenario with every run and the
 * published value, per-scenario CPU utilisation breakdowns by context kind, and a timeline of
 * the median run of each scenario (what ran on which CPU over TIMELINE_NS).
 */
import type { CpuLoad } from './bottleneck.js';
import { deltaBasisNote, queueSpreadNotes, ranOnOneQueue, returnPathNotes, sdCell, unevenRxNotes, type ReproduceReport, type ScenarioResult } from './reproduce.js';

/** Text or attribute value escaped for HTML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The style of the bench's HTML pages (report.html, sweep.html, faults.html). */
export const PAGE_STYLE =
  '<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;line-height:1.35}@media (max-width:640px){body{margin:.75em}h1{font-size:1.4em}}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:right}td:first-child,td:last-child,th:first-child,th:last-child{text-align:left}td:first-child{white-space:nowrap}th{background:#f5f5f5}.scroll{overflow-x:auto;max-width:100%}svg.chart{display:block;width:100%;height:auto}.note{font-size:13px;color:#333}tr.failed td{background:#fbe4e4}.banner{border:1px solid #c9a227;background:#fff4cc;padding:6px 10px;font-size:14px}</style>';

/** What goes in every page's head: the viewport (narrow screens) and PAGE_STYLE. */
export const PAGE_HEAD = `<meta name="viewport" content="width=device-width, initial-scale=1">\n${PAGE_STYLE}`;

/** The opening tag of a chart `w` × `h`: drawn in a viewBox, so it scales down to a narrow page. */
export function svgOpen(attrs: string, w: number, h: number, cls = ''): string {
  return `<svg${attrs === '' ? '' : ` ${attrs}`} class="chart${cls === '' ? '' : ` ${cls}`}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" style="max-width:${w}px"`;
}

/** `html` in a box that scrolls sideways when wider than the page. */
export function scrollBox(html: string): string {
  return `<div class="scroll">${html}</div>`;
}

/** A signed percentage, `+1.2%` / `-0.7%`. */
function signed(p: number): string {
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

const PROTO_COLOR = { tcp: '#4e79a7', udp: '#f28e2b' } as const;

/** The fill of the dots of runs whose ACKs queued on the way back (reproduce's `runs_return_path`, a sweep run's `return_path`). */
export const ACK_BOUND_COLOR = '#f1ce63';

/**
 * Throughput chart: a bar per scenario (mean of every run), a dot per run (hollow when its flows
 * all used one TX queue, yellow when its ACKs queued on the way back), a diamond for the mean the
 * Δ column is over when that is not every run, a red tick for the published value; a legend above.
 */
export function throughputSvg(scenarios: readonly ScenarioResult[]): string {
  const w = 760;
  const rowH = 34;
  const left = 150;
  const top = 44;
  const h = top + scenarios.length * rowH + 42;
  const axisY = top + scenarios.length * rowH;
  const max = Math.max(1, ...scenarios.flatMap((s) => [s.max_mbps, s.published_mbps])) * 1.1;
  const x = (v: number): number => left + ((w - left - 20) * v) / max;
  const parts: string[] = [];
  const step = max > 1000 ? 200 : 100;
  for (let t = 0; t <= max; t += step) {
    parts.push(`<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${axisY + 4}" stroke="#ddd"/><text class="tick" x="${x(t)}" y="${axisY + 17}" font-size="11" fill="#333" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${axisY + 4}" x2="${w - 20}" y2="${axisY + 4}" stroke="#888"/>`);
  parts.push(`<text class="axis-label" x="${(left + w - 20) / 2}" y="${axisY + 34}" font-size="12" fill="#222" text-anchor="middle">throughput (Mb/s)</text>`);
  scenarios.forEach((s, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 16}" font-size="12" text-anchor="end">${esc(s.id)}</text>`);
    parts.push(`<rect class="bar" x="${left}" y="${y + 4}" width="${x(s.mean_mbps) - left}" height="16" fill="${PROTO_COLOR[s.protocol]}" opacity="0.75"><title>${esc(s.id)} mean of ${s.runs_mbps.length} runs ${s.mean_mbps.toFixed(1)} Mb/s</title></rect>`);
    if (s.compared_runs !== s.runs_mbps.length) {
      const cx = x(s.compared_mean_mbps);
      parts.push(`<path class="compared" d="M${cx} ${y + 4}l6 8l-6 8l-6 -8z" fill="#222" opacity="0.7"><title>${esc(s.id)}: mean of the ${s.compared_runs} runs whose flows used several queues (the Δ column's basis): ${s.compared_mean_mbps.toFixed(1)} Mb/s</title></path>`);
    }
    s.runs_mbps.forEach((r, k) => {
      const one = ranOnOneQueue(s.runs_tx_queue_share[k] ?? []);
      const acks = (s.runs_return_path[k] ?? '') !== '';
      // Small vertical offsets so that runs of nearly equal rate stay apart.
      const cy = y + 12 + ((k % 5) - 2) * 2.5;
      const cls = ['run', ...(one ? ['one-queue'] : []), ...(acks ? ['ack-bound'] : [])].join(' ');
      const why = `${one ? ', its flows all on one TX queue' : ''}${acks ? `, its ACKs queued on the way back: ${s.runs_return_path[k] ?? ''}` : ''}`;
      parts.push(`<circle class="${cls}" cx="${x(r)}" cy="${cy}" r="3" fill="${one ? '#fff' : acks ? ACK_BOUND_COLOR : '#222'}" stroke="#222" stroke-width="1.2"><title>${esc(s.id)} run ${k + 1}: ${r.toFixed(1)} Mb/s${esc(why)}</title></circle>`);
    });
    parts.push(`<line class="published" x1="${x(s.published_mbps)}" y1="${y}" x2="${x(s.published_mbps)}" y2="${y + 24}" stroke="#e15759" stroke-width="3"><title>published ${s.published_mbps} Mb/s</title></line>`);
  });
  const legend = [
    `<rect x="10" y="6" width="14" height="10" fill="${PROTO_COLOR.tcp}" opacity="0.75"/><text x="28" y="15" font-size="11">TCP mean</text>`,
    `<rect x="100" y="6" width="14" height="10" fill="${PROTO_COLOR.udp}" opacity="0.75"/><text x="118" y="15" font-size="11">UDP mean</text>`,
    '<circle cx="196" cy="11" r="3" fill="#222" stroke="#222"/><text x="204" y="15" font-size="11">run</text>',
    '<circle cx="242" cy="11" r="3" fill="#fff" stroke="#222" stroke-width="1.2"/><text x="250" y="15" font-size="11">run on one TX queue</text>',
    '<path d="M376 3l6 8l-6 8l-6 -8z" fill="#222"/><text x="388" y="15" font-size="11">mean the Δ is over (runs on several queues)</text>',
    '<line x1="662" y1="3" x2="662" y2="19" stroke="#e15759" stroke-width="3"/><text x="670" y="15" font-size="11">published</text>',
    `<circle cx="196" cy="29" r="3" fill="${ACK_BOUND_COLOR}" stroke="#222" stroke-width="1.2"/><text x="204" y="33" font-size="11">run whose ACKs queued on the way back (its streams window-bound)</text>`,
  ];
  return `${svgOpen('id="throughput"', w, h)} role="img" aria-label="throughput per scenario"><g class="legend">${legend.join('')}</g>${parts.join('')}</svg>`;
}

/** The colour of each context kind in the utilisation bars and the timelines. */
const KIND_COLORS = { softirq: '#59a14f', hardirq: '#e15759', kthread: '#76b7b2', user: '#edc948' } as const;

/** The legend of KIND_COLORS at the foot of a chart `h` high, from `left`. */
function kindLegend(left: number, h: number): string {
  return Object.entries(KIND_COLORS)
    .map(([k, c], i) => `<rect x="${left + i * 90}" y="${h - 14}" width="10" height="10" fill="${c}"/><text x="${left + i * 90 + 14}" y="${h - 5}" font-size="10">${k}</text>`)
    .join('');
}

/**
 * The median run's timeline: a row per CPU of each board that ran anything in the window, a
 * rectangle per run of a context coloured by its kind (runs of one context closer than half a
 * pixel drawn as one, their count and time in its title), on a 0–window ms scale.
 */
export function timelineSvg(s: ScenarioResult): string {
  const tl = s.timeline;
  if (tl === undefined) return '';
  const rows = (['ep', 'rc'] as const).flatMap((board) => Array.from({ length: tl.cpus[board] }, (_, cpu) => ({ board, cpu })).filter((r) => tl.slices.some((x) => x.board === r.board && x.cpu === r.cpu)));
  const left = 80;
  const plotW = 640;
  const w = left + plotW + 20;
  const rowH = 18;
  const top = 20;
  const h = top + Math.max(1, rows.length) * rowH + 34;
  const px = (ns: number): number => (plotW * Math.min(Math.max(ns, 0), tl.lenNs)) / tl.lenNs;
  const parts: string[] = [];
  const lenMs = tl.lenNs / 1e6;
  for (let t = 0; t <= lenMs + 1e-9; t += 10) {
    parts.push(`<line class="scale" x1="${left + px(t * 1e6)}" y1="${top - 4}" x2="${left + px(t * 1e6)}" y2="${top + rows.length * rowH}" stroke="#e3e3e3"/><text x="${left + px(t * 1e6)}" y="${top - 7}" font-size="10" fill="#333" text-anchor="middle">${t} ms</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y + 11}" font-size="11" text-anchor="end">${r.board} cpu${r.cpu}</text>`);
    let open: { name: string; kind: string; x0: number; x1: number; n: number; ns: number } | null = null;
    const flush = (): void => {
      if (open === null) return;
      const color = KIND_COLORS[open.kind as keyof typeof KIND_COLORS] ?? '#999';
      parts.push(`<rect class="slice" x="${(left + open.x0).toFixed(1)}" y="${y}" width="${Math.max(0.4, open.x1 - open.x0).toFixed(1)}" height="13" fill="${color}"><title>${esc(open.name)} (${open.kind}): ${open.n === 1 ? '' : `${open.n} runs, `}${(open.ns / 1000).toFixed(1)} µs</title></rect>`);
      open = null;
    };
    for (const x of tl.slices) {
      if (x.board !== r.board || x.cpu !== r.cpu) continue;
      const x0 = px(x.startNs);
      const x1 = px(x.startNs + x.durNs);
      if (open !== null && open.name === x.name && open.kind === x.kind && x0 - open.x1 < 0.5) {
        open.x1 = x1;
        open.n++;
        open.ns += x.durNs;
        continue;
      }
      flush();
      open = { name: x.name, kind: x.kind, x0, x1, n: 1, ns: x.durNs };
    }
    flush();
  });
  parts.push(`<text x="${left}" y="${h - 20}" font-size="10" fill="#333">${(tl.fromNs / 1e9).toFixed(3)} s into the test</text>`);
  return `${svgOpen('', w, h, 'timeline-chart')} role="img" aria-label="timeline ${esc(s.id)}">${parts.join('')}${kindLegend(left + 150, h)}</svg>`;
}

/** Stacked utilisation bars of the busy CPUs of both boards for one scenario, on a 0–100 % scale. */
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
  const top = 18;
  const rows = Math.max(1, cpus.length) * rowH;
  const h = top + rows + 30;
  const x = (v: number): number => (barW * v) / 100;
  const colors = KIND_COLORS;
  const parts: string[] = [];
  for (const t of [0, 25, 50, 75, 100]) {
    parts.push(`<line class="scale" x1="${left + x(t)}" y1="${top - 4}" x2="${left + x(t)}" y2="${top + rows - 4}" stroke="${t === 0 || t === 100 ? '#999' : '#e3e3e3'}"/><text x="${left + x(t)}" y="${top - 7}" font-size="10" fill="#333" text-anchor="middle">${t}%</text>`);
  }
  cpus.forEach(({ label, load }, i) => {
    const y = top + i * rowH;
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
  const legend = kindLegend(left, h);
  return `${svgOpen('', w, h, 'util-chart')} role="img" aria-label="CPU utilisation ${esc(s.id)}">${parts.join('')}${legend}</svg>`;
}

/** Notes of the text report (a heading line, then items) as a paragraph with `id` and a list, or nothing. */
function notesHtml(id: string, notes: readonly string[]): string {
  const [head, ...items] = notes.filter((l) => l !== '');
  if (head === undefined) return '';
  return `<p id="${id}">${esc(head)}</p><ul>${items.map((l) => `<li>${esc(l.trim())}</li>`).join('')}</ul>`;
}

/** The runs on one TX queue (`queueSpreadNotes`), those with an RX CPU left short (`unevenRxNotes`) and those whose ACKs queued on the way back (`returnPathNotes`). */
function spreadNotes(rep: ReproduceReport): string {
  return notesHtml('queue-spread', queueSpreadNotes(rep.scenarios)) + notesHtml('uneven-rx', unevenRxNotes(rep.scenarios)) + notesHtml('return-path', returnPathNotes(rep.scenarios));
}

/** The notes on the rows whose Δ is not over every run: its basis, every run's Δ, the other published figure. */
function deltaNotesHtml(rep: ReproduceReport): string {
  const items = rep.scenarios.flatMap((s) => {
    const note = deltaBasisNote(s);
    return note === null ? [] : [`<li><b>${esc(s.id)}</b>: ${esc(note)}</li>`];
  });
  return items.length === 0 ? '' : `<div id="delta-notes" class="note"><p>† Δ against a figure measured with the flows distributed across the queues:</p><ul>${items.join('')}</ul></div>`;
}

/** Under the chart: where a bar (every run) and the diamond (the runs Δ is over) differ, both values. */
function chartNotesHtml(rep: ReproduceReport): string {
  const items = rep.scenarios.flatMap((s) =>
    s.compared_runs === s.runs_mbps.length
      ? []
      : [`<li><b>${esc(s.id)}</b>: bar = mean of all ${s.runs_mbps.length} runs, ${s.mean_mbps.toFixed(1)} Mb/s (${signed(s.delta_all_runs_pct)} vs published ${s.published_mbps}); ◆ = mean of the ${s.compared_runs} runs whose flows used several queues, ${s.compared_mean_mbps.toFixed(1)} Mb/s (Δ ${signed(s.delta_pct)}); hollow dots: runs on one TX queue; yellow dots: runs whose ACKs queued on the way back</li>`],
  );
  return items.length === 0 ? '' : `<ul id="throughput-notes" class="note">${items.join('')}</ul>`;
}

/** The whole report page. */
export function reportHtml(rep: ReproduceReport, extraSections = ''): string {
  const rows = rep.scenarios
    .map((s) => {
      const basis = deltaBasisNote(s);
      return `<tr><td>${esc(s.id)}</td><td>${s.mean_mbps.toFixed(1)}</td><td>${s.min_mbps.toFixed(1)}</td><td>${s.max_mbps.toFixed(1)}</td><td>${s.median_mbps.toFixed(1)}</td><td>${sdCell(s.sd_mbps, s.runs_mbps.length)}</td><td>${s.vs_baseline_pct === null ? '' : signed(s.vs_baseline_pct)}</td><td>${s.published_mbps}</td><td${basis === null ? '' : ` title="${esc(basis)}"`}>${signed(s.delta_pct)}${basis === null ? '' : '<sup>†</sup>'}</td><td>${s.queues > 1 ? `${s.one_queue_runs}/${s.runs_mbps.length}` : ''}</td><td>${esc(s.bottleneck.board)} cpu${s.bottleneck.cpu} ${s.bottleneck.busyPct.toFixed(0)}%: ${esc(s.bottleneck.stage)}</td></tr>`;
    })
    .join('\n');
  const utils = rep.scenarios.map((s) => `<h3>${esc(s.id)}</h3>${utilisationSvg(s)}`).join('\n');
  const timelines = rep.scenarios.filter((s) => s.timeline !== undefined);
  const timelineSection =
    timelines.length === 0
      ? ''
      : `<h2>When: ${((timelines[0]?.timeline?.lenNs ?? 0) / 1e6).toFixed(0)} ms of each median run, CPU by CPU</h2>\n<p class="note">What ran on each CPU that ran anything, from the kernel model's trace of the middle of the run's steady state (hover a slice for the context and its time). The RX tasklet's runs (<code>ntb_transport rxc_db qpN</code>, up to <code>rx_max_entry</code> frames each) fill the RC CPU that takes the doorbell interrupt, NET_RX between them; with per-bit doorbells and the vectors spread, two CPUs do so. On the EP the frames' <code>memcpy_toio</code> runs in NET_TX and the TCP small queues tasklet (<code>tsq</code>) for TCP, in the iperf3 sender's system call for UDP. The same view of any run, with counters of the TX queues: <code>ntb-bench --trace FILE --trace-format chrome</code>, opened in ui.perfetto.dev.</p>\n${timelines.map((s) => `<h3>${esc(s.id)}</h3>${timelineSvg(s)}`).join('\n')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ntbsim reproduce — ${esc(rep.profile)}</title>
${PAGE_HEAD}
</head><body>
<h1>ntbsim: reproducing the R-Car S4 ntb_netdev results</h1>
<p>Profile <b>${esc(rep.profile)}</b>, ${rep.runs} runs per scenario × ${rep.duration_s} s simulated, ${rep.mode} mode; ${rep.wall_s.toFixed(1)} s wall on ${rep.workers} workers, ${(rep.events_per_s / 1e6).toFixed(2)} M events/s.</p>
${scrollBox(`<table id="results"><thead><tr><th>scenario</th><th>mean (Mb/s)</th><th>min (Mb/s)</th><th>max (Mb/s)</th><th>median (Mb/s)</th><th>SD (Mb/s)</th><th>vs baseline</th><th>published (Mb/s)</th><th title="against the published figure; for one measured with the flows distributed across the queues, over the runs whose flows used several queues">Δ</th><th title="runs in which one TX queue carried ≥ 95 % of the bytes (iperf3 streams hashed onto one queue)">runs on one queue</th><th>bottleneck (median run)</th></tr></thead>
<tbody>
${rows}
</tbody></table>`)}
${deltaNotesHtml(rep)}
${spreadNotes(rep)}
<h2>Throughput per scenario (Mb/s)</h2>
${throughputSvg(rep.scenarios)}
${chartNotesHtml(rep)}
<h2>Where the time went: busy CPUs by context kind</h2>
${utils}
${timelineSection}
${extraSections}
</body></html>
`;
}
