import { getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { sh } from '../labShell.js';

const TRY = "Try 'uname --help' for more information.\n";

describe('uname (coreutils 9.1)', () => {
  const lab = bootLab({ seed: 1 });

  it('prints the fields asked for in its own order; none is -s; -a all but the unknown processor and platform', () => {
    expect(sh(lab, 'rc', 'uname')).toEqual({ stdout: 'Linux\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'uname -a').stdout).toBe('Linux ep 6.18.0 #1 SMP PREEMPT aarch64 GNU/Linux\n');
    expect(sh(lab, 'rc', 'uname -mr').stdout).toBe('6.18.0 aarch64\n');
    expect(sh(lab, 'rc', 'uname -m -r -n').stdout).toBe('rc 6.18.0 aarch64\n');
    expect(sh(lab, 'rc', 'uname -p -i').stdout).toBe('unknown unknown\n');
    expect(sh(lab, 'rc', 'uname -a -p').stdout).toBe('Linux rc 6.18.0 #1 SMP PREEMPT aarch64 GNU/Linux\n');
    expect(sh(lab, 'rc', 'uname --kernel-release --mach').stdout).toBe('6.18.0 aarch64\n');
    expect(sh(lab, 'rc', 'uname -o').stdout).toBe('GNU/Linux\n');
  });

  it('agrees with what iperf3 reports of the board, and names the x86 profiles\' machine', () => {
    const x86 = bootLab({ seed: 1, profile: getProfile('x86-server') });
    expect(sh(x86, 'rc', 'uname -m').stdout).toBe('x86_64\n');
    const v = sh(lab, 'rc', 'iperf3 -v').stdout;
    expect(v).toContain(sh(lab, 'rc', 'uname -snrvm').stdout.trim());
  });

  it('--help and --version on stdout; bad options and operands as coreutils words them, status 1', () => {
    expect(sh(lab, 'rc', 'uname --help').stdout).toMatch(/^Usage: uname \[OPTION\]\.\.\.\nPrint certain system information\. {2}With no OPTION, same as -s\.\n/);
    expect(sh(lab, 'rc', 'uname --vers').stdout).toMatch(/^uname \(GNU coreutils\) 9\.1\n/);
    expect(sh(lab, 'rc', 'uname -x')).toEqual({ stdout: '', stderr: `uname: invalid option -- 'x'\n${TRY}`, status: 1 });
    expect(sh(lab, 'rc', 'uname foo')).toEqual({ stdout: '', stderr: `uname: extra operand 'foo'\n${TRY}`, status: 1 });
    expect(sh(lab, 'rc', 'uname --frob')).toEqual({ stdout: '', stderr: `uname: unrecognized option '--frob'\n${TRY}`, status: 1 });
    expect(sh(lab, 'rc', 'uname --ker')).toEqual({ stdout: '', stderr: `uname: option '--ker' is ambiguous; possibilities: '--kernel-name' '--kernel-release' '--kernel-version'\n${TRY}`, status: 1 });
  });
});
