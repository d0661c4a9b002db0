import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rcarS4Profile } from '@ntbsim/kernel';
import { calibrate } from '../../src/reproduce/calibrate.js';
import type { SweepResults } from '../../src/reproduce/sweep.js';
import { runCli as run } from '../runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'ntbsim-commands-'));

/** A profile file: rcar-s4 renamed, with a slower uncached read rate. */
function profileFile(): string {
  const file = join(dir, 'my-board.json');
  writeFileSync(file, JSON.stringify({ ...rcarS4Profile, name: 'my-board', memory: { ...rcarS4Profile.memory, readUncachedMBps: { ...rcarS4Profile.memory.readUncachedMBps, value: 40 } } }));
  return file;
}

function sweepJson(path: string): SweepResults {
  return JSON.parse(readFileSync(path, 'utf8')) as SweepResults;
}

function mbps(res: SweepResults): number {
  const r = res.points[0]?.runs[0];
  return r !== undefined && 'mbps' in r ? r.mbps : NaN;
}

describe('--profile FILE with sweep and calibrate', () => {
  it('sweep runs every job on the profile from the file', async () => {
    const mine = join(dir, 'mine.json');
    const builtin = join(dir, 'builtin.json');
    const r = await run(['--profile', profileFile(), 'sweep', 'queues=1', '--runs', '1', '--duration', '1', '--workers', '0', '--out', mine]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(await run(['sweep', 'queues=1', '--runs', '1', '--duration', '1', '--workers', '0', '--out', builtin])).toMatchObject({ code: 0 });
    expect(sweepJson(mine).profile).toBe('my-board');
    expect(mbps(sweepJson(mine))).toBeGreaterThan(50);
    expect(mbps(sweepJson(mine))).toBeLessThan(0.8 * mbps(sweepJson(builtin)));
  }, 120_000);

  it('calibrate fits on the profile from the file', async () => {
    const r = await run(['--profile', profileFile(), 'calibrate', '--fit', 'rate', '--seeds', '1', '--duration', '1', '--iterations', '1', '--workers', '0']);
    expect(r.err).not.toContain('ProfileError');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fitted \(4 runs\):\n {2}memory\.readUncachedMBps: [\d.]+\nresiduals:\n {2}baseline-tcp mean: simulated [\d.]+ Mb\/s, published 599\.5 Mb\/s \(-?[\d.]+%\)\n {2}baseline-udp mean: .*\n$/);
  }, 120_000);
});

describe('global options with sweep, reproduce and calibrate', () => {
  it('sweep runs on --param/--doorbell/--mws as its base, records it, and an axis overrides it', async () => {
    const out = join(dir, 'base.json');
    const r = await run(['--param', 'ntb_netdev.ntb_num_queues=5', '--param', 'ntb_transport.use_dma=0', '--doorbell', 'legacy', '--mws', '4', 'sweep', 'hz=250', 'queues=1', '--runs', '1', '--duration', '1', '--workers', '0', '--out', out]);
    expect(r.code).toBe(0);
    const res = sweepJson(out);
    expect(res.base).toEqual({ transport: { useDma: false }, netdev: { queues: 5 }, doorbell: 'legacy', mws: 4 });
    expect(res.points[0]?.runs[0]).toMatchObject({ mbps: expect.any(Number) as number });
    expect(r.out).toContain('\nUnder the axes (global options; an axis overrides): ntb_transport.use_dma=0\n  ntb_netdev.ntb_num_queues=5 doorbell=legacy mws=4\n');
    const stalled = join(dir, 'base-stalled.json');
    expect((await run(['--param', 'ntb_netdev.ntb_num_queues=5', 'sweep', 'hz=250', '--runs', '1', '--duration', '1', '--workers', '0', '--out', stalled])).code).toBe(0);
    expect(sweepJson(stalled).points[0]?.runs[0]).toMatchObject({ error: expect.stringMatching(/^iperf3 client: /) as string, stall: expect.stringContaining('stopped for good') as string });
  }, 120_000);

  it('sweep refuses --trace and per-board doorbell modes', async () => {
    const trace = await run(['--trace', join(dir, 't.jsonl'), 'sweep', 'queues=1']);
    expect(trace.code).toBe(2);
    expect(trace.err.split('\n')[0]).toBe("ntb-bench: sweep: --trace does not apply (the runs happen on worker threads; trace one configuration with 'lab' or a one-shot command)");
    const db = await run(['--doorbell', 'rc=per-bit', 'sweep', 'queues=1']);
    expect(db.code).toBe(2);
    expect(db.err.split('\n')[0]).toBe('ntb-bench: sweep: --doorbell rc=per-bit,ep=legacy: a sweep puts both boards on one doorbell mode (allowed: legacy, per-bit)');
  });

  it('reproduce and calibrate refuse --param, --doorbell, --mws and --trace, naming what they take, and write nothing', async () => {
    const json = join(dir, 'rep', 'reproduce.json');
    const cases: [string[], string][] = [
      [['--param', 'ntb_transport.use_dma=1', 'reproduce', '--json', json], "ntb-bench: reproduce: --param does not apply: it runs the seeds' fixed configurations to compare them with the published numbers (global options it takes: --profile, --seed, --functional); vary the configuration with 'sweep'"],
      [['--doorbell', 'legacy', '--mws', '2', 'reproduce', '--json', json], "ntb-bench: reproduce: --doorbell, --mws do not apply: it runs the seeds' fixed configurations to compare them with the published numbers (global options it takes: --profile, --seed, --functional); vary the configuration with 'sweep'"],
      [['--param', 'ntb_netdev.ntb_num_queues=2', 'calibrate'], "ntb-bench: calibrate: --param does not apply: it runs the seeds' fixed configurations to compare them with the published numbers (global options it takes: --profile); vary the configuration with 'sweep'"],
    ];
    for (const [argv, first] of cases) {
      const r = await run(argv);
      expect.soft({ argv, code: r.code, first: r.err.split('\n')[0], out: r.out }).toEqual({ argv, code: 2, first, out: '' });
    }
    expect(existsSync(json)).toBe(false);
  });
});

describe('output paths', () => {
  it('a file that cannot be written is a one-line error, status 1, before anything runs', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], string][] = [
      [['reproduce', '--json', '/proc/x.json'], 'ntb-bench: cannot write /proc/x.json: No such file or directory\n'],
      [['reproduce', '--json', join(dir, 'r.json'), '--html', `${file}/r.html`], `ntb-bench: cannot write ${file}/r.html: Not a directory\n`],
      [['faults', '--json', '/proc/f.json'], 'ntb-bench: cannot write /proc/f.json: No such file or directory\n'],
      [['faults', '--json', join(dir, 'f.json'), '--html', dir], `ntb-bench: cannot write ${dir}: Is a directory\n`],
      [['sweep', 'queues=1', '--out', '/proc/zz.json'], 'ntb-bench: cannot write /proc/zz.json: No such file or directory\n'],
      [['sweep', 'queues=1', '--out', join(dir, 's.json'), '--html', '/proc/zz.html'], 'ntb-bench: cannot write /proc/zz.html: No such file or directory\n'],
    ];
    for (const [argv, err] of cases) expect.soft({ argv, ...(await run(argv)) }).toEqual({ argv, code: 1, out: '', err });
    for (const f of ['r.json', 'f.json', 's.json']) expect(existsSync(join(dir, f))).toBe(false);
  }, 30_000);

  it('merge reports an unwritable output the same way', async () => {
    const shard = join(dir, 'shard.json');
    writeFileSync(shard, JSON.stringify({ kind: 'ntbsim-sweep', profile: 'rcar-s4', profile_digest: '0123456789abcdef', seed: 1, duration_s: 1, runs: 1, grid: { queues: ['1'] }, shards: ['1/1'], points: [{ id: 'queues=1', values: { queues: '1' }, runs: [{ run: 0, seed: 1, mbps: 600, bottleneck: 'x', busy_pct: 99 }] }] }));
    const r = await run(['merge', shard, '--out', '/proc/m.json']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: 'ntb-bench: cannot write /proc/m.json: No such file or directory\n' });
  });
});

describe('report.html', () => {
  it('keeps the faults section through a later reproduce, and reproduce keeps its table through a later faults', async () => {
    const results = mkdtempSync(join(tmpdir(), 'ntbsim-report-'));
    const json = join(results, 'reproduce.json');
    const report = join(results, 'report.html');
    const reproduce = ['reproduce', '--runs', '1', '--duration', '1', '--scenarios', 'baseline-udp', '--workers', '0', '--json', json];
    expect((await run(reproduce)).code).toBe(0);
    expect(readFileSync(report, 'utf8')).not.toContain('<section id="faults">');
    expect((await run(['faults', '--only', 'hw-link-loss', '--json', join(results, 'faults.json')])).code).toBe(0);
    expect(readFileSync(report, 'utf8')).toContain('<section id="faults">');
    const again = await run(reproduce);
    expect(again.out).toContain(`wrote ${json} and ${report} (with the faults matrix of ${results}/faults.json)`);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<table id="results">');
    expect(html).toContain('<h2>Faults and invariants</h2>');
    expect(html).toMatch(/<th scope="row"[^>]*>hw-link-loss<\/th>/);
  }, 120_000);

  it('leaves out an unusable faults.json with a warning', async () => {
    const results = mkdtempSync(join(tmpdir(), 'ntbsim-report-'));
    writeFileSync(join(results, 'faults.json'), '{"seed": 1}');
    const r = await run(['reproduce', '--runs', '1', '--duration', '1', '--scenarios', 'baseline-udp', '--workers', '0', '--json', join(results, 'reproduce.json')]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`ntb-bench: report.html: leaving out the faults section: ${results}/faults.json is not a faults report\n`);
    expect(readFileSync(join(results, 'report.html'), 'utf8')).not.toContain('<section id="faults">');
  }, 120_000);
});

describe('sharded sweeps', () => {
  it('shards run through the real code path merge into the unsharded sweep; bad sets are refused', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ntbsim-shards-'));
    const sweepArgs = ['sweep', 'queues=1,2', 'protocol=udp', '--runs', '1', '--duration', '1', '--workers', '0'];
    const [s1, s2, s2seed, whole, merged] = ['s1.json', 's2.json', 's2-seed2.json', 'whole.json', 'merged.json'].map((f) => join(d, f)) as [string, string, string, string, string];
    expect((await run([...sweepArgs, '--shard', '1/2', '--out', s1])).code).toBe(0);
    expect((await run([...sweepArgs, '--shard', '2/2', '--out', s2])).code).toBe(0);
    expect((await run([...sweepArgs, '--out', whole])).code).toBe(0);
    expect(sweepJson(s1)).toMatchObject({ seed: 1, grid: { queues: ['1', '2'], protocol: ['udp'] }, shards: ['1/2'], profile: 'rcar-s4', profile_digest: expect.stringMatching(/^[0-9a-f]{16}$/) as string });
    expect(sweepJson(s1).points.map((p) => p.id)).toEqual(['queues=1,protocol=udp']);
    expect(sweepJson(s2).points.map((p) => p.id)).toEqual(['queues=2,protocol=udp']);

    const r = await run(['merge', s2, s1, '--out', merged]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(sweepJson(merged)).toEqual({ ...sweepJson(whole), shards: ['1/2', '2/2'] });

    const dup = await run(['merge', s1, s1, '--out', merged]);
    expect({ code: dup.code, err: dup.err }).toEqual({ code: 1, err: `ntb-bench: merge: shard 1/2 is given twice (${s1} and ${s1})\n` });
    const inc = await run(['merge', s1, '--out', merged]);
    expect({ code: inc.code, err: inc.err }).toEqual({ code: 1, err: 'ntb-bench: merge: incomplete: shard 2/2 missing (given: 1/2); merge them all, or pass --partial to write a partial sweep\n' });
    expect(sweepJson(merged).partial).toBeUndefined();
    const part = await run(['merge', s1, '--partial', '--out', merged]);
    expect({ code: part.code, err: part.err }).toEqual({ code: 0, err: `ntb-bench: merge: warning: shard 2/2 missing; ${merged} is marked partial\n` });
    expect(sweepJson(merged)).toMatchObject({ partial: true, missing_shards: ['2/2'], shards: ['1/2'] });

    expect((await run(['--seed', '2', ...sweepArgs, '--shard', '2/2', '--out', s2seed])).code).toBe(0);
    const seeds = await run(['merge', s1, s2seed, '--out', merged]);
    expect({ code: seeds.code, err: seeds.err }).toEqual({ code: 1, err: `ntb-bench: merge: ${s2seed} and ${s1} are from different sweeps: the base seed (--seed) differs (2 vs 1)\n` });
    const old = join(d, 'old.json');
    const { seed: _seed, ...noSeed } = sweepJson(s1);
    writeFileSync(old, JSON.stringify(noSeed));
    const o = await run(['merge', old, s2, '--out', merged]);
    expect({ code: o.code, err: o.err }).toEqual({ code: 1, err: `ntb-bench: merge: ${old} has no base seed or profile digest (written by an older ntb-bench): run its shard again\n` });
  }, 120_000);
});

describe('calibrate', () => {
  it('fits runScaleSd by scaling it with published SD / simulated SD, and prints the SD residual', async () => {
    const steps: { param: string; value: number; err: number }[] = [];
    const res = await calibrate({ fit: ['sd'], seeds: 1, durationS: 1, iterations: 1, sdSeeds: 3, sdIterations: 1, workers: 0, onStep: (param, value, err) => steps.push({ param, value, err }) });
    expect(steps.map((s) => s.param)).toEqual(['noise.runScaleSd', 'noise.runScaleSd']);
    const [first, second] = steps as [(typeof steps)[0], (typeof steps)[0]];
    expect(first.value).toBe(rcarS4Profile.noise.runScaleSd.value);
    expect(second.value).toBeCloseTo(first.value / (1 + first.err / 100), 4);
    expect(res.values).toEqual({ 'noise.runScaleSd': second.value });
    expect(res.sdFit).toEqual({ id: 'baseline-tcp', simulated: expect.any(Number) as number, published: 5.84, seeds: 3 });
    expect(res.sdFit?.simulated).toBeCloseTo(5.84 * (1 + second.err / 100), 6);
    expect(res.runs).toBe(3 + 3 + 2);
  }, 120_000);

  it('refuses bad --fit and --sd-seeds values', async () => {
    const fit = await run(['calibrate', '--fit', 'mean']);
    expect({ code: fit.code, first: fit.err.split('\n')[0] }).toEqual({ code: 2, first: "ntb-bench: calibrate: --fit 'mean': allowed rate, sd, or both (rate,sd)" });
    const seeds = await run(['calibrate', '--sd-seeds', '1']);
    expect({ code: seeds.code, first: seeds.err.split('\n')[0] }).toEqual({ code: 2, first: "ntb-bench: --sd-seeds: '1' is too few (an SD needs at least 2 runs)" });
  });
});
