/**
 * The lab's `ping` (iputils 20240117: ping/ping.c main() and ping4_run, ping/ping_common.c
 * setup()) on an ICMP echo socket: it checks the command line (options.ts), resolves the
 * destination, does what ping4_run does before its first request — `-I`'s SO_BINDTODEVICE or
 * source address, the probe socket's connect() (the route, a broadcast address's EACCES), the
 * socket's buffers, TTL and TOS — prints the `PING host (addr) [from SRC DEV: ]N(M) bytes of
 * data.` header, and runs main_loop (mainLoop.ts) as a user task until an exit condition, then
 * finish()'s statistics (format.ts).
 *
 * With `-c N` ping stops after N replies, or — when some are missing — max(2 × the largest RTT,
 * `-i`) after the last send (the `-W` linger time, 10 s by default, when nothing came back), as
 * iputils' schedule_exit does; `-w S` ends it after S seconds. Without either it runs until
 * SIGINT (Ctrl-C, `kill -INT`), which iputils' sigexit turns into the statistics and the usual
 * exit status; SIGQUIT prints nothing here (iputils' running status line is not modelled), and
 * SIGTERM, SIGHUP or SIGKILL end it without a word. So a ping without `-c` or `-w` runs as a job
 * (`ping … &`) or in the interactive lab, where Ctrl-C stops it; a script's foreground ping
 * needs `-c` or `-w`, which end it. As a job (and in the interactive lab's foreground) it prints
 * each line when ping writes it, and an interactive foreground ping runs no faster than the wall
 * clock, one request a second as on a board.
 *
 * An ICMP error about one of its requests — host unreachable when ARP could not resolve the
 * target (three probes, 3 s) — prints `From ADDR icmp_seq=N Destination Host Unreachable`
 * (ADDR: the pinging host itself, which sent the error to itself), counts in `+N errors` and
 * in `pipe`, and ends the request as a reply would: ping stops once replies and errors reach
 * `-c`, and at the first error under `-w`, as iputils' main_loop does.
 *
 * The target 0.0.0.0 (INADDR_ANY) is the local host: the kernel routes it to 127.0.0.1 (to the
 * bound device's first address with `-I DEV`) and ping4_run takes that — or `-I ADDR` — as the
 * address it pings.
 * A subnet broadcast address (all host bits set on an up device's address with a prefix below
 * /31, lo's 127.255.255.255 included) needs `-b`: without it connect() fails with EACCES and
 * iputils asks `Do you want to ping broadcast?`; with it iputils warns `WARNING: pinging
 * broadcast address` and sends. The model does not deliver broadcasts (no RTN_BROADCAST input
 * route: the peer drops the request as not its address and counts InAddrErrors, and no copy
 * loops back to the sender), so nothing answers — what Linux also prints with its default
 * net.ipv4.icmp_echo_ignore_broadcasts=1, but the receiving side's counters differ. With
 * `-I ADDR` ping skips the probe (as iputils does with a source address), so neither the
 * route nor a broadcast address is checked before the header, and the model's echo socket has
 * no SO_BROADCAST: a request to a broadcast address goes out where Linux's sendmsg would fail
 * with EACCES, silently either way.
 *
 * `-v` prints what iputils 20240117 prints for the sockets and the address: the lab's kernel
 * has no IPv6, so the ICMPv6 socket fails (`socktype: SOCK_DGRAM`, `socket: Address family not
 * supported by protocol`), then `sock4.fd: 3 (socktype: SOCK_DGRAM), sock6.fd: -1 …,
 * hints.ai_family: AF_INET` and a blank line on standard error, and `ai->ai_family: AF_INET,
 * ai->ai_canonname: '…'` on standard output; the reply lines are unchanged (iputils adds
 * ` ident=` only for an identifier set with `-e`).
 */
import { NetError, type NetDevice, type PingSocket, type PmtuDisc } from '@ntbsim/net-core';
import { commandTaskOptions, result, runsAsRoot, type Command, type CommandResult } from '../../types.js';
import { takeServerOutput } from '../net/background.js';
import { addJob, exitCode, printJob, type JobStatus } from '../jobs.js';
import { interleaved, type StreamWrite } from '../output.js';
import { formatPingHeader, strInterval } from './format.js';
import { MIN_USER_INTERVAL_MS, PingRun } from './mainLoop.js';
import { DOTTED_QUAD, parsePing, type PingOptions } from './options.js';

/** The signals iputils' ping catches: SIGINT and SIGALRM end it with the statistics (sigexit), SIGQUIT asks for a status line. */
const SIGINT = 2;
const SIGALRM = 14;
const SIGQUIT = 3;
/** iputils' MIN_MULTICAST_USER_INTERVAL_MS: the shortest `-i` of a user's broadcast (`-b`) ping. */
const MIN_MULTICAST_USER_INTERVAL_MS = 1000;
/** INT_MAX: setup() refuses an interval of INT_MAX / preload or more. */
const INT_MAX = 2147483647;
/** The lab's /etc/hosts: the names getaddrinfo resolves without DNS. */
const HOSTS: ReadonlyMap<string, string> = new Map([['localhost', '127.0.0.1']]);

/** `a.b.c.d` as a number. */
const ipv4 = (addr: string): number => addr.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);

/** `-v`: create_socket's failure of the ICMPv6 socket on a kernel without IPv6, then main()'s socket line (standard error). */
const VERBOSE_SOCKETS =
  'ping: socktype: SOCK_DGRAM\nping: socket: Address family not supported by protocol\n' + 'ping: sock4.fd: 3 (socktype: SOCK_DGRAM), sock6.fd: -1 (socktype: SOCK_DGRAM), hints.ai_family: AF_INET\n\n';

/**
 * sock_setbufs: SO_SNDBUF of `-S` or the estimate of one request's memory (`alloc`), SO_RCVBUF
 * of `alloc` × preload (at least 64 KiB); iputils warns when the buffer it gets holds less than
 * the preload.
 */
function setBuffers(sock: PingSocket, o: PingOptions): string {
  const hold = o.datalen + 8;
  const alloc = hold + Math.trunc((hold + 511) / 512) * (20 + 16 + 64 + 160);
  sock.setSndbuf(o.sndbuf !== 0 ? o.sndbuf : alloc);
  const rcvbuf = alloc * o.preload;
  sock.setRcvbuf(Math.max(rcvbuf, 65536));
  return sock.rcvbuf < rcvbuf ? 'ping: WARNING: probably, rcvbuf is not enough to hold preload\n' : '';
}

/**
 * `ping [-aAbDfnOqUv] [-c N] [-i S] [-I IFACE|ADDR] [-l N] [-M do|want|dont] [-p HEX] [-Q TOS]
 * [-s N] [-S N] [-t TTL] [-w S] [-W S] DEST` (iputils 20240117).
 */
export const ping: Command = (argv, env) => {
  const root = runsAsRoot(env);
  const parsed = parsePing(argv, root);
  if ('status' in parsed) return parsed;
  const { o } = parsed;
  const { lab, board } = env;
  const job = env.background === true;
  const stack = board.stack;
  // A job writes to the board's terminal as it goes (its first lines show right after the command).
  const writes: StreamWrite[] = [];
  const out = (fd: 1 | 2, text: string): void => {
    if (job) printJob(env, text, fd);
    else writes.push({ fd, text });
  };
  if (o.count === 0 && o.deadline === 0 && !job) {
    return interleaved([...parsed.writes, { fd: 2, text: 'ping: the lab cannot interrupt a ping in a script: give -c COUNT or -w DEADLINE, or run it as a job (`ping … &`, stopped by kill -INT or killall -INT; Ctrl-C stops one in the interactive lab)\n' }], 2);
  }
  for (const w of parsed.writes) out(w.fd, w.text);
  const warn = (text: string): void => out(2, text);
  /** ping exits with `status` before it sends: as a job, one that has ended so (the shell's `&` itself succeeded). */
  const exitEarly = (status: number): CommandResult => {
    if (!job) return interleaved(writes, status);
    addJob(board, { comm: 'ping', command: env.commandLine ?? 'ping', ended: () => true, signal: () => undefined, status: () => ({ kind: 'exit', code: status }) });
    return result('');
  };
  const fail2 = (msg: string): CommandResult => {
    warn(`ping: ${msg}\n`);
    return exitEarly(2);
  };
  if (o.verbose) warn(VERBOSE_SOCKETS);
  // getaddrinfo: a dotted quad as it is, a name through /etc/hosts (AI_CANONNAME: the name itself).
  const resolved = DOTTED_QUAD.test(o.target) ? o.target : HOSTS.get(o.target);
  if (resolved === undefined) return fail2(`${o.target}: Name or service not known`);
  if (o.verbose) out(1, `ai->ai_family: AF_INET, ai->ai_canonname: '${o.target}'\n`);
  // ping4_run: a numeric destination needs no reverse lookup (-H forces one).
  const numeric = o.numeric || resolved === o.target;
  const sock = stack.pingSocket();
  /** Exit before the first request, the socket closed. */
  const abort = (msg: string): CommandResult => {
    sock.close();
    return fail2(msg);
  };
  /** A setsockopt or bind the model's socket refuses with `errno`: iputils' message, else the error goes on. */
  const refused = (e: unknown, errno: string, msg: string): CommandResult => {
    if (e instanceof NetError && e.code === errno) return abort(msg);
    throw e;
  };
  // SO_BINDTODEVICE (-I IFACE), on the probe socket and the echo socket alike.
  let device: NetDevice | null = null;
  if (o.device !== null) {
    try {
      sock.bindToDevice(o.device);
    } catch (e) {
      return refused(e, 'ENODEV', `SO_BINDTODEVICE ${o.device}: No such device`);
    }
    device = sock.boundDev;
  }
  // INADDR_ANY: ip_route_output takes the local host (the bound device's first address, else
  // 127.0.0.1), the probe socket's source, which ping4_run then pings (and prints in the header).
  const addr = resolved === '0.0.0.0' ? (o.source ?? (device === null ? undefined : stack.addressesOf(device)[0]?.split('/')[0]) ?? '127.0.0.1') : resolved;
  const dst = ipv4(addr);
  let source = o.source;
  if (source === null) {
    // The probe socket's connect(): the route (through the bound device only), EACCES for a broadcast address without -b.
    const route = stack.route(dst, device);
    if (route === null) return abort('connect: Network is unreachable');
    if (stack.isBroadcast(dst)) {
      if (!o.broadcast) return abort('Do you want to ping broadcast? Then -b. If not, check your local firewall rules');
      warn('WARNING: pinging broadcast address\n');
    }
    source = [0, 8, 16, 24].map((sh) => (route.src >>> (24 - sh)) & 0xff).join('.');
    if (device !== null && !stack.addressesOf(device).some((a) => a.split('/')[0] === source)) warn(`ping: Warning: source address might be selected on device other than: ${device.name}\n`);
  }
  if (o.broadcast && !root) {
    if (o.intervalMs < MIN_MULTICAST_USER_INTERVAL_MS) return abort(`minimal interval for broadcast ping for user must be >= ${MIN_MULTICAST_USER_INTERVAL_MS} ms, use -i ${strInterval(MIN_MULTICAST_USER_INTERVAL_MS)} (or higher)`);
    if (o.pmtudisc !== null && o.pmtudisc !== 'do') return abort('broadcast ping does not fragment');
  }
  // A broadcast (-b) ping defaults to IP_PMTUDISC_DO; otherwise the socket keeps its default, want.
  const pmtudisc: PmtuDisc = o.pmtudisc ?? (o.broadcast ? 'do' : 'want');
  sock.setMtuDiscover(pmtudisc);
  if (o.source !== null) {
    try {
      sock.bind(o.source);
    } catch (e) {
      return refused(e, 'EADDRNOTAVAIL', 'bind: Cannot assign requested address');
    }
  }
  if (o.tos !== 0) sock.setTos(o.tos);
  warn(setBuffers(sock, o));
  if (o.ttl !== null) {
    try {
      sock.setTtl(o.ttl);
    } catch (e) {
      return refused(e, 'EINVAL', 'cannot set unicast time-to-live: Invalid argument');
    }
  }
  // pr_addr: a name is looked up again (/etc/hosts) and printed with the address, unless the destination was numeric or -n (or -f) was given; -H forces it.
  const hostOf = (a: string): string => {
    const name = numeric && !o.forceLookup ? undefined : [...HOSTS].find(([, v]) => v === a)?.[0];
    return name === undefined ? a : `${name} (${a})`;
  };
  const from = device !== null || o.source !== null ? `${source} ${device?.name ?? ''}` : null;
  out(1, takeServerOutput(board) + formatPingHeader(o.target, o.datalen, addr, from));
  // setup(): -f floods at interval 0 unless -i was given; a user other than root may not go below 2 ms.
  const intervalMs = o.flood && !o.intervalGiven ? 0 : o.intervalMs;
  if (intervalMs < MIN_USER_INTERVAL_MS && !root) return abort(`cannot flood, minimal interval for user must be >= ${MIN_USER_INTERVAL_MS} ms, use -i ${strInterval(MIN_USER_INTERVAL_MS)} (or higher)`);
  if (intervalMs >= Math.trunc(INT_MAX / o.preload)) return abort(`illegal preload and/or interval: ${intervalMs}`);
  const sim = lab.sim;
  /** How the program ended, once it has. */
  let ended: JobStatus | null = null;
  /** iputils' finish(): the statistics, then the exit status. */
  const finish = (): void => {
    if (ended !== null) return;
    run.done = true;
    sock.close();
    ended = { kind: 'exit', code: run.finish() };
  };
  const run = new PingRun({
    o,
    sock,
    addr,
    hostname: o.target,
    root,
    intervalMs,
    bootTime: board.host.bootTime,
    functional: lab.options.payload === 'functional',
    hostOf,
    mtu: () => stack.route(dst, device)?.dev.mtu ?? 0,
    out,
    onEnd: () => {
      if (job) finish();
      else sim.stop();
    },
  });
  const task = board.host.createUserTask('ping', (ctx, t) => run.step(ctx, t), commandTaskOptions(env));
  if (job) {
    addJob(board, {
      comm: 'ping',
      command: env.commandLine ?? 'ping',
      ended: () => ended !== null,
      realtime: true,
      signal: (sig) => {
        if (ended !== null) return;
        if (sig.signo === SIGINT || sig.signo === SIGALRM) {
          run.exiting = true;
          task.wake();
          return;
        }
        // No handler (SIGQUIT's status line aside): the process ends where it is.
        if (sig.signo === SIGQUIT) return;
        run.done = true;
        task.stop();
        sock.close();
        ended = { kind: 'signal', signo: sig.signo };
      },
      status: () => ended,
    });
    return interleaved(writes, 0);
  }
  const limit = sim.now + (o.deadline > 0 ? o.deadline * 1e9 : o.count * intervalMs * 1e6 + o.lingerMs * 1e6) + 60e9;
  while (!run.done && sim.now < limit) sim.run({ until: limit });
  task.stop();
  finish();
  return interleaved(writes, ended === null ? 1 : exitCode(ended));
};
