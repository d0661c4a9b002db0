/**
 * /proc and debugfs files of the lab, as `cat` prints them, and the writable
 * `/proc/irq/N/smp_affinity`: `/proc/interrupts` (kernel/irq/proc.c show_interrupts layout:
 * a CPU header, then per vector its number, per-CPU counts, chip, hwirq, trigger and name),
 * `/proc/irq/N/smp_affinity` (hex mask), and
 * `/sys/kernel/debug/ntb_transport/<dev>/qpN/stats`.
 */
import { formatQpStats } from '@ntbsim/ntb-transport';
import type { Board } from '../lab/lab.js';
import { result, type Command, type CommandResult } from '../types.js';

/** The text of /proc/interrupts on `board`. */
export function procInterrupts(board: Board): string {
  const host = board.host;
  const irqs = [...host.irqs.values()].sort((a, b) => a.num - b.num);
  const width = Math.max(3, String(irqs.at(-1)?.num ?? 0).length);
  let out = ' '.repeat(width + 1);
  for (const c of host.cpus) out += `CPU${String(c.id).padEnd(8)}`;
  out += '\n';
  for (const irq of irqs) {
    out += `${String(irq.num).padStart(width)}: `;
    for (const c of host.cpus) out += `${String(irq.counts[c.id] ?? 0).padStart(10)} `;
    out += `${'PCI-MSI'.padStart(8)} ${String(irq.num).padStart(8)} Edge      ${irq.name}\n`;
  }
  return out;
}

function maskHex(mask: number, cpus: number): string {
  return (mask >>> 0).toString(16).padStart(Math.ceil(cpus / 4), '0');
}

/** Parse a cpumask as written to smp_affinity (hex, optionally comma-grouped by 32 bits); null if malformed. */
export function parseCpumask(text: string): number | null {
  const t = text.trim().replace(/,/g, '');
  if (!/^[0-9a-fA-F]+$/.test(t) || t.length > 8) return null;
  return parseInt(t, 16) >>> 0;
}

const QP_STATS = /^\/sys\/kernel\/debug\/ntb_transport\/([^/]+)\/qp(\d+)\/stats$/;
const IRQ_AFFINITY = /^\/proc\/irq\/(\d+)\/smp_affinity$/;

/** Read a lab file; null when it does not exist. */
export function readFile(board: Board, path: string): string | null {
  if (path === '/proc/interrupts') return procInterrupts(board);
  const aff = IRQ_AFFINITY.exec(path);
  if (aff !== null) {
    const irq = board.host.irqs.get(Number(aff[1]));
    return irq === undefined ? null : `${maskHex(irq.affinity, board.host.cpus.length)}\n`;
  }
  const qp = QP_STATS.exec(path);
  if (qp !== null) {
    const t = board.transport();
    if (t === null || t.dev.name !== qp[1]) return null;
    const q = t.qps[Number(qp[2])];
    return q === undefined ? null : formatQpStats(q);
  }
  return null;
}

/** `cat FILE...`. */
export const cat: Command = (argv, env) => {
  let out = '';
  let err = '';
  for (const path of argv.slice(1)) {
    const text = readFile(env.board, path);
    if (text === null) err += `cat: ${path}: No such file or directory\n`;
    else out += text;
  }
  return result(out, err, err === '' ? 0 : 1);
};

/** `echo VALUE > FILE` (argv = [FILE, VALUE...]): the only writable file is smp_affinity. */
export const echoRedirect: Command = (argv, env) => {
  const [path, ...words] = argv.slice(0);
  const value = words.join(' ');
  const aff = IRQ_AFFINITY.exec(path ?? '');
  const fail = (msg: string): CommandResult => result('', `bash: ${msg}\n`, 1);
  if (aff === null) return readFile(env.board, path ?? '') === null ? fail(`${path ?? ''}: No such file or directory`) : fail(`${path ?? ''}: Permission denied`);
  const irq = env.board.host.irqs.get(Number(aff[1]));
  if (irq === undefined) return fail(`${path ?? ''}: No such file or directory`);
  const mask = parseCpumask(value);
  if (mask === null) return fail('echo: write error: Invalid argument');
  try {
    irq.setAffinity(mask);
  } catch {
    return fail('echo: write error: Invalid argument');
  }
  return result('');
};
