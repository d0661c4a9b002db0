import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { rcarS4Profile } from '@ntbsim/kernel';
import { main } from '../../src/cli.js';
import type { SweepResults } from '../../src/reproduce/sweep.js';

/** `ntb-bench ARGV` in this process: exit status, stdout, stderr. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

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
    const r = await run(['--profile', profileFile(), 'calibrate', '--seeds', '1', '--duration', '1', '--iterations', '1', '--workers', '0']);
    expect(r.err).not.toContain('ProfileError');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fitted \(\d+ runs\):\n {2}memory\.readUncachedMBps: [\d.]+\n/);
  }, 120_000);
});
