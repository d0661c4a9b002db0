import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultsHtml, faultsText, runFaults, type FaultsReport } from '../../src/faults/matrix.js';

describe('the fault × invariant matrix', () => {
  let report: FaultsReport;
  const json = join(mkdtempSync(join(tmpdir(), 'faults-')), 'faults.json');

  it('runs every scenario and writes the JSON report', async () => {
    report = await runFaults({ jsonPath: json });
    const written = JSON.parse(readFileSync(json, 'utf8')) as FaultsReport;
    expect(written.results.map((r) => r.id)).toEqual(report.results.map((r) => r.id));
    expect(report.results.length).toBeGreaterThanOrEqual(15);
  }, 120_000);

  it('never throws, never corrupts or duplicates a byte, and accounts every loss, in every scenario', () => {
    const bad = report.results.flatMap((r) =>
      (['no-dup-no-corruption', 'loss-accounted', 'link-consistent'] as const).filter((i) => r.invariants[i].status !== 'pass').map((i) => `${r.id} ${i}: ${r.invariants[i].detail}`),
    );
    expect(bad).toEqual([]);
    expect(report.results.filter((r) => r.invariants['no-throw-no-hang'].detail.startsWith('threw')).map((r) => r.id)).toEqual([]);
  });

  it('passes every invariant in every scenario (a known kernel weakness counts as a pass only where it is shown with the fix off)', () => {
    const failing = report.results.filter((x) => !x.pass).map((r) => `${r.id}: ${JSON.stringify(r.invariants)}`);
    expect(failing).toEqual([]);
  });

  it('shows the stale-descriptor wedge after an EP-side QP link reset with the kernel behaviour, and not with clear_rx_ring_on_qp_link=Y', () => {
    const kernel = report.results.find((x) => x.id === 'qp-link-ep');
    expect(kernel?.invariants['no-throw-no-hang'].status).toBe('n/a');
    expect(kernel?.invariants['known-weakness'].status).toBe('pass');
    expect(kernel?.invariants['known-weakness'].detail).toMatch(/^shown: the stream wedged at \d+ B; qp0: ep consumed \d+ stale descriptor\(s\) left in its RX ring before the QP reset/);
    const fixed = report.results.find((x) => x.id === 'qp-link-ep-clear-ring');
    expect(fixed?.invariants['no-throw-no-hang'].status).toBe('pass');
    expect(fixed?.invariants['known-weakness'].detail).toMatch(/^absent: no stale descriptor consumed/);
  });

  it('shows the WC ordering hazard with flush_done_flag=N and not with =Y', () => {
    const off = report.results.find((x) => x.id === 'wc-linger-flush-off');
    const on = report.results.find((x) => x.id === 'wc-linger-flush-on');
    expect(off?.invariants['known-weakness'].detail).toMatch(/^shown: /);
    expect(on?.invariants['known-weakness'].detail).toMatch(/^absent: /);
    expect(off?.invariants['known-weakness'].status).toBe('pass');
    expect(on?.invariants['known-weakness'].status).toBe('pass');
  });

  it('prints the matrix as text and HTML', () => {
    const text = faultsText(report);
    expect(text.split('\n')[0]).toMatch(/^scenario\s+no-throw-no-hang\s+no-dup-no-corruption\s+loss-accounted\s+link-consistent\s+resumes-in-bound\s+known-weakness$/);
    expect(text).toContain(`${report.passed}/${report.results.length} scenarios pass`);
    const html = faultsHtml(report);
    expect(html.startsWith('<section id="faults">')).toBe(true);
    expect(html.match(/<tr><th scope="row"/g)).toHaveLength(report.results.length);
  });
});
