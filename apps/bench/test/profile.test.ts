import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProfile, parseProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { formatProfileTable, profileListing, profileRows } from '../src/profile.js';
import { runCli as run } from './runCli.js';

describe('ntb-bench profile', () => {
  it('lists the built-in profiles with their descriptions', async () => {
    const r = await run(['profile']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(profileListing());
    expect(r.out.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['rcar-s4', 'x86-server', '']);
  });

  it('prints a profile as the JSON --profile FILE reads: edited and read back, it gives the same lab', async () => {
    const r = await run(['profile', 'rcar-s4']);
    expect(r.code).toBe(0);
    const json: unknown = JSON.parse(r.out);
    expect(parseProfile(json, 'printed')).toEqual(getProfile('rcar-s4'));
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-profile-'));
    const file = join(dir, 'board.json');
    const edited = json as { name: string; kernel: { hz: { value: number } } };
    edited.name = 'my-board';
    edited.kernel.hz.value = 1000;
    writeFileSync(file, JSON.stringify(edited));
    const table = await run(['--profile', file, 'profile', '--table']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^my-board: /);
    expect(table.out).toMatch(/\nkernel\.hz +1000 {2}Hz /);
    expect(await run(['profile', file])).toMatchObject({ code: 0 });
  });

  it('tables every parameter once, with its unit, provenance and note', () => {
    const p = getProfile('rcar-s4');
    const rows = profileRows(p);
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    expect(rows.find((r) => r.path === 'memory.readUncachedMBps')).toMatchObject({ value: '77.9', unit: 'MB/s', source: 'calibrated' });
    expect(rows.every((r) => r.unit !== '' && r.source !== '')).toBe(true);
    const text = formatProfileTable(p);
    expect(text.split('\n')).toHaveLength(rows.length + 4);
    expect(text.split('\n')[2]).toMatch(/^parameter +value {2}unit +source +note$/);
  });

  it('refuses what it cannot show, naming it and what is allowed', async () => {
    expect(await run(['profile', 'rcar-s5'])).toMatchObject({ code: 1, err: expect.stringContaining('allowed rcar-s4, x86-server') as string });
    expect(await run(['profile', 'rcar-s4', 'x86-server'])).toMatchObject({ code: 2, err: expect.stringContaining("profile: unexpected argument 'x86-server'") as string });
    expect(await run(['profile', '--json'])).toMatchObject({ code: 2, err: expect.stringContaining("profile: unknown option '--json' (allowed: --table)") as string });
    expect(await run(['--seed', '2', 'profile'])).toMatchObject({ code: 2, err: expect.stringContaining('profile: --seed does not apply (of the global options it takes --profile)') as string });
  });
});
