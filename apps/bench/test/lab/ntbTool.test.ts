/**
 * ntb_tool in the lab: `modprobe ntb_tool` / `rmmod ntb_tool` on both boards, the examples of
 * ntb_tool.c's header comment replayed across them (examples/ntb-tool.lab), the blocking writes
 * in virtual time, and the errors as the shell prints them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type BoardName, type Lab } from '../../src/lab/lab.js';
import { runScript } from '../../src/lab/script.js';
import { sh } from '../labShell.js';

const RC_DIR = '/sys/kernel/debug/ntb_tool/0000:01:00.0';
const EP_DIR = '/sys/kernel/debug/ntb_tool/0000:10:00.0';

/** A lab with the network stack unloaded and ntb_tool loaded on both boards. */
function toolLab(options: Parameters<typeof bootLab>[0] = {}): Lab {
  const l = bootLab({ seed: 5, ...options });
  for (const b of ['ep', 'rc'] as const) expect(sh(l, b, 'rmmod ntb_netdev ntb_transport').status).toBe(0);
  for (const b of ['rc', 'ep'] as const) expect(sh(l, b, 'modprobe ntb_tool')).toEqual({ stdout: '', stderr: '', status: 0 });
  return l;
}

describe('examples/ntb-tool.lab: the header comment of ntb_tool.c on both boards', () => {
  it('every example runs; the two the EPF hardware lacks (db_set, db_read_mask) fail with EINVAL as the shell prints it', () => {
    const text = readFileSync(fileURLToPath(new URL('../../examples/ntb-tool.lab', import.meta.url)), 'utf8');
    const lab = bootLab({ seed: 1 });
    const r = runScript(lab, text, { name: 'ntb-tool.lab', keepGoing: true, commands: labCommands() });
    const out = new Map(r.steps.map((s) => [`${s.board}$ ${s.command}`, s.result]));
    const stdout = (line: string): string => out.get(line)?.stdout ?? `(no step ${line})`;
    const failed = r.steps.filter((s) => s.result.status !== 0).map((s) => [`${s.board}$ ${s.command}`, s.result.stderr]);
    expect(failed).toEqual([
      ["rc$ echo 's 1' > $DBG_DIR/db", 'bash: echo: write error: Invalid argument\n'],
      ['rc$ cat $DBG_DIR/db_mask', `cat: ${RC_DIR}/db_mask: Invalid argument\n`],
    ]);
    expect(stdout('rc$ cat $DBG_DIR/port')).toBe('0\n');
    expect(stdout('rc$ ls $DBG_DIR')).toMatch(/^db +spad\d+/);
    expect(stdout('rc$ ls $DBG_DIR/peer0 | grep -v spad')).toBe('link\nlink_event\nmw_trans0\npeer_mw_trans0\nport\n');
    expect(stdout('ep$ cat $DBG_DIR/peer0/link')).toBe('Y\n\0');
    expect(stdout('rc$ cat $DBG_DIR/db_valid_mask')).toBe('0x7fff\n');
    expect(r.steps.filter((s) => s.command === 'cat $DBG_DIR/db').map((s) => s.result.stdout)).toEqual(['0x3\n', '0x0\n']);
    expect(stdout('ep$ cat $DBG_DIR/spad0')).toBe('0x1020304\n');
    expect(stdout('rc$ cat $DBG_DIR/peer0/spad0')).toBe('0x1020304\n');
    expect(stdout('ep$ cat $DBG_DIR/spad1')).toBe('0x1020304\n');
    expect(stdout('rc$ cat $DBG_DIR/peer0/mw_trans0')).toMatch(/^Inbound MW {5}\t0\nPort {11}\t0 \(0\)\nWindow Address \t0x00000000[0-9a-f]{8}\nDMA Address {4}\t0x[0-9a-f]{16}\nWindow Size {4}\t0x0000000000004000\n/);
    expect(stdout('ep$ cat $DBG_DIR/peer0/peer_mw_trans0')).toMatch(/Port attached {7}\t0 \(0\)\n.*Translation Address \t0x00000000add0ba5e\nWindow Size {9}\t0x0000000000004000\n$/s);
    expect(stdout('ep$ head -c 7 $DBG_DIR/peer0/peer_mw0')).toBe('olleH\n\0');
    expect(r.steps.filter((s) => s.command === 'head -c 7 $DBG_DIR/peer0/mw0').map((s) => s.result.stdout)).toEqual(['Hello\n\0', 'olleH\n\0']);
    expect(lab.boards.rc.toolModule()).toBeNull();
  });
});

describe('modprobe / rmmod ntb_tool', () => {
  it('while ntb_transport holds the device ntb_tool loads but binds nothing (an empty directory), as modprobe ntb_perf', () => {
    const l = bootLab({ seed: 2 });
    expect(sh(l, 'ep', 'rmmod ntb_tool')).toEqual({ stdout: '', stderr: 'rmmod: ERROR: Module ntb_tool is not currently loaded\n', status: 1 });
    expect(sh(l, 'ep', 'modprobe ntb_tool').status).toBe(0);
    expect(sh(l, 'ep', 'ls /sys/kernel/debug')).toEqual({ stdout: 'ntb_tool  ntb_transport\n', stderr: '', status: 0 });
    expect(sh(l, 'ep', 'ls /sys/kernel/debug/ntb_tool')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(l, 'ep', 'rmmod ntb_tool').status).toBe(0);
    expect(sh(l, 'ep', 'ls /sys/kernel/debug/ntb_tool').status).toBe(2);
    const warn = sh(l, 'ep', 'modprobe ntb_tool verbose=1');
    expect(warn.status).toBe(0);
    expect(warn.stderr).toMatch(/^\[ *\d+\.\d{6}\] ntb_tool: unknown parameter 'verbose' ignored\n$/);
  });

  it('binds once the device is free; the hardware module is then in use by ntb_tool; rmmod disables the link (the peer sees it down)', () => {
    const l = toolLab();
    expect(sh(l, 'rc', `ls ${RC_DIR}/..`).stdout).toBe('0000:01:00.0\n');
    expect(sh(l, 'rc', 'rmmod ntb_hw_epf')).toEqual({ stdout: '', stderr: 'rmmod: ERROR: Module ntb_hw_epf is in use by: ntb_tool\n', status: 1 });
    expect(sh(l, 'rc', `echo Y > ${RC_DIR}/link`).status).toBe(0);
    expect(sh(l, 'ep', `cat ${EP_DIR}/peer0/link`).stdout).toBe('Y\n\0');
    const t0 = l.sim.now;
    expect(sh(l, 'rc', 'rmmod ntb_tool')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(l.sim.now).toBeGreaterThan(t0);
    expect(sh(l, 'ep', `cat ${EP_DIR}/peer0/link`).stdout).toBe('N\n\0');
    // ntb_perf cannot take the EP's device while ntb_tool holds it.
    expect(sh(l, 'ep', 'modprobe ntb_perf').status).toBe(0);
    expect(sh(l, 'ep', 'ls /sys/kernel/debug/ntb_perf').stdout).toBe('');
  });
});

describe('blocking writes in virtual time', () => {
  it('echo Y > link sleeps in the EPF LINK_UP command: the shell returns milliseconds of virtual time later', () => {
    const l = toolLab();
    const t0 = l.sim.now;
    expect(sh(l, 'rc', `echo Y > ${RC_DIR}/link`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(l.sim.now - t0).toBeGreaterThan(100_000);
    expect(l.sim.now - t0).toBeLessThan(1_000_000_000);
  });

  it('a db_event nobody satisfies is interrupted after 60 s of virtual time and reported; one already satisfied returns at once', () => {
    const l = toolLab({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    expect(sh(l, 'rc', `echo Y > ${RC_DIR}/link`).status).toBe(0);
    expect(sh(l, 'ep', `echo 's 1' > ${EP_DIR}/peer_db`).status).toBe(0);
    const t0 = l.sim.now;
    expect(sh(l, 'rc', `echo 1 > ${RC_DIR}/db_event`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(l.sim.now - t0).toBeLessThan(1_000_000);
    const r = sh(l, 'rc', `echo 2 > ${RC_DIR}/db_event`);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`ntb-bench: echo 2 > ${RC_DIR}/db_event still had not returned 60 s (virtual) after it started; interrupted, as Ctrl-C would (the real write would still be blocked)\n`);
    expect(l.sim.now - t0).toBeGreaterThanOrEqual(60_000_000_000);
    expect(l.boards.rc.tool()?.pendingWrites).toBe(0);
  });

  it('link_event on the EP returns at once when the link is already as written', () => {
    const l = toolLab();
    expect(sh(l, 'ep', `echo N > ${EP_DIR}/peer0/link_event`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(l, 'rc', `echo Y > ${RC_DIR}/link`).status).toBe(0);
    expect(sh(l, 'ep', `echo Y > ${EP_DIR}/peer0/link_event`)).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('errors as the shell prints them', () => {
  it('EINVAL, ERANGE, ENOTCONN, a missing file, a read-only file', () => {
    const l = toolLab();
    const err = (b: BoardName, line: string): string => sh(l, b, line).stderr;
    expect(err('rc', `echo maybe > ${RC_DIR}/link`)).toBe('bash: echo: write error: Invalid argument\n');
    expect(err('rc', `cat ${RC_DIR}/link`)).toBe(`cat: ${RC_DIR}/link: Invalid argument\n`);
    expect(err('rc', `echo 0x100000000 > ${RC_DIR}/spad0`)).toBe('bash: echo: write error: Numerical result out of range\n');
    expect(err('rc', `cat ${RC_DIR}/peer0/mw_trans0`)).toBe(`cat: ${RC_DIR}/peer0/mw_trans0: Transport endpoint is not connected\n`);
    expect(err('rc', `echo 4096 > ${RC_DIR}/peer0/mw_trans0`)).toBe('bash: echo: write error: Transport endpoint is not connected\n');
    expect(err('rc', `cat ${RC_DIR}/spad999`)).toBe(`cat: ${RC_DIR}/spad999: No such file or directory\n`);
    // O_CREAT of a name debugfs lacks: its directories have no ->create, so lookup_open is EACCES (a missing directory would be ENOENT).
    expect(err('rc', `echo 1 > ${RC_DIR}/peer0/mw0`)).toBe(`bash: ${RC_DIR}/peer0/mw0: Permission denied\n`);
    expect(err('rc', `echo 1 > ${RC_DIR}/peer9/mw0`)).toBe(`bash: ${RC_DIR}/peer9/mw0: No such file or directory\n`);
    expect(err('rc', `echo 1 > ${RC_DIR}/port`)).toBe('bash: echo: write error: Invalid argument\n');
    expect(err('rc', `echo 's 1' > ${RC_DIR}/peer_db_mask`)).toBe('bash: echo: write error: Invalid argument\n');
    expect(err('rc', `head -c x ${RC_DIR}/port`)).toBe("head: invalid number of bytes: 'x'\n");
  });

  it('help lists ntb_tool under modprobe and rmmod, and head -c', () => {
    const l = toolLab();
    const help = sh(l, 'rc', 'help modprobe rmmod head echo').stdout;
    expect(help).toContain('load ntb_transport, ntb_netdev, ntb_perf, ntb_tool');
    expect(help).toContain('unload ntb_netdev, ntb_transport, ntb_perf, ntb_tool');
    expect(help).toContain('head [-n N] [-c N] [FILE...]');
    expect(help).toContain('ntb_perf, ntb_pingpong and ntb_tool debugfs');
  });
});
