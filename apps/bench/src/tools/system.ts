/**
 * Small userland tools of the lab: `sleep`, `top` (per-CPU utilisation by context over the
 * last interval, in top's `%CpuN` layout: us = user tasks, sy = kthreads and workqueues,
 * hi = hardirq, si = softirq and tasklets, id = idle), `ip` (`link set DEV up|down|mtu N`,
 * `-s link show DEV`, `addr show`), and `modprobe` / `rmmod` for ntb_netdev.
 */
import { NS_PER_SEC, type CpuUsage } from '@ntbsim/kernel';
import type { NetDevice } from '@ntbsim/net-core';
import type { Board } from '../lab/lab.js';
import { applyParam, ParamError, type ModuleParams } from '../lab/params.js';
import { result, type Command } from '../types.js';

/** `sleep SECONDS`: advance virtual time. */
export const sleep: Command = (argv, env) => {
  const arg = argv[1];
  const s = arg === undefined ? NaN : Number(arg.replace(/s$/, ''));
  if (!(s >= 0) || !Number.isFinite(s)) return result('', arg === undefined ? "sleep: missing operand\nTry 'sleep --help' for more information.\n" : `sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`, 1);
  env.lab.sim.run({ until: env.lab.sim.now + Math.round(s * NS_PER_SEC) });
  return result('');
};

const lastTop = new WeakMap<Board, { t: number; usage: CpuUsage[] }>();

/** Per-CPU utilisation (%) by kind between two usage snapshots. */
export function utilisation(before: readonly CpuUsage[], after: readonly CpuUsage[]): { cpu: number; us: number; sy: number; hi: number; si: number; id: number }[] {
  return after.map((a, cpu) => {
    const b = before[cpu] ?? { hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 };
    const d = { us: a.user - b.user, sy: a.kthread - b.kthread, hi: a.hardirq - b.hardirq, si: a.softirq - b.softirq, id: a.idle - b.idle };
    const total = d.us + d.sy + d.hi + d.si + d.id || 1;
    const pct = (v: number): number => (100 * v) / total;
    return { cpu, us: pct(d.us), sy: pct(d.sy), hi: pct(d.hi), si: pct(d.si), id: pct(d.id) };
  });
}

/** `top -b -n 1`-like per-CPU lines for the interval since the last `top` (or boot). */
export const top: Command = (_argv, env) => {
  const board = env.board;
  const now = env.lab.sim.now;
  const usage = board.host.usage();
  const prev = lastTop.get(board) ?? { t: board.host.bootTime, usage: board.host.cpus.map(() => ({ hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 })) };
  lastTop.set(board, { t: now, usage });
  const f = (v: number): string => v.toFixed(1).padStart(5);
  let out = `top - ${board.name}: per-CPU utilisation over the last ${((now - prev.t) / 1e9).toFixed(3)} s (virtual time)\n`;
  for (const u of utilisation(prev.usage, usage)) {
    out += `%Cpu${String(u.cpu).padEnd(3)}:${f(u.us)} us,${f(u.sy)} sy,  0.0 ni,${f(u.id)} id,  0.0 wa,${f(u.hi)} hi,${f(u.si)} si,  0.0 st\n`;
  }
  return result(out);
};

function macOf(dev: NetDevice): string {
  return [...dev.devAddr].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function linkLine(dev: NetDevice): string {
  const flags = ['BROADCAST', 'MULTICAST', ...(dev.isUp ? ['UP'] : []), ...(dev.isUp && dev.netifCarrierOk() ? ['LOWER_UP'] : [])];
  const state = dev.operstate === 'LOWERLAYERDOWN' ? 'DOWN' : dev.operstate;
  const qdisc = dev.numTxQueues > 1 ? 'mq' : 'pfifo_fast';
  return `${dev.ifindex}: ${dev.name}: <${flags.join(',')}> mtu ${dev.mtu} qdisc ${qdisc} state ${state} mode DEFAULT group default qlen ${dev.txqueuelen}\n    link/ether ${macOf(dev)} brd ff:ff:ff:ff:ff:ff\n`;
}

function col(values: (number | string)[], widths: number[]): string {
  return values.map((v, i) => String(v).padStart(widths[i] ?? 8)).join(' ');
}

/** The `ip -s link show DEV` block (iproute2 ≥ 5.x layout). */
export function ipStatsBlock(dev: NetDevice): string {
  const s = dev.stats;
  const w = [10, 7, 6, 7, 7, 7];
  return (
    linkLine(dev) +
    `    RX:  bytes packets errors dropped  missed   mcast           \n` +
    `    ${col([s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxMissedErrors, s.multicast], w)}\n` +
    `    TX:  bytes packets errors dropped carrier collsns           \n` +
    `    ${col([s.txBytes, s.txPackets, s.txErrors, s.txDropped, s.txCarrierErrors, s.collisions], w)}\n`
  );
}

/** `ip link set DEV up|down|mtu N`, `ip [-s] link show [DEV]`, `ip addr show`. */
export const ip: Command = (argv, env) => {
  const args = argv.slice(1);
  const stats = args[0] === '-s';
  if (stats) args.shift();
  const board = env.board;
  const find = (name: string | undefined): NetDevice | null => {
    const nd = board.netdev();
    return nd !== null && nd.ndev.name === name ? nd.ndev : null;
  };
  const [obj, verb, dev, ...rest] = args;
  if ((obj === 'link' || obj === 'l') && verb === 'set') {
    const d = find(dev);
    if (d === null) return result('', `Cannot find device "${dev ?? ''}"\n`, 1);
    if (rest.length === 0) return result('', 'Not enough information: "dev" argument is required.\n', 255);
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i];
      if (w === 'up') {
        const rc = d.open();
        if (rc < 0) return result('', `RTNETLINK answers: ${rc}\n`, 2);
      } else if (w === 'down') d.close();
      else if (w === 'mtu') {
        const n = Number(rest[++i]);
        if (!Number.isInteger(n) || n < 0) return result('', `Error: argument "${rest[i] ?? ''}" is wrong: Invalid "mtu" value\n\n`, 255);
        try {
          d.setMtu(n);
        } catch (e) {
          const code = (e as { code?: string }).code;
          const msg = n > d.maxMtu ? `Error: mtu greater than device maximum.\n` : n < d.minMtu ? 'Error: mtu less than device minimum.\n' : `RTNETLINK answers: ${code === 'EINVAL' ? 'Invalid argument' : String(code)}\n`;
          return result('', msg, 2);
        }
      } else return result('', `Error: either "dev" is duplicate, or "${w ?? ''}" is a garbage.\n`, 255);
    }
    return result('');
  }
  if ((obj === 'link' || obj === 'l') && (verb === 'show' || verb === undefined)) {
    const nd = board.netdev();
    if (dev !== undefined && find(dev) === null) return result('', `Device "${dev}" does not exist.\n`, 1);
    if (nd === null) return result('');
    return result(stats ? ipStatsBlock(nd.ndev) : linkLine(nd.ndev));
  }
  if ((obj === 'addr' || obj === 'a') && (verb === 'show' || verb === undefined)) {
    const nd = board.netdev();
    if (nd === null) return result('');
    const addrs = board.stack.addressesOf(nd.ndev).map((a) => `    inet ${a} scope global ${nd.ndev.name}\n`);
    return result(linkLine(nd.ndev).replace(' mode DEFAULT group default', ' group default') + addrs.join(''));
  }
  return result('', `Object "${obj ?? ''}" is unknown, try "ip help".\n`, 255);
};

/** `modprobe ntb_netdev [param=value...]` (a no-op when loaded, as modprobe) and `modprobe ntb_transport`. */
export const modprobe: Command = (argv, env) => {
  const [, mod, ...params] = argv;
  if (mod === undefined) return result('', 'modprobe: ERROR: missing parameters. See -h.\n', 1);
  if (mod === 'ntb_transport' || mod === 'ntb_hw_epf' || mod === 'pci_epf_vntb') return result('');
  if (mod !== 'ntb_netdev') return result('', `modprobe: FATAL: Module ${mod} not found in directory /lib/modules/ntbsim\n`, 1);
  let p: ModuleParams = { transport: {}, netdev: {} };
  try {
    for (const spec of params) p = applyParam(p, spec, 'ntb_netdev');
  } catch (e) {
    if (e instanceof ParamError) return result('', `modprobe: ERROR: could not insert 'ntb_netdev': Invalid argument\n`, 1);
    throw e;
  }
  const rc = env.board.loadNetdev(p.netdev);
  return rc === 0 ? result('') : result('', `modprobe: ERROR: could not insert 'ntb_netdev': ${rc}\n`, 1);
};

/** `rmmod ntb_netdev`. */
export const rmmod: Command = (argv, env) => {
  const mod = argv[1];
  if (mod !== 'ntb_netdev') return result('', `rmmod: ERROR: Module ${mod ?? ''} is not currently loaded\n`, 1);
  return env.board.unloadNetdev() ? result('') : result('', 'rmmod: ERROR: Module ntb_netdev is not currently loaded\n', 1);
};
