import { getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

const sh = (lab: Lab, line: string, board: 'rc' | 'ep' = 'rc'): CommandResult => labSh(lab, board, line);
const TRY = "Try 'nproc --help' for more information.\n";

describe('nproc (coreutils 9.1)', () => {
  const lab = bootLab({ seed: 1 });

  it("prints the board's CPUs; --all the same; --ignore=N takes N off, leaving at least 1", () => {
    const cpus = lab.boards.rc.host.cpus.length;
    expect(cpus).toBe(8);
    expect(sh(lab, 'nproc')).toEqual({ stdout: '8\n', stderr: '', status: 0 });
    expect(sh(lab, 'nproc --all', 'ep').stdout).toBe('8\n');
    expect(sh(lab, 'nproc --ignore=3').stdout).toBe('5\n');
    expect(sh(lab, 'nproc --ignore 7 --all').stdout).toBe('1\n');
    expect(sh(lab, 'nproc --ign=8').stdout).toBe('1\n');
    expect(sh(lab, 'nproc --ignore=18446744073709551615').stdout).toBe('1\n');
    expect(sh(lab, 'nproc --ignore=+2').stdout).toBe('6\n');
    const x86 = bootLab({ seed: 1, profile: getProfile('x86-server') });
    expect(sh(x86, 'nproc').stdout).toBe(`${x86.boards.rc.host.cpus.length}\n`);
  });

  it('--help and --version on stdout, with the C locale\'s ancillary lines, as uname, wc and cat print them', () => {
    const help = sh(lab, 'nproc --help').stdout;
    expect(help.startsWith('Usage: nproc [OPTION]...\nPrint the number of processing units available to the current process,\n')).toBe(true);
    expect(help).toContain('      --ignore=N  if possible, exclude N processing units\n');
    expect(help.endsWith("Report any translation bugs to <https://translationproject.org/team/>\nFull documentation <https://www.gnu.org/software/coreutils/nproc>\nor available locally via: info '(coreutils) nproc invocation'\n")).toBe(true);
    for (const tool of ['uname', 'wc', 'cat']) expect(sh(lab, `${tool} --help`).stdout).toContain('Report any translation bugs to <https://translationproject.org/team/>\n');
    expect(sh(lab, 'nproc --vers').stdout).toMatch(/^nproc \(GNU coreutils\) 9\.1\n[\s\S]*\nWritten by Giuseppe Scrivano\.\n$/);
    // getopt_long permutes: --help after an operand still prints the usage.
    expect(sh(lab, 'nproc foo --help').status).toBe(0);
  });

  it('refuses bad options, numbers and operands as coreutils words them, status 1', () => {
    expect(sh(lab, 'nproc -a')).toEqual({ stdout: '', stderr: `nproc: invalid option -- 'a'\n${TRY}`, status: 1 });
    expect(sh(lab, 'nproc --frob')).toEqual({ stdout: '', stderr: `nproc: unrecognized option '--frob'\n${TRY}`, status: 1 });
    expect(sh(lab, 'nproc --ignore')).toEqual({ stdout: '', stderr: `nproc: option '--ignore' requires an argument\n${TRY}`, status: 1 });
    expect(sh(lab, 'nproc --all=1')).toEqual({ stdout: '', stderr: `nproc: option '--all' doesn't allow an argument\n${TRY}`, status: 1 });
    expect(sh(lab, 'nproc 4')).toEqual({ stdout: '', stderr: `nproc: extra operand '4'\n${TRY}`, status: 1 });
    for (const bad of ['x', '-1', '2k', '1.5', '']) expect(sh(lab, `nproc --ignore=${bad}`)).toEqual({ stdout: '', stderr: `nproc: invalid number: '${bad}'\n`, status: 1 });
    expect(sh(lab, 'nproc --ignore=18446744073709551616')).toEqual({ stdout: '', stderr: "nproc: invalid number: '18446744073709551616': Numerical result out of range\n", status: 1 });
  });
});
