/**
 * ntb_pingpong in the lab: `modprobe ntb_pingpong [delay_ms=N] [unsafe=N]` / `rmmod` on both
 * boards, ntb_test.sh's pingpong_test (examples/ntb-pingpong.lab), the debugfs `count` file
 * read and written, and the errors as the shell prints them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type BoardName, type Lab } from '../../src/lab/lab.js';
import { runScript } from '../../src/lab/script.js';
import { sh } from '../labShell.js';

const COUNT = { rc: '/sys/kernel/debug/ntb_pingpong/0000:01:00.0/count', ep: '/sys/kernel/debug/ntb_pingpong/0000:10:00.0/count' };

/** A lab with the network stack unloaded. */
function bareLab(seed = 5): Lab {
  const l = bootLab({ seed });
  for (const b of ['ep', 'rc'] as const) expect(sh(l, b, 'rmmod ntb_netdev ntb_transport').status).toBe(0);
  return l;
}

const count = (l: Lab, b: BoardName): number => Number(sh(l, b, `cat ${COUNT[b]}`).stdout);

describe('ntb_pingpong in the lab', () => {
  it("examples/ntb-pingpong.lab: ntb_test.sh's pingpong_test passes (both counts grow in 7 s); after the host's rmmod the EP's stops", () => {
    const text = readFileSync(fileURLToPath(new URL('../../examples/ntb-pingpong.lab', import.meta.url)), 'utf8');
    const lab = bootLab({ seed: 1 });
    const r = runScript(lab, text, { name: 'ntb-pingpong.lab', commands: labCommands() });
    expect(r.error).toBeNull();
    const counts = r.steps.filter((s) => s.command.startsWith('cat ')).map((s) => Number(s.result.stdout));
    expect(counts).toHaveLength(6);
    const [rc0 = 0, ep0 = 0, rc1 = 0, ep1 = 0, epA = 0, epB = 0] = counts;
    expect([rc0, ep0]).toEqual([0, 0]);
    // delay_ms=100: at least one pong a side every two delays.
    expect(rc1).toBeGreaterThanOrEqual(33);
    expect(ep1).toBeGreaterThanOrEqual(33);
    expect(epB).toBe(epA);
    expect(r.steps.at(-1)?.result.stdout).toBe('');
  });

  it('the debugfs directory is there while the module is loaded; bound only where no other client holds the device', () => {
    const lab = bootLab({ seed: 5 });
    // ntb_transport holds the device: the module loads and binds nothing.
    expect(sh(lab, 'rc', 'modprobe ntb_pingpong')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'ls /sys/kernel/debug/ntb_pingpong').stdout).toBe('');
    expect(sh(lab, 'rc', 'rmmod ntb_pingpong').status).toBe(0);
    expect(sh(lab, 'rc', 'ls /sys/kernel/debug').stdout).not.toContain('ntb_pingpong');
    expect(sh(lab, 'rc', 'rmmod ntb_pingpong')).toEqual({ stdout: '', stderr: 'rmmod: ERROR: Module ntb_pingpong is not currently loaded\n', status: 1 });
    for (const b of ['ep', 'rc'] as const) sh(lab, b, 'rmmod ntb_netdev ntb_transport');
    expect(sh(lab, 'rc', 'modprobe ntb_pingpong delay_ms=50')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'ls /sys/kernel/debug/ntb_pingpong/0000:01:00.0').stdout).toBe('count\n');
    // The hardware module is in use by it.
    expect(sh(lab, 'rc', 'rmmod ntb_hw_epf')).toMatchObject({ stderr: 'rmmod: ERROR: Module ntb_hw_epf is in use by: ntb_pingpong\n', status: 1 });
  });

  it('delay_ms sets the pace: ten times the delay, about a tenth of the pongs', () => {
    const pace = (delay: number): number => {
      const l = bareLab();
      for (const b of ['rc', 'ep'] as const) sh(l, b, `modprobe ntb_pingpong delay_ms=${delay}`);
      sh(l, 'rc', 'sleep 5');
      return count(l, 'rc');
    };
    const fast = pace(20);
    const slow = pace(200);
    expect(slow).toBeGreaterThan(0);
    expect(fast / slow).toBeGreaterThan(7);
    expect(fast / slow).toBeLessThan(13);
  });

  it('count takes what kstrtoll and atomic_set take; the refused writes change nothing', () => {
    const l = bareLab();
    for (const b of ['rc', 'ep'] as const) sh(l, b, 'modprobe ntb_pingpong delay_ms=100');
    sh(l, 'rc', 'sleep 1');
    expect(sh(l, 'rc', `echo 0x10 > ${COUNT.rc}`).status).toBe(0);
    expect(count(l, 'rc')).toBeGreaterThanOrEqual(16);
    expect(sh(l, 'rc', `echo -5 > ${COUNT.rc}`).status).toBe(0);
    expect(count(l, 'rc')).toBeLessThan(0);
    const before = count(l, 'rc');
    expect(sh(l, 'rc', `echo nope > ${COUNT.rc}`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Invalid argument\n', status: 1 });
    expect(sh(l, 'rc', `echo 99999999999999999999 > ${COUNT.rc}`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Numerical result out of range\n', status: 1 });
    expect(count(l, 'rc')).toBe(before);
    // A value past an int is cut to one, as atomic_set stores it.
    expect(sh(l, 'rc', `echo 4294967298 > ${COUNT.rc}`).status).toBe(0);
    expect(count(l, 'rc')).toBe(2);
  });

  it('bad module parameters fail the load as param_set_uint does; unknown ones are logged and ignored', () => {
    const l = bareLab();
    expect(sh(l, 'rc', 'modprobe ntb_pingpong delay_ms=x')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_pingpong': Invalid argument\n", status: 1 });
    expect(sh(l, 'rc', 'modprobe ntb_pingpong unsafe=4294967296')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_pingpong': Numerical result out of range\n", status: 1 });
    expect(sh(l, 'rc', 'ls /sys/kernel/debug').stdout).not.toContain('ntb_pingpong');
    const r = sh(l, 'rc', 'modprobe ntb_pingpong delay_ms=0x64 db_init=7');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\[ *\d+\.\d{6}\] ntb_pingpong: unknown parameter 'db_init' ignored\n$/);
    expect(l.boards.rc.pingpongModule()?.params).toEqual({ delayMs: 100, unsafe: 0 });
  });
});
