/**
 * Small userland tools of the lab: `sleep`, `top` (per-CPU utilisation by context over the
 * last interval, in top's `%CpuN` layout: sy = kthreads, workqueues and the user tasks' system
 * calls, us = user mode (0.0: the lab's tools, iperf3, ping and sockperf, are charged only their
 * system calls, so their time shows as sy, as top shows a network benchmark's), hi = hardirq,
 * si = softirq and tasklets, id = idle), `ip` (`link set DEV up|down|mtu N|txqueuelen N`,
 * `-s link show DEV`, `addr show`), and `modprobe` / `rmmod` for ntb_netdev, ntb_transport, ntb_perf, ntb_tool and ntb_pingpong.
 */
import { ERRNO, errnoName, kstrtouint, NS_PER_SEC, strerror, type CpuUsage, type Errno } from '@ntbsim/kernel';
import type { PingpongParams } from '@ntbsim/ntb-pingpong';
import { formatIpv4, formatMac, NetError, parseIpv4, parseIpv4Prefix, prefixMask, type Ipv4Prefix, type NetDevice, type NetDevStats, type NudState } from '@ntbsim/net-core';
import { LabError, type Board } from '../lab/lab.js';
import { applyParam, ParamError, parsePerfParams, unknownParamMessage, type ModuleParams } from '../lab/params.js';
import { getInteger, strtod } from './net/cparse.js';
import { writeSysctl } from './procSys.js';
import { addJob } from './jobs.js';
import { LAB_KERNEL_RELEASE } from './net/host.js';
import { matches } from './net/iproute2.js';
import { result, runsAsRoot, type Command, type CommandResult, type ShellEnv } from '../types.js';

const SLEEP_TRY = "Try 'sleep --help' for more information.\n";
const SLEEP_SUFFIX: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * `sleep NUMBER[SUFFIX]...` (GNU coreutils): advance virtual time by the sum of the operands,
 * each a non-negative number with an optional s/m/h/d suffix. Every bad operand is reported
 * before the usage hint; a word starting with '-' is an option, and sleep has none.
 */
export const sleep: Command = (argv, env) => {
  const args = argv.slice(1);
  let i = 0;
  if (args[0] === '--') i = 1;
  else {
    const opt = args.find((a) => a.startsWith('-') && a !== '-');
    if (opt !== undefined) {
      const msg = opt.startsWith('--') ? `unrecognized option '${opt}'` : `invalid option -- '${opt.charAt(1)}'`;
      return result('', `sleep: ${msg}\n${SLEEP_TRY}`, 1);
    }
  }
  const operands = args.slice(i);
  if (operands.length === 0) return result('', `sleep: missing operand\n${SLEEP_TRY}`, 1);
  let err = '';
  let seconds = 0;
  for (const a of operands) {
    const p = strtod(a);
    const factor = p === null || p.rest.length > 1 ? undefined : SLEEP_SUFFIX[p.rest];
    if (p === null || factor === undefined || Number.isNaN(p.value) || p.value < 0) err += `sleep: invalid time interval '${a}'\n`;
    else seconds += p.value * factor;
  }
  if (err !== '') return result('', err + SLEEP_TRY, 1);
  if (!Number.isFinite(seconds)) return result('', 'sleep: the lab cannot interrupt an endless sleep: give a finite interval\n', 1);
  const sim = env.lab.sim;
  const until = sim.now + Math.round(seconds * NS_PER_SEC);
  if (env.background === true) {
    // sleep has no handler: any signal that ends a process ends it (exit status 128 + its number).
    let killedBy = 0;
    const ended = (): boolean => killedBy > 0 || sim.now >= until;
    addJob(env.board, {
      comm: 'sleep',
      command: env.commandLine ?? 'sleep',
      ended,
      signal: (sig) => {
        if (!ended()) killedBy = sig.signo;
      },
      status: () => (killedBy > 0 ? { kind: 'signal', signo: killedBy } : ended() ? { kind: 'exit', code: 0 } : null),
    });
    return result('');
  }
  // A background job's end stops the simulation's run: run on to the end of the interval.
  while (sim.now < until) sim.run({ until });
  return result('');
};

const lastTop = new WeakMap<Board, { t: number; usage: CpuUsage[]; byTask: Map<string, number>[] }>();

/** Per-CPU utilisation (%) by context kind between two usage snapshots: `us` user tasks (all of it their system calls), `sy` kthreads and workqueues. */
export function utilisation(before: readonly CpuUsage[], after: readonly CpuUsage[]): { cpu: number; us: number; sy: number; hi: number; si: number; id: number }[] {
  return after.map((a, cpu) => {
    const b = before[cpu] ?? { hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 };
    const d = { us: a.user - b.user, sy: a.kthread - b.kthread, hi: a.hardirq - b.hardirq, si: a.softirq - b.softirq, id: a.idle - b.idle };
    const total = d.us + d.sy + d.hi + d.si + d.id;
    // procps top: `if (1 > tot_frme) idl_frme = tot_frme = 1;` — no time passed shows as all idle.
    if (total <= 0) return { cpu, us: 0, sy: 0, hi: 0, si: 0, id: 100 };
    const pct = (v: number): number => (100 * v) / total;
    return { cpu, us: pct(d.us), sy: pct(d.sy), hi: pct(d.hi), si: pct(d.si), id: pct(d.id) };
  });
}

const TOP_USAGE = 'Usage:\n  top -hv | -bcEeHiOSs1 -d secs -n max -u|U user -p pid(s) -o field -w [cols]\n';
/** procps-ng 3.3.17 top's `-h` / `-v` (HELP_cmdline_fmt): the version, then the usage, on stdout. */
const TOP_HELP = `  procps-ng 3.3.17\n${TOP_USAGE}`;
/** top's flags without an argument, and with one (procps-ng parse_args). */
const TOP_FLAGS = new Set('bcEeHiOSs1'.split(''));
const TOP_WITH_ARG = new Set('dnopuU'.split(''));

/** procps-ng top's command line: null when it is acceptable, 'help' for -h / -v, else what top prints on stderr. */
function topArgsError(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const body = a.startsWith('-') ? a.slice(1) : a;
    for (let j = 0; j < body.length; j++) {
      const c = body.charAt(j);
      // parse_args skips a '-' (so `--help` is `-h`); -h and -v print the help and exit.
      if (TOP_FLAGS.has(c) || c === '-') continue;
      if (c === 'h' || c === 'v') return 'help';
      if (c === 'w') break;
      if (!TOP_WITH_ARG.has(c)) return `top: unknown option '${c}'\n${TOP_USAGE}`;
      const arg = j + 1 < body.length ? body.slice(j + 1) : args[++i];
      if (arg === undefined) return `top: -${c} requires argument\n${TOP_USAGE}`;
      if (c === 'd' && !/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(arg)) return `top: bad delay interval '${arg}'\n`;
      if (c === 'n' && !/^\s*\d+\s*$/.test(arg)) return `top: bad iterations argument '${arg}'\n`;
      break;
    }
  }
  return null;
}

/**
 * `top -b -n 1`-like: per-CPU lines for the interval since the last `top` (or boot), then the
 * tasks that ran in it — kthreads, user tasks and ksoftirqd/N (softirq work handed to it) —
 * with their %CPU and the CPU they ran on most (top's P), busiest first.
 */
export const top: Command = (argv, env) => {
  const bad = topArgsError(argv.slice(1));
  if (bad === 'help') return result(TOP_HELP);
  if (bad !== null) return result('', bad, 1);
  const board = env.board;
  const now = env.lab.sim.now;
  const usage = board.host.usage();
  const byTask = board.host.cpus.map((c) => c.usageByTask());
  const prev = lastTop.get(board) ?? { t: board.host.bootTime, usage: board.host.cpus.map(() => ({ hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 })), byTask: board.host.cpus.map(() => new Map<string, number>()) };
  lastTop.set(board, { t: now, usage, byTask });
  const f = (v: number): string => v.toFixed(1).padStart(5);
  let out = `top - ${board.name}: per-CPU utilisation over the last ${((now - prev.t) / 1e9).toFixed(3)} s (virtual time)\n`;
  for (const u of utilisation(prev.usage, usage)) {
    out += `%Cpu${String(u.cpu).padEnd(3)}:${f(0)} us,${f(u.us + u.sy)} sy,  0.0 ni,${f(u.id)} id,  0.0 wa,${f(u.hi)} hi,${f(u.si)} si,  0.0 st\n`;
  }
  const span = Math.max(1, now - prev.t);
  const tasks = new Map<string, { ns: number; cpu: number; most: number }>();
  byTask.forEach((m, cpu) => {
    for (const [comm, ns] of m) {
      const d = ns - (prev.byTask[cpu]?.get(comm) ?? 0);
      if (d <= 0) continue;
      const t = tasks.get(comm) ?? { ns: 0, cpu, most: 0 };
      t.ns += d;
      if (d > t.most) {
        t.most = d;
        t.cpu = cpu;
      }
      tasks.set(comm, t);
    }
  });
  const rows = [...tasks].map(([comm, t]) => ({ comm, pct: (100 * t.ns) / span, cpu: t.cpu })).filter((r) => r.pct >= 0.05);
  rows.sort((a, b) => b.pct - a.pct || a.comm.localeCompare(b.comm));
  if (rows.length > 0) {
    out += `\n %CPU   P COMMAND\n`;
    for (const r of rows) out += `${f(r.pct)} ${String(r.cpu).padStart(3)} ${r.comm}\n`;
  }
  return result(out);
};

/**
 * The first two lines of `ip link` for `dev` (iproute2 print_linkinfo): flags as
 * print_link_flags writes them — NO-CARRIER first when the device is up but not running
 * (IFF_RUNNING needs operstate UP), LOWER_UP when up with carrier — then the root qdisc
 * (NetDevice.rootQdiscKind: noop until the first open, then noqueue, mq — the default one or one
 * tc created with a handle, whatever its children — or the root qdisc's kind: net.core.default_qdisc's,
 * or one `tc qdisc replace` grafted; kept while down).
 */
function linkLine(dev: NetDevice, details = false): string {
  const running = dev.isUp && dev.operstate === 'UP';
  // dev_get_flags: IFF_PROMISC as the user set it (gflags), not a capture's.
  const kind = [...(dev.loopback ? ['LOOPBACK'] : ['BROADCAST', 'MULTICAST']), ...(dev.promiscFlag ? ['PROMISC'] : [])];
  const flags = [...(dev.isUp && !running ? ['NO-CARRIER'] : []), ...kind, ...(dev.isUp ? ['UP'] : []), ...(dev.isUp && dev.netifCarrierOk() ? ['LOWER_UP'] : [])];
  const link = dev.loopback ? `link/loopback ${formatMac(dev.devAddr)} brd 00:00:00:00:00:00` : `link/ether ${formatMac(dev.devAddr)} brd ff:ff:ff:ff:ff:ff`;
  return `${dev.ifindex}: ${dev.name}: <${flags.join(',')}> mtu ${dev.mtu} qdisc ${dev.rootQdiscKind} state ${stateOf(dev)} mode DEFAULT group default qlen ${dev.txqueuelen}\n    ${link}${details ? linkDetails(dev) : ''}\n`;
}

/**
 * What `ip -d` adds to the link line: iproute2 6.1 print_linkinfo's show_details run over the
 * attributes rtnl_fill_ifinfo sends — promiscuity (a capture's packet socket holds one), the MTU
 * range (0 for lo's unset max_mtu), the queue counts, the GSO/TSO/GRO limits, and the parent
 * device's bus and name (ntb0's is its ntb_transport client device; lo has none). No link kind,
 * and no addrgenmode: the boards have no IPv6.
 */
function linkDetails(dev: NetDevice): string {
  const parent = dev.parent === null ? '' : `parentbus ${dev.parent.bus} parentdev ${dev.parent.name} `;
  return ` promiscuity ${dev.promiscuity} minmtu ${dev.minMtu} maxmtu ${dev.maxMtu} numtxqueues ${dev.numTxQueues} numrxqueues ${dev.numRxQueues} gso_max_size ${dev.gsoMaxSize} gso_max_segs ${dev.gsoMaxSegs} tso_max_size ${dev.tsoMaxSize} tso_max_segs ${dev.tsoMaxSegs} gro_max_size ${dev.groMaxSize} ${parent}`;
}

/** The operstate `ip` prints: lo's driver reports none (UNKNOWN while up), a link without carrier shows DOWN. */
function stateOf(dev: NetDevice): string {
  if (dev.loopback && dev.isUp) return 'UNKNOWN';
  return dev.operstate === 'LOWERLAYERDOWN' ? 'DOWN' : dev.operstate;
}

/** iproute2 size_columns' width of `val`: its digits, counted as `powi < val` counts them (10, 100, … count one short). */
function statWidth(val: number): number {
  let len = 1;
  for (let powi = 10; powi < val; powi *= 10) len++;
  return len;
}

/**
 * The statistics rows of `ip -s link` (iproute2 print_stats64), and with `level` 2 (`-s -s`)
 * its RX errors and TX errors rows: each column starts as wide as its widest header word and
 * widens to the digits of the largest value it holds in any printed row (size_columns, whose
 * TX errors call sizes one column to the right of where it prints); every number is printed
 * "%*llu " (print_num), so number rows end in a space; the compressed, nohandler and
 * otherhost columns show only when nonzero, and transns only with the device's carrier change
 * count (IFLA_CARRIER_CHANGES; null when it is not known).
 */
export function formatLinkStats(s: NetDevStats, level = 1, carrierChanges: number | null = null): string {
  const rx = [s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxMissedErrors, s.multicast, s.rxCompressed];
  const tx = [s.txBytes, s.txPackets, s.txErrors, s.txDropped, s.txCarrierErrors, s.collisions, s.txCompressed];
  const rxErr = [0, s.rxLengthErrors, s.rxCrcErrors, s.rxFrameErrors, s.rxFifoErrors, s.rxOverErrors, s.rxNohandler, s.rxOtherhostDropped];
  const txErr = [s.txAbortedErrors, s.txFifoErrors, s.txWindowErrors, s.txHeartbeatErrors, carrierChanges ?? 0];
  const cols = ['*X errors:', 'packets', 'errors', 'dropped', 'heartbt', 'overrun', 'compressed', 'otherhost'].map((h) => h.length);
  const size = (row: readonly number[], from = 0): void => row.forEach((v, i) => (cols[from + i] = Math.max(cols[from + i] ?? 0, statWidth(v))));
  size(rx);
  if (level > 1) size(rxErr);
  size(tx);
  if (level > 1) size(txErr, 2);
  const w = (i: number): number => cols[i] ?? 0;
  const num = (i: number, v: number): string => `${String(v).padStart(w(i))} `;
  const header = (dir: string, words: readonly string[], compressed: number): string =>
    `    ${dir}: ${'bytes'.padStart(w(0) - 4)} ${words.map((h, i) => h.padStart(w(i + 1))).join(' ')} ${(compressed > 0 ? 'compressed' : '').padStart(w(6))}\n`;
  const nums = (row: readonly number[]): string => `    ${row.map((v, i) => (i < 6 || v > 0 ? num(i, v) : '')).join('')}\n`;
  const errHeader = (dir: string, words: readonly string[]): string => `    ${dir} errors:${''.padStart(w(0) - 10)} ${words.map((h, i) => h.padStart(w(i + 1))).join(' ')}`;
  const errIndent = ' '.repeat(w(0) + 5);
  const rxErrRows =
    errHeader('RX', ['length', 'crc', 'frame', 'fifo', 'overrun']) +
    (s.rxNohandler > 0 ? ' nohandler'.padStart(w(6) + 1) : '') +
    (s.rxOtherhostDropped > 0 ? ' otherhost'.padStart(w(7) + 1) : '') +
    '\n' +
    errIndent +
    [1, 2, 3, 4, 5].map((i) => num(i, rxErr[i] ?? 0)).join('') +
    (s.rxNohandler > 0 ? num(6, s.rxNohandler) : '') +
    (s.rxOtherhostDropped > 0 ? num(7, s.rxOtherhostDropped) : '') +
    '\n';
  const txErrRows =
    `${errHeader('TX', ['aborted', 'fifo', 'window', 'heartbt'])} ${(carrierChanges === null ? '' : 'transns').padStart(w(5))}\n` +
    errIndent +
    txErr
      .slice(0, 4)
      .map((v, i) => num(i + 1, v))
      .join('') +
    (carrierChanges === null ? '' : num(5, carrierChanges)) +
    '\n';
  const rxRows = header('RX', ['packets', 'errors', 'dropped', 'missed', 'mcast'], s.rxCompressed) + nums(rx);
  const txRows = header('TX', ['packets', 'errors', 'dropped', 'carrier', 'collsns'], s.txCompressed) + nums(tx);
  return level > 1 ? rxRows + rxErrRows + txRows + txErrRows : rxRows + txRows;
}

/** The `ip -s link show DEV` block (iproute2 ≥ 5.19 layout), `level` the number of `-s`; `-s -s` shows the device's carrier changes as transns. */
export function ipStatsBlock(dev: NetDevice, level = 1, details = false): string {
  return linkLine(dev, details) + formatLinkStats(dev.stats, level, dev.carrierCounts.changes);
}

/**
 * iproute2 6.x's usage texts (ip.c usage(), iplink.c iplink_usage(), ipaddress.c and iproute.c
 * usage()), printed on stderr with exit status 255 (exit(-1)); the sub-objects' texts as a
 * terminal shows them, their tabs at 8-column stops.
 */
const IP_USAGE = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n                   ntbl | route | rule | sr | tap | tcpmetrics |\n                   token | tunnel | tuntap | vrf | xfrm }\n       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n                    -4 | -6 | -M | -B | -0 |\n                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n                    -c[olor]}\n";
const IP_LINK_USAGE = "Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME\n                   [ txqueuelen PACKETS ]\n                   [ address LLADDR ]\n                   [ broadcast LLADDR ]\n                   [ mtu MTU ] [index IDX ]\n                   [ numtxqueues QUEUE_COUNT ]\n                   [ numrxqueues QUEUE_COUNT ]\n                   [ netns { PID | NETNSNAME | NETNSFILE } ]\n                   type TYPE [ ARGS ]\n\n       ip link delete { DEVICE | dev DEVICE | group DEVGROUP } type TYPE [ ARGS ]\n\n       ip link { set | change } { DEVICE | dev DEVICE | group DEVGROUP }\n                       [ { up | down } ]\n                       [ type TYPE ARGS ]\n               [ arp { on | off } ]\n               [ dynamic { on | off } ]\n               [ multicast { on | off } ]\n               [ allmulticast { on | off } ]\n               [ promisc { on | off } ]\n               [ trailers { on | off } ]\n               [ carrier { on | off } ]\n               [ txqueuelen PACKETS ]\n               [ name NEWNAME ]\n               [ address LLADDR ]\n               [ broadcast LLADDR ]\n               [ mtu MTU ]\n               [ netns { PID | NETNSNAME | NETNSFILE } ]\n               [ link-netns NAME | link-netnsid ID ]\n               [ alias NAME ]\n               [ vf NUM [ mac LLADDR ]\n                        [ vlan VLANID [ qos VLAN-QOS ] [ proto VLAN-PROTO ] ]\n                        [ rate TXRATE ]\n                        [ max_tx_rate TXRATE ]\n                        [ min_tx_rate TXRATE ]\n                        [ spoofchk { on | off} ]\n                        [ query_rss { on | off} ]\n                        [ state { auto | enable | disable} ]\n                        [ trust { on | off} ]\n                        [ node_guid EUI64 ]\n                        [ port_guid EUI64 ] ]\n               [ { xdp | xdpgeneric | xdpdrv | xdpoffload } { off |\n                         object FILE [ section NAME ] [ verbose ] |\n                         pinned FILE } ]\n               [ master DEVICE ][ vrf NAME ]\n               [ nomaster ]\n               [ addrgenmode { eui64 | none | stable_secret | random } ]\n               [ protodown { on | off } ]\n               [ protodown_reason PREASON { on | off } ]\n               [ gso_max_size BYTES ] [ gso_ipv4_max_size BYTES ] [ gso_max_segs PACKETS ]\n               [ gro_max_size BYTES ] [ gro_ipv4_max_size BYTES ]\n\n       ip link show [ DEVICE | group GROUP ] [up] [master DEV] [vrf NAME] [type TYPE]\n               [nomaster] [ novf ]\n\n       ip link xstats type TYPE [ ARGS ]\n\n       ip link afstats [ dev DEVICE ]\n       ip link property add dev DEVICE [ altname NAME .. ]\n       ip link property del dev DEVICE [ altname NAME .. ]\n\n       ip link help [ TYPE ]\n\nTYPE := { amt | bareudp | bond | bond_slave | bridge | bridge_slave |\n          dsa | dummy | erspan | geneve | gre | gretap | gtp | hsr |\n          ifb | ip6erspan | ip6gre | ip6gretap | ip6tnl |\n          ipip | ipoib | ipvlan | ipvtap |\n          macsec | macvlan | macvtap | netdevsim |\n          netkit | nlmon | pfcp | rmnet | sit | team | team_slave |\n          vcan | veth | vlan | vrf | vti | vxcan | vxlan | wwan |\n          xfrm | virt_wifi }\n";
const IP_ADDR_USAGE = "Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]\n                                                      [ CONFFLAG-LIST ]\n       ip address del IFADDR dev IFNAME [mngtmpaddr]\n       ip address {save|flush} [ dev IFNAME ] [ scope SCOPE-ID ]\n                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]\n       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]\n                         [ nomaster ]\n                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ]\n                         [ label LABEL ] [up] [ vrf NAME ]\n                         [ proto ADDRPROTO ] ]\n       ip address {showdump|restore}\nIFADDR := PREFIX | ADDR peer PREFIX\n          [ broadcast ADDR ] [ anycast ADDR ]\n          [ label IFNAME ] [ scope SCOPE-ID ] [ metric METRIC ]\n          [ proto ADDRPROTO ]\nSCOPE-ID := [ host | link | global | NUMBER ]\nFLAG-LIST := [ FLAG-LIST ] FLAG\nFLAG  := [ permanent | dynamic | secondary | primary |\n           [-]tentative | [-]deprecated | [-]dadfailed | temporary |\n           CONFFLAG-LIST ]\nCONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG\nCONFFLAG  := [ home | nodad | mngtmpaddr | noprefixroute | autojoin ]\nLIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]\nLFT := forever | SECONDS\nADDRPROTO := [ NAME | NUMBER ]\nTYPE := { amt | bareudp | bond | bond_slave | bridge | bridge_slave |\n          dsa | dummy | erspan | geneve | gre | gretap | gtp | hsr |\n          ifb | ip6erspan | ip6gre | ip6gretap | ip6tnl |\n          ipip | ipoib | ipvlan | ipvtap |\n          macsec | macvlan | macvtap | netdevsim |\n          netkit | nlmon | pfcp | rmnet | sit | team | team_slave |\n          vcan | veth | vlan | vrf | vti | vxcan | vxlan | wwan |\n          xfrm | virt_wifi }\n";
const IP_ROUTE_USAGE = "Usage: ip route { list | flush } SELECTOR\n       ip route save SELECTOR\n       ip route restore\n       ip route showdump\n       ip route get [ ROUTE_GET_FLAGS ] [ to ] ADDRESS\n                            [ from ADDRESS iif STRING ]\n                            [ oif STRING ] [ tos TOS ]\n                            [ mark NUMBER ] [ vrf NAME ]\n                            [ uid NUMBER ] [ ipproto PROTOCOL ]\n                            [ sport NUMBER ] [ dport NUMBER ]\n                            [ as ADDRESS ]\n       ip route { add | del | change | append | replace } ROUTE\nSELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]\n            [ table TABLE_ID ] [ vrf NAME ] [ proto RTPROTO ]\n            [ type TYPE ] [ scope SCOPE ]\nROUTE := NODE_SPEC [ INFO_SPEC ]\nNODE_SPEC := [ TYPE ] PREFIX [ tos TOS ]\n             [ table TABLE_ID ] [ proto RTPROTO ]\n             [ scope SCOPE ] [ metric METRIC ]\n             [ ttl-propagate { enabled | disabled } ]\nINFO_SPEC := { NH | nhid ID } OPTIONS FLAGS [ nexthop NH ]...\nNH := [ encap ENCAPTYPE ENCAPHDR ] [ via [ FAMILY ] ADDRESS ]\n      [ dev STRING ] [ weight NUMBER ] NHFLAGS\nFAMILY := [ inet | inet6 | mpls | bridge | link ]\nOPTIONS := FLAGS [ mtu NUMBER ] [ advmss NUMBER ] [ as [ to ] ADDRESS ]\n           [ rtt TIME ] [ rttvar TIME ] [ reordering NUMBER ]\n           [ window NUMBER ] [ cwnd NUMBER ] [ initcwnd NUMBER ]\n           [ ssthresh NUMBER ] [ realms REALM ] [ src ADDRESS ]\n           [ rto_min TIME ] [ hoplimit NUMBER ] [ initrwnd NUMBER ]\n           [ features FEATURES ] [ quickack BOOL ] [ congctl NAME ]\n           [ pref PREF ] [ expires TIME ] [ fastopen_no_cookie BOOL ]\nTYPE := { unicast | local | broadcast | multicast | throw |\n          unreachable | prohibit | blackhole | nat }\nTABLE_ID := [ local | main | default | all | NUMBER ]\nSCOPE := [ host | link | global | NUMBER ]\nNHFLAGS := [ onlink | pervasive ]\nRTPROTO := [ kernel | boot | static | NUMBER ]\nPREF := [ low | medium | high ]\nTIME := NUMBER[s|ms]\nBOOL := [1|0]\nFEATURES := ecn\nENCAPTYPE := [ mpls | ip | ip6 | seg6 | seg6local | rpl | ioam6 | xfrm ]\nENCAPHDR := [ MPLSLABEL | SEG6HDR | SEG6LOCAL | IOAM6HDR | XFRMINFO ]\nSEG6HDR := [ mode SEGMODE ] segs ADDR1,ADDRi,ADDRn [hmac HMACKEYID] [cleanup]\nSEGMODE := [ encap | encap.red | inline | l2encap | l2encap.red ]\nSEG6LOCAL := action ACTION [ OPTIONS ] [ count ]\nACTION := { End | End.X | End.T | End.DX2 | End.DX6 | End.DX4 |\n            End.DT6 | End.DT4 | End.DT46 | End.B6 | End.B6.Encaps |\n            End.BM | End.S | End.AS | End.AM | End.BPF }\nOPTIONS := OPTION [ OPTIONS ]\nOPTION := { flavors FLAVORS | srh SEG6HDR | nh4 ADDR | nh6 ADDR | iif DEV | oif DEV |\n            table TABLEID | vrftable TABLEID | endpoint PROGNAME }\nFLAVORS := { FLAVOR[,FLAVOR] }\nFLAVOR := { psp | usp | usd | next-csid }\nIOAM6HDR := trace prealloc type IOAM6_TRACE_TYPE ns IOAM6_NAMESPACE size IOAM6_TRACE_SIZE\nXFRMINFO := if_id IF_ID [ link_dev LINK ]\nROUTE_GET_FLAGS := ROUTE_GET_FLAG [ ROUTE_GET_FLAGS ]\nROUTE_GET_FLAG := [ connected | fibmatch | notify ]\n";

/** Why `ip` exits early: its message and status (255 for usage errors, as exit(-1)). */
class IpExit extends Error {
  constructor(
    readonly text: string,
    readonly status: number,
  ) {
    super(text);
  }
}

const incomplete = (): IpExit => new IpExit('Command line is not complete. Try option "help"\n', 255);
const garbage = (word: string): IpExit => new IpExit(`Error: either "dev" is duplicate, or "${word}" is a garbage.\n`, 255);

/** What `ip link set` applies: the device, MTU, txqueuelen, up/down in command-line order, and the last `promisc on|off`. */
interface LinkSettings {
  readonly dev: string | null;
  readonly mtu: number | null;
  readonly qlen: number | null;
  readonly flags: readonly ('up' | 'down')[];
  readonly promisc: boolean | null;
}

/** iproute2 get_integer for `key` (invarg on failure) after its duplicate check (duparg). */
function integerArg(key: string, word: string | undefined, seen: number | null): number {
  if (word === undefined) throw incomplete();
  if (seen !== null) throw new IpExit(`Error: duplicate "${key}": "${word}" is the second value.\n`, 255);
  const n = getInteger(word);
  if (n === null) throw new IpExit(`Error: argument "${word}" is wrong: Invalid "${key}" value\n\n`, 255);
  return n;
}

/** `ip link show|set …` and `ip addr show …` argument parsing (iplink_parse order): the device named, and the settings of `set`. */
/** The `ip link set` attributes iproute2 takes that the lab does not set (it sets up, down, mtu, txqueuelen and promisc). */
const LINK_SET_UNMODELLED = new Set(['arp', 'dynamic', 'multicast', 'allmulticast', 'trailers', 'carrier', 'name', 'address', 'broadcast', 'brd', 'peer', 'netns', 'link-netns', 'link-netnsid', 'alias', 'vf', 'xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload', 'master', 'vrf', 'nomaster', 'addrgenmode', 'protodown', 'protodown_reason', 'gso_max_size', 'gso_ipv4_max_size', 'gso_max_segs', 'gro_max_size', 'gro_ipv4_max_size', 'type', 'group']);

function parseDevArgs(args: readonly string[], settable: boolean): LinkSettings {
  let dev: string | null = null;
  let mtu: number | null = null;
  let qlen: number | null = null;
  const flags: ('up' | 'down')[] = [];
  let promisc: boolean | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (settable && (w === 'up' || w === 'down')) flags.push(w);
    else if (settable && w === 'promisc') {
      const v = args[++i];
      if (v === undefined) throw incomplete();
      // iplink_parse's on_off: exactly `on` or `off`.
      if (v !== 'on' && v !== 'off') throw new IpExit(`Error: argument of "promisc" must be "on" or "off", not "${v}"\n`, 255);
      promisc = v === 'on';
    }
    else if (settable && (matches(w, 'txqueuelen') || w === 'qlen' || matches(w, 'txqlen'))) qlen = integerArg('txqueuelen', args[++i], qlen);
    else if (settable && w === 'mtu') mtu = integerArg('mtu', args[++i], mtu);
    else if (settable && LINK_SET_UNMODELLED.has(w)) throw new IpExit(`ip: the lab's ip link set sets up, down, mtu, txqueuelen and promisc only, not '${w}' (nothing was changed)\n`, 2);
    else {
      let name = w;
      if (w === 'dev') {
        const v = args[++i];
        if (v === undefined) throw incomplete();
        name = v;
      }
      if (dev !== null) throw garbage(name);
      dev = name;
    }
  }
  return { dev, mtu, qlen, flags, promisc };
}

/**
 * `ip link set`: the MTU first, then up/down and promisc, then txqueuelen (do_setlink's order).
 * The kernel takes txqueuelen as a u32, so a negative value wraps as it does there.
 */
function ipLinkSet(board: Board, args: readonly string[]): CommandResult {
  const { dev, mtu, qlen, flags, promisc } = parseDevArgs(args, true);
  if (dev === null) throw new IpExit('Not enough information: "dev" argument is required.\n', 255);
  const d = deviceNamed(board, dev);
  if (d === null) return result('', `Cannot find device "${dev}"\n`, 1);
  if (mtu !== null) {
    try {
      d.setMtu(mtu);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // dev_validate_mtu: an int below min_mtu (a u32 past INT_MAX is negative), then above a set max_mtu.
      const msg = (mtu | 0) < d.minMtu ? 'Error: mtu less than device minimum.\n' : d.maxMtu > 0 && mtu > d.maxMtu ? 'Error: mtu greater than device maximum.\n' : `RTNETLINK answers: ${strerror((code ?? 'EINVAL') as Errno)}\n`;
      return result('', msg, 2);
    }
  }
  // dev_change_flags: up or down, then the user's IFF_PROMISC — applied even when the open
  // failed, whose error do_setlink then returns before the queue length.
  const last = flags.at(-1);
  let rc = 0;
  if (last === 'up') rc = d.open();
  else if (last === 'down') d.close();
  if (promisc !== null) d.setPromiscFlag(promisc);
  if (rc < 0) return result('', `RTNETLINK answers: ${strerror(-rc)}\n`, 2);
  if (qlen !== null) d.setTxqueuelen(qlen >>> 0);
  return result('');
}

/** The board's device named `name` (lo, ntb0 while ntb_netdev is loaded), or null. */
function deviceNamed(board: Board, name: string): NetDevice | null {
  return board.stack.devices.find((d) => d.name === name) ?? null;
}

/** The device `ip … show [dev] NAME` names: null for all, or an IpExit when it does not exist. */
function shownDevice(board: Board, args: readonly string[]): NetDevice | null {
  const { dev } = parseDevArgs(args, false);
  if (dev === null) return null;
  const d = deviceNamed(board, dev);
  if (d === null) throw new IpExit(`Device "${dev}" does not exist.\n`, 1);
  return d;
}

/** The devices `ip … show [dev] NAME` lists, by ifindex. */
function shownDevices(board: Board, args: readonly string[]): readonly NetDevice[] {
  const d = shownDevice(board, args);
  return d === null ? board.stack.devices : [d];
}

/**
 * `ip -br link` / `ip -br addr` (iproute2's brief mode): the name padded to 16 columns, the
 * operstate to 14, then the link address and flags, or the addresses, each followed by a space.
 */
function ipBrief(board: Board, obj: 'link' | 'address', args: readonly string[]): CommandResult {
  const lines = shownDevices(board, args).map((dev) => {
    const head = `${dev.name.padEnd(16)} ${stateOf(dev).padEnd(14)} `;
    if (obj === 'address') return `${head}${board.stack.addressesOf(dev).map((a) => `${a} `).join('')}\n`;
    const flags = /<[^>]*>/.exec(linkLine(dev))?.[0] ?? '<>';
    return `${head}${formatMac(dev.devAddr)} ${flags} \n`;
  });
  return result(lines.join(''));
}

function ipLink(board: Board, args: readonly string[], stats: number, details: boolean): CommandResult {
  const [verb, ...rest] = args;
  if (verb === undefined || matches(verb, 'show') || matches(verb, 'list') || verb === 'lst') {
    return result(shownDevices(board, rest).map((d) => (stats > 0 ? ipStatsBlock(d, stats, details) : linkLine(d, details))).join(''));
  }
  if (matches(verb, 'set') || matches(verb, 'change')) return ipLinkSet(board, rest);
  if (matches(verb, 'add') || matches(verb, 'delete') || matches(verb, 'replace')) return result('', 'RTNETLINK answers: Operation not supported\n', 2);
  if (matches(verb, 'help')) throw new IpExit(IP_LINK_USAGE, 255);
  throw new IpExit(`Command "${verb}" is unknown, try "ip link help".\n`, 255);
}

function ipAddr(board: Board, args: readonly string[], details: boolean): CommandResult {
  const [verb, ...rest] = args;
  if (verb === undefined || matches(verb, 'show') || matches(verb, 'list') || verb === 'lst') {
    // print_addrinfo: the address (scope host on lo), then its lifetimes (IFA_CACHEINFO; forever for `ip addr add`).
    const blocks = shownDevices(board, rest).map((d) => {
      const addrs = board.stack.addressesOf(d).map((a) => `    inet ${a} scope ${d.loopback ? 'host' : 'global'} ${d.name}\n       valid_lft forever preferred_lft forever\n`);
      return linkLine(d, details).replace(' mode DEFAULT group default', ' group default') + addrs.join('');
    });
    return result(blocks.join(''));
  }
  if (matches(verb, 'add') || matches(verb, 'delete')) return ipAddrModify(board, matches(verb, 'add'), rest);
  if (matches(verb, 'change') || matches(verb, 'replace') || matches(verb, 'flush')) return result('', 'RTNETLINK answers: Operation not supported\n', 2);
  if (matches(verb, 'help')) throw new IpExit(IP_ADDR_USAGE, 255);
  throw new IpExit(`Command "${verb}" is unknown, try "ip address help".\n`, 255);
}

/** `ip addr add|del PREFIX dev DEV` (ipaddr_modify): the address and its connected route, with iproute2's and RTNETLINK's errors. */
function ipAddrModify(board: Board, add: boolean, args: readonly string[]): CommandResult {
  let prefix: string | null = null;
  let dev: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w === 'dev') {
      const name = args[++i];
      if (name === undefined) throw incomplete();
      dev = name;
    } else if (prefix === null && w !== 'local') {
      prefix = w;
    } else if (w === 'local') {
      const v = args[++i];
      if (v === undefined) throw incomplete();
      prefix = v;
    } else {
      throw garbage(w);
    }
  }
  if (dev === null) throw new IpExit('Not enough information: "dev" argument is required.\n', 255);
  if (prefix === null || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(prefix)) throw new IpExit(`Error: any valid prefix is expected rather than "${prefix ?? ''}".\n`, 1);
  const target = deviceNamed(board, dev);
  if (target === null) throw new IpExit(`Cannot find device "${dev}"\n`, 1);
  const full = prefix.includes('/') ? prefix : `${prefix}/32`;
  try {
    if (add) board.stack.ipAddrAdd(target, full);
    else board.stack.ipAddrDel(target, full);
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    const text = e.code === 'EEXIST' ? 'File exists' : e.code === 'ENOBUFS' ? 'No buffer space available' : e.code === 'EINVAL' && !add ? 'Cannot assign requested address' : 'Invalid argument';
    return result('', `RTNETLINK answers: ${text}\n`, 2);
  }
  return result('');
}

/**
 * `ip route [show|list] [dev DEV]`: the connected route of each address on an up device, as the
 * kernel adds it (`proto kernel scope link src ADDR`, `linkdown` without carrier); a `dev`
 * filter drops the `dev` field, as iproute2 prints it.
 */
/**
 * `ip route get ADDRESS`: the route the kernel picks for a packet to it (fib lookup of the
 * local, then the main table), as iproute2 prints the RTM_NEWROUTE answer — a local address
 * through `lo`, marked `local`, with the `<local>` cache flag — with the user's uid (1000; 0
 * under sudo); no route is the kernel's ENETUNREACH. print_route names the type when it is not
 * unicast and the table when it is not main, both under `-d`.
 */
function ipRouteGet(env: ShellEnv, args: readonly string[], details: boolean): CommandResult {
  const words = args[0] === 'to' ? args.slice(1) : args;
  const [addr, ...more] = words;
  if (addr === undefined) throw new IpExit('need at least a destination address\n', 255);
  if (more.length > 0) throw new IpExit(`ip: the lab's ip route get takes a destination only, not '${more[0] ?? ''}'\n`, 2);
  let dst: { readonly addr: number };
  try {
    dst = parseIpv4Prefix(addr);
  } catch {
    throw new IpExit(`Error: inet prefix is expected rather than "${addr}".\n`, 1);
  }
  const r = env.board.stack.route(dst.addr);
  if (r === null) return result('', 'RTNETLINK answers: Network is unreachable\n', 2);
  const local = r.dev === env.board.stack.loopback;
  const uid = runsAsRoot(env) ? 0 : 1000;
  const type = local ? 'local ' : details ? 'unicast ' : '';
  // rt_fill_info's RTA_TABLE: the main table, whose trie also holds the local routes while the
  // boards have no policy rules (fib_lookup without fib_has_custom_rules); ip prints it under -d.
  const table = details ? 'table main ' : '';
  return result(`${type}${formatIpv4(dst.addr)} dev ${r.dev.name} ${table}src ${formatIpv4(r.src)} uid ${uid} \n    cache ${local ? '<local> ' : ''}\n`);
}

function ipRoute(env: ShellEnv, args: readonly string[], details: boolean): CommandResult {
  const board = env.board;
  const [verb, ...rest] = args;
  if (verb !== undefined && matches(verb, 'get')) return ipRouteGet(env, rest, details);
  if (verb !== undefined && !matches(verb, 'show') && !matches(verb, 'list') && verb !== 'lst') {
    if (matches(verb, 'add') || matches(verb, 'change') || matches(verb, 'replace') || matches(verb, 'delete') || matches(verb, 'append') || matches(verb, 'flush')) return result('', 'RTNETLINK answers: Operation not supported\n', 2);
    if (matches(verb, 'help')) throw new IpExit(IP_ROUTE_USAGE, 255);
    throw new IpExit(`Command "${verb}" is unknown, try "ip route help".\n`, 255);
  }
  if (rest.length > 0 && rest[0] !== 'dev') throw new IpExit(`Error: any valid prefix is expected rather than "${rest[0] ?? ''}".\n`, 255);
  // The main table: lo's routes are in the local table, which `ip route` does not show.
  const shown = shownDevice(board, rest);
  const filtered = shown !== null;
  const nd = board.netdev();
  if (nd === null || !nd.ndev.isUp || (shown !== null && shown !== nd.ndev)) return result('');
  const lines = board.stack.addressesOf(nd.ndev).map((a) => {
    const p = parseIpv4Prefix(a);
    const mask = p.prefixLen === 0 ? 0 : (0xffffffff << (32 - p.prefixLen)) >>> 0;
    return `${details ? 'unicast ' : ''}${formatIpv4((p.addr & mask) >>> 0)}/${p.prefixLen}${filtered ? '' : ` dev ${nd.ndev.name}`} proto kernel scope link src ${formatIpv4(p.addr)} ${nd.ndev.netifCarrierOk() ? '' : 'linkdown '}\n`;
  });
  return result(lines.join(''));
}

const IP_NEIGH_USAGE =
  "Usage: ip neigh { add | del | change | replace }\n                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }\n                [ dev DEV ] [ router ] [ use ] [ managed ] [ extern_learn ]\n                [ protocol PROTO ]\n\n       ip neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]\n                                 [ vrf NAME ] [ nomaster ]\n       ip neigh get { ADDR | proxy ADDR } dev DEV\n\nSTATE := { delay | failed | incomplete | noarp | none |\n           permanent | probe | reachable | stale }\n";

/** The `nud` words of ip neigh (nud_state_a2n), as the table names the states. */
const NUD_WORDS: Readonly<Record<string, NudState>> = { permanent: 'PERMANENT', reachable: 'REACHABLE', noarp: 'NOARP', none: 'NONE', stale: 'STALE', incomplete: 'INCOMPLETE', delay: 'DELAY', probe: 'PROBE', failed: 'FAILED' };

/** nud_state_a2n: a state word (`permanent`, `reachable` and `failed` by any prefix, the others whole), or an IpExit. */
function nudState(word: string): NudState {
  const prefixed = (['permanent', 'reachable', 'failed'] as const).find((w) => matches(word, w));
  const state = prefixed !== undefined ? NUD_WORDS[prefixed] : Object.hasOwn(NUD_WORDS, word) ? NUD_WORDS[word] : undefined;
  if (state === undefined) throw new IpExit(`Error: argument "${word}" is wrong: nud state is bad\n`, 255);
  return state;
}

/** An `ip neigh` line's words: the address, `lladdr`, `nud` and `dev`, and for show/flush a `to` prefix and `nud all`. */
interface NeighArgs {
  readonly addr: string | null;
  readonly lladdr: string | null;
  /** The `nud` words in order (show and flush OR them; add takes the last). */
  readonly nud: readonly string[];
  readonly dev: string | null;
}

/** ipneigh_modify / do_show_or_flush argument parsing: keywords with their values, any other word the address (or `to` prefix). */
function parseNeighArgs(args: readonly string[]): NeighArgs {
  let addr: string | null = null;
  let lladdr: string | null = null;
  const nud: string[] = [];
  let dev: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw incomplete();
      return v;
    };
    if (w === 'lladdr') lladdr = value();
    else if (w === 'nud') nud.push(value());
    else if (w === 'dev') dev = value();
    else if (w === 'to') addr = value();
    else if (matches(w, 'help')) throw new IpExit(IP_NEIGH_USAGE, 255);
    else if (addr !== null) throw new IpExit(`Error: either "to" is duplicate, or "${w}" is a garbage.\n`, 255);
    else addr = w;
  }
  return { addr, lladdr, nud, dev };
}

/** ll_addr_a2n: colon-separated hex bytes, or an IpExit as ip prints it (the kernel judges the length). */
function parseLladdr(word: string): Uint8Array {
  const parts = word.split(':');
  if (parts.length > 20 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new IpExit(`"${word}" is invalid lladdr.\n`, 255);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** get_addr / get_prefix of an ip neigh line: the IPv4 address or prefix `word` names, or an IpExit as ip prints it (status 1). */
function inetArg(word: string, kind: 'address' | 'prefix'): Ipv4Prefix {
  try {
    return parseIpv4Prefix(kind === 'prefix' && word.includes('/') ? word : `${word}/32`);
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    throw new IpExit(`Error: inet ${kind} is expected rather than "${word}".\n`, 1);
  }
}

/** The ntb0 (or lo) an ip neigh line names, or an IpExit. */
function neighDevice(board: Board, name: string): NetDevice {
  const d = deviceNamed(board, name);
  if (d === null) throw new IpExit(`Cannot find device "${name}"\n`, 255);
  return d;
}

/**
 * `ip neigh [show|list] [dev DEV] [nud STATE|all] [to ADDR]`, `ip [-s] neigh flush …`,
 * `ip neigh {add|replace|change} ADDR [lladdr MAC] [nud STATE] dev DEV` and `ip neigh del ADDR
 * dev DEV` (iproute2 ipneigh.c over the board's ARP table): show prints each entry as
 * print_neigh does (`ADDR dev DEV lladdr MAC STATE `, the `dev` field left out under a `dev`
 * filter, no lladdr while unresolved), by default every state but NOARP; flush deletes the
 * entries that are neither PERMANENT nor NOARP (with -s, its rounds as ip prints them); add
 * refuses an existing entry (File exists), change a missing one, del a missing one (No such
 * file or directory); a state other than permanent, noarp, reachable or stale is Invalid
 * argument, as the table takes no other from userspace here.
 */
function ipNeigh(board: Board, args: readonly string[], stats: number): CommandResult {
  const [verb, ...rest] = args;
  const table = board.stack.arp;
  const showOrFlush = verb === undefined || matches(verb, 'show') || matches(verb, 'list') || verb === 'lst' || matches(verb, 'flush');
  if (showOrFlush) {
    const flush = verb !== undefined && matches(verb, 'flush');
    if (flush && rest.length === 0) throw new IpExit('Flush requires arguments.\n', 255);
    if (!flush && stats > 0) return result('', 'ip: the lab does not model the neighbour cache statistics of ip -s neigh (ref, used, probes): ip neigh shows the entries\n', 2);
    const a = parseNeighArgs(rest);
    const dev = a.dev === null ? null : neighDevice(board, a.dev);
    // Each `nud` adds its state to the filter; `all` is every state (for flush, but NOARP).
    const wanted = a.nud.length === 0 ? null : new Set(a.nud.flatMap((w) => (w === 'all' ? Object.values(NUD_WORDS).filter((x) => !flush || x !== 'NOARP') : [nudState(w)])));
    const to = a.addr === null || a.addr === 'all' || a.addr === 'default' ? null : inetArg(a.addr, 'prefix');
    const mask = to === null ? 0 : prefixMask(to.prefixLen);
    const entries = table.entries(dev ?? undefined).filter((e) => {
      if (to !== null && ((parseIpv4(e.addr) ^ to.addr) & mask) !== 0) return false;
      if (wanted !== null) return wanted.has(e.state);
      return flush ? e.state !== 'PERMANENT' && e.state !== 'NOARP' : e.state !== 'NOARP';
    });
    if (!flush) return result(entries.map((e) => `${e.addr} ${dev === null ? `dev ${e.dev} ` : ''}${e.lladdr === null ? '' : `lladdr ${e.lladdr} `}${e.state} \n`).join(''));
    for (const e of entries) table.remove(neighDevice(board, e.dev), parseIpv4(e.addr));
    if (stats === 0) return result('');
    return result(entries.length === 0 ? 'Nothing to flush.\n' : `\n*** Round 1, deleting ${entries.length} entries ***\n*** Flush is complete after 1 round ***\n`);
  }
  const op = matches(verb, 'add') ? 'add' : matches(verb, 'change') || verb === 'chg' ? 'change' : matches(verb, 'replace') ? 'replace' : matches(verb, 'delete') ? 'del' : null;
  if (op === null) {
    if (matches(verb, 'help')) throw new IpExit(IP_NEIGH_USAGE, 255);
    throw new IpExit(`Command "${verb}" is unknown, try "ip neigh help".\n`, 255);
  }
  const a = parseNeighArgs(rest);
  if (a.addr === null || a.dev === null) throw new IpExit('Device and destination are required arguments.\n', 255);
  const last = a.nud[a.nud.length - 1];
  const state = last === undefined ? 'PERMANENT' : nudState(last);
  const lladdr = a.lladdr === null ? null : parseLladdr(a.lladdr);
  // neigh_add: an address shorter than the device's is refused (NL_SET_ERR_MSG "Invalid link address").
  if (lladdr !== null && lladdr.length < 6) return result('', 'Error: Invalid link address.\n', 2);
  const addr = inetArg(a.addr, 'address').addr;
  const dev = neighDevice(board, a.dev);
  const exists = table.entries(dev).some((e) => e.addr === formatIpv4(addr));
  if (op === 'del') return table.remove(dev, addr) ? result('') : result('', 'RTNETLINK answers: No such file or directory\n', 2);
  if (op === 'add' && exists) return result('', 'RTNETLINK answers: File exists\n', 2);
  if (op === 'change' && !exists) return result('', 'RTNETLINK answers: No such file or directory\n', 2);
  try {
    table.replace(dev, addr, { lladdr: lladdr?.slice(0, 6) ?? null, state });
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return result('', /No link layer address given/.test(e.message) ? 'Error: No link layer address given.\n' : 'RTNETLINK answers: Invalid argument\n', 2);
  }
  return result('');
}

/**
 * `ip [-s] [-d] link [show [dev] DEV]`, `ip link set [dev] DEV [up|down] [mtu N] [txqueuelen N]`, `ip addr [show [dev] DEV]`, `ip route`,
 * `ip neigh` (iproute2): the whole line is parsed before anything is applied, and errors print as ip prints them.
 */
export const ip: Command = (argv, env) => {
  const args = argv.slice(1);
  let stats = 0;
  let brief = false;
  let details = false;
  try {
    while (args[0]?.startsWith('-') === true) {
      const arg = args.shift() as string;
      // main(): `--opt` is `-opt`.
      const opt = arg.startsWith('--') ? arg.slice(1) : arg;
      // ++show_stats: `-s -s` adds the error rows.
      if (matches(opt, '-statistics') || matches(opt, '-stats')) stats++;
      else if (matches(opt, '-details')) details = true;
      else if (opt === '-br' || matches(opt, '-brief')) brief = true;
      else if (opt === '-h' || matches(opt, '-help')) throw new IpExit(IP_USAGE, 255);
      else if (opt !== '-4') throw new IpExit(`Option "${opt}" is unknown, try "ip -help".\n`, 255);
    }
    const [obj, ...rest] = args;
    if (obj === undefined) throw new IpExit(IP_USAGE, 255);
    if (brief && (matches(obj, 'link') || matches(obj, 'address')) && (rest[0] === undefined || matches(rest[0], 'show') || matches(rest[0], 'list') || rest[0] === 'lst')) {
      return ipBrief(env.board, matches(obj, 'link') ? 'link' : 'address', rest.slice(1));
    }
    if (matches(obj, 'link')) return ipLink(env.board, rest, stats, details);
    if (matches(obj, 'address')) return ipAddr(env.board, rest, details);
    if (matches(obj, 'route')) return ipRoute(env, rest, details);
    if (matches(obj, 'neighbour') || matches(obj, 'neighbor')) return ipNeigh(env.board, rest, stats);
    if (matches(obj, 'help')) throw new IpExit(IP_USAGE, 255);
    throw new IpExit(`Object "${obj}" is unknown, try "ip help".\n`, 255);
  } catch (e) {
    if (e instanceof IpExit) return result('', e.text, e.status);
    throw e;
  }
};

/**
 * `modprobe ntb_netdev [param=value...]` (a no-op when loaded, parameters unread, as modprobe),
 * `modprobe ntb_transport`, `modprobe ntb_perf [param=value...]`, `modprobe ntb_tool` and `modprobe ntb_pingpong [param=value...]`. A parameter the module does
 * not have is logged by the kernel (`ntb_netdev: unknown parameter 'foo' ignored`, shown as the
 * board's console prints it on stderr) and the module loads; a bad value of a known one fails
 * with the kernel's errno (Invalid argument; Numerical result out of range for a byte over 255).
 */
export const modprobe: Command = (argv, env) => {
  const [, mod, ...params] = argv;
  if (mod === undefined) return result('', 'modprobe: ERROR: missing parameters. See -h.\n', 1);
  if (mod === '-h' || mod === '--help') return result(MODPROBE_HELP);
  if (mod === '-r' || mod === '--remove') return params.length === 0 ? result('', 'modprobe: ERROR: missing parameters. See -h.\n', 1) : rmmod(['rmmod', ...params], env);
  if (mod.startsWith('--')) return result('', `modprobe: unrecognized option '${mod}'\nmodprobe: ERROR: unexpected getopt_long() value '?'.\n`, 1);
  if (mod.startsWith('-')) return result('', `modprobe: invalid option -- '${mod.charAt(1)}'\nmodprobe: ERROR: unexpected getopt_long() value '?'.\n`, 1);
  if (mod === 'ntb_transport') return modprobeTransport(params, env);
  if (mod === 'ntb_hw_epf' || mod === 'pci_epf_vntb') return result('');
  if (mod === 'ntb_perf') return modprobePerf(params, env);
  if (mod === 'ntb_tool') return modprobeTool(params, env);
  if (mod === 'ntb_pingpong') return modprobePingpong(params, env);
  if (mod !== 'ntb_netdev') return result('', `modprobe: FATAL: Module ${mod} not found in directory /lib/modules/${LAB_KERNEL_RELEASE}\n`, 1);
  if (env.board.netdev() !== null) return result('');
  const parsed = moduleParams('ntb_netdev', { transport: {}, netdev: {} }, params, env);
  if ('status' in parsed) return parsed;
  const { p, log } = parsed;
  // modprobe loads what ntb_netdev depends on first (modules.dep).
  if (!env.board.transportLoaded()) {
    env.board.loadTransport();
    sleepInNtbOps(env, 'modprobe ntb_transport');
  }
  const rc = env.board.loadNetdev(p.netdev);
  // kmod's insmod(): ERR("could not insert '%s': %s\n", name, strerror(-err)).
  return rc === 0 ? result('', log, 0) : result('', `${log}modprobe: ERROR: could not insert 'ntb_netdev': ${strerror(-rc)}\n`, 1);
};

/**
 * `modprobe ntb_transport [param=value...]`: the parameters over the boot ones (modprobe reads
 * `ntb_transport.*` from the kernel command line too); a no-op when loaded (parameters unread);
 * an unknown one logged and ignored; a bad value refuses the load with Invalid argument.
 */
function modprobeTransport(params: readonly string[], env: ShellEnv): CommandResult {
  if (env.board.transportLoaded()) return result('');
  const parsed = moduleParams('ntb_transport', { transport: env.lab.options.params?.transport ?? {}, netdev: {} }, params, env);
  if ('status' in parsed) return parsed;
  env.board.loadTransport(parsed.p.transport);
  sleepInNtbOps(env, 'modprobe ntb_transport');
  return result('', parsed.log, 0);
}

/**
 * `modprobe MODULE param=value…` over `base`: the parameters and the kernel's console lines for
 * the unknown ones (logged on the board), or modprobe's Invalid argument for a bad value.
 */
function moduleParams(module: 'ntb_netdev' | 'ntb_transport', base: ModuleParams, params: readonly string[], env: ShellEnv): { p: ModuleParams; log: string } | CommandResult {
  let p = base;
  try {
    for (const spec of params) p = applyParam(p, spec, module);
  } catch (e) {
    if (e instanceof ParamError) {
      // parse_args refuses the value with pr_err("%s: '%s' invalid for parameter '%s'"): dmesg has it, the terminal modprobe's line.
      const line = /^[a-z_]+: '.*' invalid for parameter '[^']+'/.exec(e.message)?.[0];
      if (line !== undefined) env.board.printk(line);
      return result('', `modprobe: ERROR: could not insert '${module}': Invalid argument\n`, 1);
    }
    throw e;
  }
  return { p, log: (p.unknown ?? []).map((u) => `${env.board.printk(unknownParamMessage(u))}\n`).join('') };
}

/**
 * `dmesg`: the board's kernel log buffer, oldest line first, as util-linux dmesg prints it
 * without options (`[%5lu.%06lu] text`): the drivers' dev_info lines (ntb_transport's
 * `qp N: Link Up`, ntb_netdev's `ntb0 created with N queue pairs`, …) and the module warnings.
 */
export const dmesg: Command = (argv, env) => {
  const opt = argv[1];
  if (opt !== undefined) return result('', `dmesg: ${opt}: not supported by the lab's dmesg (it prints the whole kernel log, without options)\n`, 1);
  return result(env.board.host.kmsg().map((l) => `${l}\n`).join(''));
};

/** procps-ng 4.0's sysctl Usage(stdout) for `-h`, `-d` and `--help`. */
const SYSCTL_HELP = [
  '',
  'Usage:',
  ' sysctl [options] [variable[=value] ...]',
  '',
  'Options:',
  '  -a, --all            display all variables',
  '  -A                   alias of -a',
  '  -X                   alias of -a',
  '      --deprecated     include deprecated parameters to listing',
  '      --dry-run        Print the key and values but do not write',
  '  -b, --binary         print value without new line',
  '  -e, --ignore         ignore unknown variables errors',
  '  -N, --names          print variable names without values',
  '  -n, --values         print only values of the given variable(s)',
  '  -p, --load[=<file>]  read values from file',
  '  -f                   alias of -p',
  '      --system         read values from all system directories',
  '  -r, --pattern <expression>',
  '                       select setting that match expression',
  '  -q, --quiet          do not echo variable set',
  '  -w, --write          enable writing a value to variable',
  '  -o                   does nothing',
  '  -x                   does nothing',
  '  -d                   alias of -h',
  '',
  ' -h, --help     display this help and exit',
  ' -V, --version  output version information and exit',
  '',
  'For more details see sysctl(8).',
  '',
].join('\n');

/**
 * `sysctl [-n] [-q] [-w] NAME[=VALUE]...` (procps-ng) over the board's network sysctls: `NAME = VALUE`
 * per setting (`-n`: the value only; arrays tab-separated as /proc prints them, booleans 1/0;
 * `-q`: nothing for a write);
 * an argument with `=` writes, as with `-w`. An unknown name is `cannot stat
 * /proc/sys/…`, a value the kernel refuses `setting key "…": Invalid argument`; either makes the
 * status 255 and leaves that setting as it was. `-a` (`-A`, `-X`, `--all`) lists every sysctl the
 * board's kernel model has — its network ones, the ARP table's per device
 * (net.ipv4.neigh.{default,DEV}.*, net.ipv4.conf.{all,default,DEV}.arp_evict_nocarrier) among
 * them — sorted by name, as procps walks /proc/sys.
 */
export const sysctl: Command = (argv, env) => {
  let valuesOnly = false;
  let write = false;
  let all = false;
  let quiet = false;
  const names: string[] = [];
  for (const a of argv.slice(1)) {
    if (a === '-h' || a === '-d' || a === '--help') return result(SYSCTL_HELP);
    if (a === '-n' || a === '--values') valuesOnly = true;
    else if (a === '-w' || a === '--write') write = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '-a' || a === '-A' || a === '-X' || a === '--all') all = true;
    else if (a.startsWith('-')) return result('', `sysctl: invalid option -- '${a.replace(/^-+/, '').charAt(0)}'\nUsage:\n sysctl [options] [variable[=value] ...]\n`, 255);
    else names.push(a);
  }
  if (all && !write) names.push(...env.board.stack.sysctlNames());
  if (names.length === 0) return result('', 'sysctl: no variables specified\nTry `sysctl --help\' for more information.\n', 255);
  const stack = env.board.stack;
  let out = '';
  let err = '';
  for (const arg of names) {
    const eq = arg.indexOf('=');
    const name = (eq < 0 ? arg : arg.slice(0, eq)).trim().replaceAll('/', '.');
    if (write && eq < 0) {
      err += `sysctl: "${arg}" must be of the form name=value\n`;
      continue;
    }
    if (!stack.sysctlNames().includes(name)) {
      err += `sysctl: cannot stat /proc/sys/${name.replaceAll('.', '/')}: No such file or directory\n`;
      continue;
    }
    if (eq >= 0) {
      const errno = writeSysctl(stack, name, arg.slice(eq + 1).trim());
      // procps WriteSetting: a file it may not open for writing (EACCES), else the write's errno.
      if (errno !== null) {
        err += errno === 'EACCES' ? `sysctl: permission denied on key '${name}'\n` : `sysctl: setting key "${name}": ${strerror(errno)}\n`;
        continue;
      }
    }
    // -q: a write does not echo the setting.
    if (quiet && eq >= 0) continue;
    const text = stack.getSysctl(name);
    out += valuesOnly ? `${text}\n` : `${name} = ${text}\n`;
  }
  return result(out, err, err === '' ? 0 : 255);
};

/**
 * `modprobe ntb_perf [chunk_order=N] [total_order=N] [use_dma=Y] [max_mw_size=N]`: the
 * client registers and probes the board's NTB device if no other client holds it (unload
 * ntb_netdev and ntb_transport first); its init clamps the orders and logs it.
 */
function modprobePerf(specs: readonly string[], env: ShellEnv): CommandResult {
  if (env.board.perfModule() !== null) return result('');
  const parsed = parsePerfParams(specs);
  if (typeof parsed === 'string') return result('', `modprobe: ERROR: could not insert 'ntb_perf': ${strerror(parsed)}\n`, 1);
  const warn = parsed.unknown.map((u) => `${env.board.printk(unknownParamMessage(u))}\n`).join('');
  env.board.loadPerf(parsed.params);
  sleepInNtbOps(env, 'modprobe ntb_perf');
  return result('', warn, 0);
}

/**
 * `modprobe ntb_tool`: the client registers and probes the board's NTB device if no other client
 * holds it (unload ntb_netdev and ntb_transport first; otherwise it loads and binds nothing, its
 * debugfs directory empty). ntb_tool has no module parameters: any is logged as unknown.
 */
function modprobeTool(specs: readonly string[], env: ShellEnv): CommandResult {
  if (env.board.toolModule() !== null) return result('');
  const warn = specs.map((spec) => `${env.board.printk(unknownParamMessage({ module: 'ntb_tool', name: spec.split('=')[0] ?? spec }))}\n`).join('');
  env.board.loadTool();
  sleepInNtbOps(env, 'modprobe ntb_tool');
  return result('', warn, 0);
}

/** ntb_pingpong's module parameters by name (both `uint`). */
const PINGPONG_PARAMS: Readonly<Record<string, keyof PingpongParams>> = { delay_ms: 'delayMs', unsafe: 'unsafe' };

/**
 * `modprobe ntb_pingpong [delay_ms=N] [unsafe=N]`: the client registers and probes the board's
 * NTB device if no other client holds it (unload ntb_netdev and ntb_transport first); a value
 * param_set_uint refuses fails the load (Invalid argument, Numerical result out of range); a
 * refused probe's dev_err line shows on the console, as do unknown parameters.
 */
function modprobePingpong(specs: readonly string[], env: ShellEnv): CommandResult {
  if (env.board.pingpongModule() !== null) return result('');
  const params: { -readonly [K in keyof PingpongParams]?: number } = {};
  const unknown: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const field = PINGPONG_PARAMS[name];
    if (field === undefined) {
      unknown.push(name);
      continue;
    }
    const v = eq < 0 ? -ERRNO.EINVAL : kstrtouint(spec.slice(eq + 1));
    if (typeof v === 'number') return result('', `modprobe: ERROR: could not insert 'ntb_pingpong': ${strerror(errnoName(v) ?? 'EINVAL')}\n`, 1);
    params[field] = Number(v);
  }
  const warn = unknown.map((name) => `${env.board.printk(unknownParamMessage({ module: 'ntb_pingpong', name }))}\n`).join('');
  const log = env.board.loadPingpong(params);
  sleepInNtbOps(env, 'modprobe ntb_pingpong');
  return result('', warn + log.map((l) => `${l}\n`).join(''), 0);
}

/** How long `rmmod ntb_pingpong` may block (ns, virtual): pp_remove's link disable, an EPF command. */
const PINGPONG_REMOVE_LIMIT_NS = 30 * NS_PER_SEC;

/** How long `rmmod ntb_tool` may block (ns, virtual): tool_remove's link disable and window teardown, a few EPF commands. */
const TOOL_REMOVE_LIMIT_NS = 30 * NS_PER_SEC;

/** The longest a module load or unload may sleep in its NTB device's commands (ns): a few EPF commands of at most 1 s each. */
const MODULE_SLEEP_LIMIT_NS = 30 * NS_PER_SEC;

/**
 * What modprobe and rmmod of an NTB client do before they return: sleep until the probe's or
 * remove's NTB calls that wait for the hardware (link enable / disable, window translations:
 * EPF commands the EP runs every msecs_to_jiffies(5), 8 ms at HZ 250) are done, the simulation running meanwhile.
 */
function sleepInNtbOps(env: ShellEnv, what: string): void {
  const dev = env.board.ntb;
  if (!dev.sleepUntilIdle(MODULE_SLEEP_LIMIT_NS)) throw new LabError('ETIMEDOUT', `${env.board.name}: ${what} still sleeping in ${dev.sleepingOps} NTB operations after ${MODULE_SLEEP_LIMIT_NS / NS_PER_SEC} s`);
}

/**
 * How long `rmmod ntb_perf` may block (ns, virtual): perf_remove's flush of a command send still
 * in its retries (MSG_TRIES 1000 × 2 s) before it clears the peers and disables the link.
 */
const PERF_REMOVE_LIMIT_NS = 2100 * NS_PER_SEC;

/**
 * rmmod returns when the client's remove has run (its `whenRemoved`), letting virtual time run
 * until then, for `limitNs` at most. ntb_tool's tool_remove does not wait for blocked writers
 * here: the lab's shell runs one command at a time and interrupts a write it gives up on.
 */
function waitRemoved(env: ShellEnv, client: { whenRemoved(fn: () => void): void }, how: { readonly module: string; readonly remove: string; readonly limitNs: number }): void {
  const sim = env.lab.sim;
  const until = sim.now + how.limitNs;
  let done = false;
  client.whenRemoved(() => {
    done = true;
    sim.stop();
  });
  while (!done && sim.now < until) sim.run({ until });
  if (!done) throw new LabError('ETIMEDOUT', `${env.board.name}: rmmod ${how.module} still waiting for ${how.remove} after ${how.limitNs / NS_PER_SEC} s`);
}

/** The hardware modules under ntb_transport (not removable in the lab). */
const BASE_MODULES = new Set(['ntb_hw_epf', 'pci_epf_vntb']);

/** kmod's rmmod help() (`-h`, `--help`), on stdout. */
const RMMOD_HELP =
  'Usage:\n\trmmod [options] modulename ...\nOptions:\n' +
  '\t-f, --force       forces a module unload and may crash your\n' +
  '\t                  machine. This requires Forced Module Removal\n' +
  '\t                  option in your kernel. DANGEROUS\n' +
  '\t-s, --syslog      print to syslog, not stderr\n' +
  '\t-v, --verbose     enables more messages\n' +
  '\t-V, --version     show version\n' +
  '\t-h, --help        show this help\n';

/** kmod's modprobe help() (`-h`, `--help`), on stdout. */
const MODPROBE_HELP = [
  'Usage:',
  '\tmodprobe [options] [-i] [-b] modulename',
  '\tmodprobe [options] -a [-i] [-b] modulename [modulename...]',
  '\tmodprobe [options] -r [-i] modulename',
  '\tmodprobe [options] -r -a [-i] modulename [modulename...]',
  '\tmodprobe [options] -c',
  '\tmodprobe [options] --dump-modversions filename',
  'Management Options:',
  '\t-a, --all                   Consider every non-argument to',
  '\t                            be a module name to be inserted',
  '\t                            or removed (-r)',
  '\t-r, --remove                Remove modules instead of inserting',
  '\t    --remove-dependencies   Also remove modules depending on it',
  '\t-R, --resolve-alias         Only lookup and print alias and exit',
  '\t    --first-time            Fail if module already inserted or removed',
  '\t-i, --ignore-install        Ignore install commands',
  '\t-i, --ignore-remove         Ignore remove commands',
  '\t-b, --use-blacklist         Apply blacklist to resolved alias.',
  '\t-f, --force                 Force module insertion or removal.',
  '\t                            implies --force-modversions and',
  '\t                            --force-vermagic',
  "\t    --force-modversion      Ignore module's version",
  "\t    --force-vermagic        Ignore module's version magic",
  '',
  'Query Options:',
  '\t-D, --show-depends          Only print module dependencies and exit',
  '\t-c, --showconfig            Print out known configuration and exit',
  '\t-c, --show-config           Same as --showconfig',
  '\t    --show-modversions      Dump module symbol version and exit',
  '\t    --dump-modversions      Same as --show-modversions',
  '',
  'General Options:',
  '\t-n, --dry-run               Do not execute operations, just print out',
  '\t-n, --show                  Same as --dry-run',
  '\t-C, --config=FILE           Use FILE instead of default search paths',
  '\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules',
  '\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`',
  '\t-s, --syslog                print to syslog, not stderr',
  '\t-q, --quiet                 disable messages',
  '\t-v, --verbose               enables more messages',
  '\t-V, --version               show version',
  '\t-h, --help                  show this help',
  '',
].join('\n');

/** `rmmod MODULE...` (kmod): ntb_netdev unloads, then ntb_transport (held while ntb_netdev is loaded), ntb_perf, ntb_tool, ntb_pingpong; each failure is reported. */
export const rmmod: Command = (argv, env) => {
  if (argv.slice(1).some((a) => a === '-h' || a === '--help')) return result(RMMOD_HELP);
  const mods = argv.slice(1);
  if (mods.length === 0) return result('', 'rmmod: ERROR: missing module name.\n', 1);
  let err = '';
  for (const mod of mods) {
    if (mod === 'ntb_netdev') {
      if (!env.board.unloadNetdev()) err += 'rmmod: ERROR: Module ntb_netdev is not currently loaded\n';
    } else if (mod === 'ntb_transport') {
      const rc = env.board.unloadTransport();
      if (rc === -ERRNO.EBUSY) err += 'rmmod: ERROR: Module ntb_transport is in use by: ntb_netdev\n';
      else if (rc !== 0) err += 'rmmod: ERROR: Module ntb_transport is not currently loaded\n';
      else sleepInNtbOps(env, 'rmmod ntb_transport');
    } else if (mod === 'ntb_perf') {
      const perf = env.board.perf();
      if (!env.board.unloadPerf()) err += 'rmmod: ERROR: Module ntb_perf is not currently loaded\n';
      else {
        sleepInNtbOps(env, 'rmmod ntb_perf');
        if (perf !== null) waitRemoved(env, perf, { module: 'ntb_perf', remove: 'perf_remove', limitNs: PERF_REMOVE_LIMIT_NS });
      }
    } else if (mod === 'ntb_tool') {
      const tool = env.board.tool();
      if (!env.board.unloadTool()) err += 'rmmod: ERROR: Module ntb_tool is not currently loaded\n';
      else if (tool !== null) waitRemoved(env, tool, { module: 'ntb_tool', remove: 'tool_remove', limitNs: TOOL_REMOVE_LIMIT_NS });
    } else if (mod === 'ntb_pingpong') {
      const pp = env.board.pingpong();
      if (!env.board.unloadPingpong()) err += 'rmmod: ERROR: Module ntb_pingpong is not currently loaded\n';
      else if (pp !== null) waitRemoved(env, pp, { module: 'ntb_pingpong', remove: 'pp_remove', limitNs: PINGPONG_REMOVE_LIMIT_NS });
    } else if (BASE_MODULES.has(mod)) {
      const b = env.board;
      const user = b.transport() !== null ? 'ntb_transport' : b.perf() !== null ? 'ntb_perf' : b.tool() !== null ? 'ntb_tool' : b.pingpong() !== null ? 'ntb_pingpong' : null;
      err += user === null ? `rmmod: ERROR: could not remove '${mod}': Device or resource busy\n` : `rmmod: ERROR: Module ${mod} is in use by: ${user}\n`;
    }
    else err += `rmmod: ERROR: Module ${mod} is not currently loaded\n`;
  }
  return result('', err, err === '' ? 0 : 1);
};
