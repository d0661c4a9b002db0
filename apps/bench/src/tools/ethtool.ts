/**
 * `ethtool` in the lab: the @ntbsim/ethtool-ops userland front end over the board's network
 * devices (netlink path): `ntb0` with ntb_netdev's ethtool_ops, `lo` with loopback_ethtool_ops,
 * any other device with its driver's (or none), each with its feature sets and permanent
 * address. They are listed by ifindex, so `ethtool -l '*'` and `ethtool '*'` dump them as the
 * kernel's for_each_netdev_dump does. `ethtool --monitor` keeps listening on its board; the
 * notifications it receives are printed with the output of the board's next `ethtool` commands.
 */
import { createEthtoolNotifier, netdevEthtoolDevice, runEthtool, type EthtoolDevice, type EthtoolMonitor, type EthtoolNotifier } from '@ntbsim/ethtool-ops';
import type { NtbNetdev } from '@ntbsim/ntb-netdev';
import type { Board } from '../lab/lab.js';
import { result, type Command } from '../types.js';

const notifiers = new WeakMap<Board, EthtoolNotifier>();
const monitors = new WeakMap<Board, EthtoolMonitor[]>();

/** ntb0 as ethtool sees it: the driver's ethtool_ops, its parent the transport's device. */
function ntbDevice(nd: NtbNetdev): EthtoolDevice {
  return netdevEthtoolDevice(nd.ndev, { name: nd.transport.dev.name, driverName: 'ntb_transport' });
}

/** The ethtool view of the board's ntb0 (its ethtool_ops are the driver's). */
export function ethtoolDevice(board: Board): EthtoolDevice | undefined {
  const nd = board.netdev();
  return nd === null ? undefined : ntbDevice(nd);
}

/**
 * The board's devices as ethtool sees them, by ifindex (lo first): ntb0 with its driver's ops and
 * parent, any other device (lo with net-core's loopback_ethtool_ops: no get_drvinfo, parent or
 * rtnl_link_ops, so `ethtool -i lo` is -EOPNOTSUPP) with its driver's ops or none
 * (default_ethtool_ops).
 */
export function ethtoolDevices(board: Board): ReadonlyMap<string, EthtoolDevice> {
  const nd = board.netdev();
  const devs = [...board.stack.devices].sort((a, b) => a.ifindex - b.ifindex);
  return new Map(
    devs.map((dev): [string, EthtoolDevice] => {
      return [dev.name, nd !== null && dev === nd.ndev ? ntbDevice(nd) : netdevEthtoolDevice(dev)];
    }),
  );
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
    devices: ethtoolDevices(board),
    notifier: notifierOf(board),
  });
  if (r.monitor !== undefined) monitors.set(board, [...(monitors.get(board) ?? []), r.monitor]);
  return result(before + r.stdout + drainMonitors(board), r.stderr, r.exitCode);
};
