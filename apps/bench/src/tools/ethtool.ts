/**
 * `ethtool` in the lab: the @ntbsim/ethtool-ops userland front end over the board's `ntb0`
 * (netlink path). `ethtool --monitor` keeps listening on its board; the notifications it
 * receives are printed with the output of the board's next `ethtool` commands.
 */
import { createEthtoolNotifier, runEthtool, type EthtoolDevice, type EthtoolMonitor, type EthtoolNotifier, type EthtoolOps } from '@ntbsim/ethtool-ops';
import type { Board } from '../lab/lab.js';
import { result, type Command } from '../types.js';

const notifiers = new WeakMap<Board, EthtoolNotifier>();
const monitors = new WeakMap<Board, EthtoolMonitor[]>();

/** The ethtool view of the board's ntb0 (its ethtool_ops are the driver's). */
export function ethtoolDevice(board: Board): EthtoolDevice | undefined {
  const nd = board.netdev();
  if (nd === null) return undefined;
  const dev = nd.ndev;
  return {
    name: dev.name,
    ethtoolOps: dev.ethtoolOps as EthtoolOps,
    get isUp() {
      return dev.isUp;
    },
    get realNumRxQueues() {
      return dev.realNumRxQueues;
    },
    get realNumTxQueues() {
      return dev.realNumTxQueues;
    },
    parent: { name: nd.transport.dev.name, driverName: 'ntb_transport' },
  };
}

function notifierOf(board: Board): EthtoolNotifier {
  let n = notifiers.get(board);
  if (n === undefined) {
    n = createEthtoolNotifier();
    notifiers.set(board, n);
  }
  return n;
}

function drainMonitors(board: Board): string {
  const list = (monitors.get(board) ?? []).filter((m) => !m.closed);
  monitors.set(board, list);
  return list.map((m) => m.read()).join('');
}

/** `ethtool ARGS…` on the board's devices. */
export const ethtool: Command = (argv, env) => {
  const board = env.board;
  const before = drainMonitors(board);
  const r = runEthtool(argv.slice(1), {
    devices: (name) => (name === board.netdev()?.ndev.name ? ethtoolDevice(board) : undefined),
    notifier: notifierOf(board),
  });
  if (r.monitor !== undefined) monitors.set(board, [...(monitors.get(board) ?? []), r.monitor]);
  return result(before + r.stdout + drainMonitors(board), r.stderr, r.exitCode);
};
