import type { IrqVector } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { completePath } from '../../src/lab/shell.js';
import { sh as labSh } from '../labShell.js';

function sh(lab: Lab, line: string) {
  return labSh(lab, 'rc', line);
}

/** The first ntb_epf vector of the RC and the path of its /proc/irq directory. */
function epfVector(lab: Lab): { irq: IrqVector; dir: string } {
  const irq = [...lab.boards.rc.host.irqs.values()].find((v) => v.name === 'ntb_epf');
  if (irq === undefined) throw new Error('no ntb_epf vector');
  return { irq, dir: `/proc/irq/${irq.num}` };
}

const WRITE = (why: string): { stdout: string; stderr: string; status: number } => ({ stdout: '', stderr: `bash: echo: write error: ${why}\n`, status: 1 });

describe('/proc/irq (kernel/irq/proc.c)', () => {
  it("a vector's directory has smp_affinity, smp_affinity_list and the effective affinity, in hex and as a CPU list", () => {
    const lab = bootLab({ seed: 3 });
    const { dir } = epfVector(lab);
    expect(sh(lab, `ls ${dir}`)).toEqual({ stdout: 'effective_affinity  effective_affinity_list  smp_affinity  smp_affinity_list\n', stderr: '', status: 0 });
    expect(sh(lab, 'ls -1 /proc/irq').stdout).toMatch(/^(\d+\n)+default_smp_affinity\n$/);
    expect(sh(lab, `cat ${dir}/smp_affinity ${dir}/smp_affinity_list ${dir}/effective_affinity ${dir}/effective_affinity_list`).stdout).toBe('ff\n0-7\n01\n0\n');
    expect(completePath(lab.boards.rc, `${dir}/smp`)).toEqual([`${dir}/smp_affinity`, `${dir}/smp_affinity_list`]);
    expect(sh(lab, `cat ${dir}/*_list`).stdout).toBe('0\n0-7\n');
  });

  it('echo CPULIST > smp_affinity_list moves the vector (cpumask_parselist_user); effective_affinity names the CPU it is delivered on', () => {
    const lab = bootLab({ seed: 3 });
    const { irq, dir } = epfVector(lab);
    expect(sh(lab, `echo 2-3 > ${dir}/smp_affinity_list`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect([irq.affinity, irq.target.id]).toEqual([0x0c, 2]);
    expect(sh(lab, `cat ${dir}/smp_affinity ${dir}/smp_affinity_list ${dir}/effective_affinity ${dir}/effective_affinity_list`).stdout).toBe('0c\n2-3\n04\n2\n');
    expect(sh(lab, `echo 0-7:2/4 > ${dir}/smp_affinity_list`).status).toBe(0);
    expect(sh(lab, `cat ${dir}/smp_affinity ${dir}/smp_affinity_list`).stdout).toBe('33\n0-1,4-5\n');
    expect(sh(lab, `echo 80 > ${dir}/smp_affinity`).status).toBe(0);
    expect(sh(lab, `cat ${dir}/smp_affinity_list ${dir}/effective_affinity_list`).stdout).toBe('7\n7\n');
    expect(sh(lab, `echo 1,5 | sudo tee ${dir}/smp_affinity_list`)).toEqual({ stdout: '1,5\n', stderr: '', status: 0 });
    expect(sh(lab, `cat ${dir}/effective_affinity`).stdout).toBe('02\n');
  });

  it('smp_affinity_list refuses what bitmap_parselist refuses, and a list of no CPU, leaving the mask as it was', () => {
    const lab = bootLab({ seed: 3 });
    const { irq, dir } = epfVector(lab);
    const file = `${dir}/smp_affinity_list`;
    expect(sh(lab, `echo 8 > ${file}`)).toEqual(WRITE('Numerical result out of range'));
    expect(sh(lab, `echo 0-8 > ${file}`)).toEqual(WRITE('Numerical result out of range'));
    expect(sh(lab, `echo 3-1 > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(sh(lab, `echo 0-7:3/2 > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(sh(lab, `echo 0x1 > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(sh(lab, `echo 4294967296 > ${file}`)).toEqual(WRITE('Value too large for defined data type'));
    expect(sh(lab, `echo > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(irq.affinity).toBe(0xff);
  });

  it('effective_affinity and effective_affinity_list are read-only: procfs takes the open and fails the write (EIO)', () => {
    const lab = bootLab({ seed: 3 });
    const { dir } = epfVector(lab);
    for (const f of ['effective_affinity', 'effective_affinity_list']) expect(sh(lab, `echo 1 > ${dir}/${f}`)).toEqual(WRITE('Input/output error'));
    // The lab has no `node` file: bash's O_CREAT open of it in procfs is refused.
    expect(sh(lab, `echo 1 > ${dir}/node`)).toEqual({ stdout: '', stderr: `bash: ${dir}/node: Permission denied\n`, status: 1 });
  });

  it('default_smp_affinity: bitmap_parse, a mask of no CPU refused; a vector requested afterwards starts on it, the others keep theirs', () => {
    const lab = bootLab({ seed: 3 });
    const { dir } = epfVector(lab);
    const file = '/proc/irq/default_smp_affinity';
    expect(sh(lab, `cat ${file}`).stdout).toBe('ff\n');
    expect(sh(lab, `echo 0 > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(sh(lab, `echo 1ff > ${file}`)).toEqual(WRITE('Value too large for defined data type'));
    expect(sh(lab, `echo 2-3 > ${file}`)).toEqual(WRITE('Invalid argument'));
    expect(sh(lab, `echo f0 > ${file}`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, `cat ${file} ${dir}/smp_affinity`).stdout).toBe('f0\nff\n');
    const later = lab.boards.rc.host.requestIrq('later', () => undefined);
    expect(sh(lab, `cat /proc/irq/${later.num}/smp_affinity /proc/irq/${later.num}/effective_affinity_list`).stdout).toBe('f0\n4\n');
    // Each board's kernel has its own.
    expect(labSh(lab, 'ep', `cat ${file}`).stdout).toBe('ff\n');
  });
});
