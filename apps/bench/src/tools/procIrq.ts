/**
 * /proc/irq (kernel/irq/proc.c) on a board: `default_smp_affinity` (irq_default_affinity,
 * `%*pb`), and per vector `smp_affinity` (`%*pb`) and `smp_affinity_list` (`%*pbl`), written
 * through cpumask_parse_user and cpumask_parselist_user (write_irq_affinity: a mask with no
 * online CPU is EINVAL, irq_select_affinity_usr without CONFIG_AUTO_IRQ_AFFINITY), and the
 * read-only `effective_affinity` and `effective_affinity_list`
 * (CONFIG_GENERIC_IRQ_EFFECTIVE_AFF_MASK, which GICv3 selects): the CPU the model delivers the
 * vector on, the lowest of its mask, as gic_set_affinity's cpumask_any_and picks it. A write to
 * default_smp_affinity (default_affinity_write: bitmap_parse, no online CPU is EINVAL) is the
 * mask a vector requested afterwards starts with; the vectors there keep theirs. Of a vector's
 * directory the model has these four files: not `affinity_hint`, `node`, `spurious` or the
 * handlers' directories.
 */
import type { IrqVector } from '@ntbsim/kernel';
import type { Board } from '../lab/lab.js';
import { cpumaskParse, maskHex, maskList } from './cpumask.js';
import type { FsNode, KernelWrite } from './proc.js';

/** A vector's files, in register_irq_proc's order. */
const IRQ_FILES = ['smp_affinity', 'smp_affinity_list', 'effective_affinity', 'effective_affinity_list'] as const;

/** The text of vector file `name` for `mask` (its smp_affinity) and `target` (the CPU it is delivered on). */
function irqFileText(board: Board, name: (typeof IRQ_FILES)[number], mask: number, target: number): string {
  const nbits = board.host.cpus.length;
  switch (name) {
    case 'smp_affinity':
      return `${maskHex(mask, nbits)}\n`;
    case 'smp_affinity_list':
      return `${maskList(mask)}\n`;
    case 'effective_affinity':
      return `${maskHex(1 << target, nbits)}\n`;
    case 'effective_affinity_list':
      return `${target}\n`;
  }
}

/** The vector `/proc/irq/<n>` names on `board`, or undefined. */
function vectorOf(board: Board, n: string | undefined): IrqVector | undefined {
  return n !== undefined && /^\d+$/.test(n) ? board.host.irqs.get(Number(n)) : undefined;
}

/** The node of /proc/irq/`rest` on `board` (`rest` the components below /proc/irq), or null. */
export function irqNode(board: Board, rest: readonly string[]): FsNode | null {
  const [n, f] = rest;
  if (n === undefined) return { kind: 'dir', entries: ['default_smp_affinity', ...[...board.host.irqs.keys()].sort((x, y) => x - y).map(String)] };
  if (n === 'default_smp_affinity') return rest.length === 1 ? { kind: 'file', read: () => `${maskHex(board.host.irqDefaultAffinity, board.host.cpus.length)}\n` } : null;
  const irq = vectorOf(board, n);
  if (irq === undefined || rest.length > 2) return null;
  if (f === undefined) return { kind: 'dir', entries: IRQ_FILES };
  const name = IRQ_FILES.find((x) => x === f);
  return name === undefined ? null : { kind: 'file', read: () => irqFileText(board, name, irq.affinity, irq.target.id) };
}

/**
 * A write of `text` to /proc/irq/`rest` on `board`: smp_affinity (hex) and smp_affinity_list
 * (a CPU list) of a vector, and default_smp_affinity (hex); undefined for another file (the
 * effective ones, whose writes proc refuses as every read-only file's).
 */
export function writeIrq(board: Board, rest: readonly string[], text: string): KernelWrite | undefined {
  const [n, f] = rest;
  if (n === 'default_smp_affinity' && rest.length === 1) {
    const mask = cpumaskParse(board, text);
    if (typeof mask === 'string') return mask;
    try {
      board.host.setIrqDefaultAffinity(mask);
    } catch {
      return 'EINVAL';
    }
    return null;
  }
  const irq = vectorOf(board, n);
  if (irq === undefined || rest.length !== 2 || (f !== 'smp_affinity' && f !== 'smp_affinity_list')) return undefined;
  // write_irq_affinity: a vector whose chip cannot steer it (a DWC MSI without genirq's
  // redirection) is EIO before the mask is parsed.
  if (irq.noAffinity) return 'EIO';
  const mask = cpumaskParse(board, text, f === 'smp_affinity_list');
  if (typeof mask === 'string') return mask;
  try {
    irq.setAffinity(mask);
  } catch {
    return 'EINVAL';
  }
  return null;
}
