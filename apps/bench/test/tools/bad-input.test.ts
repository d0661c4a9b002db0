/**
 * Bad input to every lab tool: each rejected command line prints what the real tool prints
 * (exact stderr, or its first line where a long usage text follows), exits with the real
 * tool's status, and changes nothing in the lab — virtual time, ntb0's MTU, queues and
 * carrier, /proc/interrupts, IRQ affinity, sockets and listening servers, counters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Board, type Lab } from '../../src/lab/lab.js';
import { defaultVars, runScript } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import { USAGE_LONG, USAGE_SHORT } from '../../src/tools/iperf3/options.js';
import { procInterrupts } from '../../src/tools/proc.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

type BoardName = 'rc' | 'ep';

/** One bad command line: where it runs, what it must print on stderr, its exit status. */
interface Case {
  readonly board: BoardName;
  readonly line: string;
  /** The exact stderr, or (`firstLine`) its first line. */
  readonly stderr: string;
  readonly status: number;
  readonly firstLine?: true;
  /** What stdout must contain (default: nothing at all). */
  readonly stdout?: string;
}

const c = (board: BoardName, line: string, stderr: string, status: number, extra: Partial<Case> = {}): Case => ({ board, line, stderr, status, ...extra });
const first = (board: BoardName, line: string, stderr: string, status: number): Case => c(board, line, stderr, status, { firstLine: true });

const iperfParam = (msg: string): string => `iperf3: parameter error - ${msg}\n\n${USAGE_SHORT}`;
const iperfGetopt = (msg: string): string => `iperf3: ${msg}\n${USAGE_LONG}`;
const IECONNECT_NAME = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known\n';
const ETHTOOL_BAD = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';
const NO_DEV = 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n';
const EXCEEDS = 'netlink error: requested channel count exceeds maximum (offset 36)\nnetlink error: Invalid argument\n';
const SLEEP_TRY = "Try 'sleep --help' for more information.\n";
const WRITE_EINVAL = 'bash: echo: write error: Invalid argument\n';
const WRITE_EOVERFLOW = 'bash: echo: write error: Value too large for defined data type\n';
const MTU_BAD = (v: string): string => `Error: argument "${v}" is wrong: Invalid "mtu" value\n\n`;

const IPERF3: Case[] = [
  c('ep', 'iperf3 -c 10.0.0.1 -P 129', iperfParam('number of parallel streams too large (maximum = 128)'), 1),
  // 3.12 checks -P and -t only against their maximum (-P 0, -t 0 and a negative -t run: see lab.test.ts).
  c('ep', 'iperf3 -c 10.0.0.1 -t 86401', iperfParam('test duration too long (maximum = 86400 seconds)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -l 2M', iperfParam('block size too large (maximum = 1048576 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -l -1', iperfParam('block size too large (maximum = 1048576 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -u -l 8', iperfParam('block size invalid (minimum = 16 bytes, maximum = 65507 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -u -l 65508', iperfParam('block size invalid (minimum = 16 bytes, maximum = 65507 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -w 513M', iperfParam('socket buffer size too large (maximum = 536870912 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -i 0.05', iperfParam('invalid report interval (min = 0.1, max = 60 seconds)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -i 61', iperfParam('invalid report interval (min = 0.1, max = 60 seconds)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -i -1', iperfParam('invalid report interval (min = 0.1, max = 60 seconds)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -p 0', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -p 65536', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -p http', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -u -b 1M/0', iperfParam('invalid burst count (maximum = 1000)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -u -b 1M/1001', iperfParam('invalid burst count (maximum = 1000)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -b 1M/x', iperfParam('invalid burst count (maximum = 1000)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -f x', iperfParam('bad format specifier (valid formats are in the set [kmgtKMGT])'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -R --bidir', iperfParam('cannot be both reverse and bidirectional'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -1', iperfParam('some option you are trying to set is server only'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -O 61', iperfParam('bogus value for --omit'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -O -1', iperfParam('bogus value for --omit'), 1),
  c('rc', 'iperf3 -s -O 2', iperfParam('some option you are trying to set is client only'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -A x', iperfParam('unable to set CPU affinity: '), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -A 8', 'iperf3: error - unable to set CPU affinity: Invalid argument\n', 1),
  c('rc', 'iperf3 -s -p 5300 -A 8', 'iperf3: error - unable to set CPU affinity: Invalid argument\n', 1),
  c('ep', 'iperf3 -s -c 10.0.0.1', iperfParam('cannot be both server and client'), 1),
  c('ep', 'iperf3', iperfParam('must either be a client (-c) or server (-s)'), 1),
  c('ep', 'iperf3 -P 2', iperfParam('must either be a client (-c) or server (-s)'), 1),
  c('rc', 'iperf3 -s -p 5300 -u', iperfParam('some option you are trying to set is client only'), 1),
  c('rc', 'iperf3 -s -p 5300 -t 5', iperfParam('some option you are trying to set is client only'), 1),
  c('rc', 'iperf3 -s -p 0', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('ep', 'iperf3 -c', iperfGetopt("option requires an argument -- 'c'"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -x', iperfGetopt("invalid option -- 'x'"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --nope', iperfGetopt("unrecognized option '--nope'"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --udp=1', iperfGetopt("option '--udp' doesn't allow an argument"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --time', iperfGetopt("option '--time' requires an argument"), 1),
  first('ep', 'iperf3 -c 10.0.0.1 --b 1', "iperf3: option '--b' is ambiguous; possibilities: '--bitrate' '--bandwidth' '--bytes' '--blockcount' '--bidir' '--bind' '--bind-dev'", 1),
  c('rc', 'iperf3 -s', 'iperf3: error - unable to start listener for connections: Address already in use\niperf3: exiting\n', 1),
  // -D daemonizes first: the parent exits 0 and the daemon's listen error goes to /dev/null.
  c('rc', 'iperf3 -s -D', '', 0),
  c('rc', 'iperf3 -s -D -p 5300 -A 8', '', 0),
  c('ep', 'iperf3 -c nosuchhost', IECONNECT_NAME, 1),
  c('ep', "iperf3 -c ''", IECONNECT_NAME, 1),
  c('ep', 'iperf3 -J -c nosuchhost', '', 1, { stdout: '"error":\t"error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known"' }),
  c('ep', 'iperf3 -c 10.0.0.1 --snd-timeout -1', iperfParam('send timeout value is incorrect or not in range: '), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --snd-timeout 86400001', iperfParam('send timeout value is incorrect or not in range: '), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --snd-timeout 5000', `${iperfParam('an option you are trying to set is not implemented yet')}ntb-bench: iperf3 3.12 has --snd-timeout; the lab does not model it\n`, 1),
  c('ep', 'iperf3 -c 10.0.0.1 --bind-dev', iperfGetopt("option '--bind-dev' requires an argument"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --bind-dev lo', iperfParam('an option you are trying to set is not implemented yet'), 1),
  c('rc', 'iperf3 -s -p 5300 --bind-dev eth9', 'iperf3: error - unable to start listener for connections: No such device\niperf3: exiting\n', 1),
  c('ep', 'iperf3 -c 10.0.0.1 -t 5 -n 1M', iperfParam('only one test end condition (-t, -n, -k) may be specified'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -n 1M -k 10', iperfParam('only one test end condition (-t, -n, -k) may be specified'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --cport 0', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --cport 65536', iperfParam('port number must be between 1 and 65535 inclusive'), 1),
  c('rc', 'iperf3 -s -T title', iperfParam('some option you are trying to set is client only'), 1),
  c('rc', 'iperf3 -s --get-server-output', iperfParam('some option you are trying to set is client only'), 1),
  c('rc', 'iperf3 -s -n 1M', iperfParam('some option you are trying to set is client only'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -M 9217', iperfParam('TCP MSS too large (maximum = 9216 bytes)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 -S 256', iperfParam('bad TOS value (must be between 0 and 255 inclusive)'), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --logfile /nope/l', 'iperf3: error - unable to open log file: No such file or directory\n', 1),
  c('rc', 'iperf3 -s --logfile /proc/l', 'iperf3: error - unable to open log file: Permission denied\niperf3: exiting\n', 1),
  c('ep', 'iperf3 -c 10.0.0.1 --connect-timeout', iperfGetopt("option '--connect-timeout' requires an argument"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --use-pkcs1-padding', iperfGetopt("unrecognized option '--use-pkcs1-padding'"), 1),
  c('ep', 'iperf3 -c 10.0.0.1 --username u', iperfGetopt("unrecognized option '--username'"), 1),
];

const PING: Case[] = [
  c('ep', 'ping -c 0 10.0.0.1', "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n", 1),
  c('ep', 'ping -c -1 10.0.0.1', "ping: invalid argument: '-1': out of range: 1 <= value <= 9223372036854775807\n", 1),
  c('ep', 'ping -c abc 10.0.0.1', "ping: invalid argument: 'abc'\n", 1),
  c('ep', 'ping -c 3x 10.0.0.1', "ping: invalid argument: '3x'\n", 1),
  c('ep', "ping -c '' 10.0.0.1", "ping: invalid argument: ''\n", 1),
  c('ep', 'ping -c 99999999999999999999 10.0.0.1', "ping: invalid argument: '99999999999999999999': Numerical result out of range\n", 1),
  c('ep', 'ping -c 1 -s 65508 10.0.0.1', 'ping: packet size 65508 is too large. Maximum is 65507\n', 2),
  c('ep', 'ping -c 1 -s -1 10.0.0.1', "ping: invalid argument: '-1': out of range: 0 <= value <= 2147483647\n", 1),
  c('ep', 'ping -c 1 -s 2147483648 10.0.0.1', "ping: invalid argument: '2147483648': out of range: 0 <= value <= 2147483647\n", 1),
  c('ep', 'ping -c 1 -i -1 10.0.0.1', 'ping: bad timing interval: -1\n', 2),
  // ping_strtod only warns about trailing garbage; 'abc' reads as 0, below a user's 2 ms.
  c('ep', 'ping -c 1 -i abc 10.0.0.1', 'ping: option argument contains garbage: abc\nping: this will become fatal error in the future\nping: cannot flood, minimal interval for user must be >= 2 ms, use -i 0.002 (or higher)\n', 2, { stdout: 'PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n' }),
  c('ep', 'ping -c 1 -i inf 10.0.0.1', 'ping: bad timing interval: inf: Numerical result out of range\n', 2),
  c('ep', 'ping -c 1 -i 2147483.648 10.0.0.1', 'ping: bad timing interval: 2147483.648\n', 2),
  c('ep', 'ping -c 1 -w -1 10.0.0.1', "ping: invalid argument: '-1': out of range: 0 <= value <= 2147483647\n", 1),
  c('ep', 'ping -c 1 -W -1 10.0.0.1', 'ping: bad linger time: -1\n', 2),

  c('ep', 'ping -c 1', 'ping: usage error: Destination address required\n', 1),
  c('ep', 'ping 10.0.0.1', 'ping: the lab cannot interrupt a ping in a script: give -c COUNT or -w DEADLINE, or run it as a job (`ping … &`, stopped by kill -INT or killall -INT; Ctrl-C stops one in the interactive lab)\n', 2),
  first('ep', 'ping -c 1 -x 10.0.0.1', "ping: invalid option -- 'x'", 2),
  first('ep', 'ping -c', "ping: option requires an argument -- 'c'", 2),
  c('ep', 'ping -c 1 nosuchhost', 'ping: nosuchhost: Name or service not known\n', 2),
  c('ep', 'ping -c 1 10.1.0.1', 'ping: connect: Network is unreachable\n', 2),
];

const ETHTOOL: Case[] = [
  c('ep', 'ethtool', ETHTOOL_BAD, 1),
  c('ep', 'ethtool -l', ETHTOOL_BAD, 1),
  c('ep', 'ethtool -l eth9', NO_DEV, 1),
  c('ep', 'ethtool -l ntb0 extra', "ethtool: unexpected parameter 'extra'\n", 1),
  c('ep', 'ethtool -L ntb0 combined', "ethtool (-L): no value for parameter 'combined'\n", 1),
  c('ep', 'ethtool -L ntb0 combined x', "ethtool (-L): invalid value 'x' for parameter 'combined'\n", 1),
  c('ep', 'ethtool -L ntb0 combined -1', "ethtool (-L): invalid value '-1' for parameter 'combined'\n", 1),
  c('ep', 'ethtool -L ntb0 combined 4294967296', "ethtool (-L): invalid value '4294967296' for parameter 'combined'\n", 1),
  c('ep', 'ethtool -L ntb0 combined 0', 'netlink error: requested channel counts would result in no RX or TX channel being configured (offset 36)\nnetlink error: Invalid argument\n', 1),
  c('ep', 'ethtool -L ntb0 combined 65', EXCEEDS, 1),
  c('ep', 'ethtool -L ntb0 rx 1', EXCEEDS, 1),
  c('ep', 'ethtool -L ntb0 tx 1', EXCEEDS, 1),
  c('ep', 'ethtool -L ntb0 other 1', EXCEEDS, 1),
  c('ep', 'ethtool -L ntb0 bogus 1', "ethtool (-L): unknown parameter 'bogus'\n", 1),
  c('ep', 'ethtool -L ntb0 combined 1 combined 2', "ethtool (-L): duplicate parameter 'combined'\n", 1),
  c('ep', 'ethtool -L ntb0 combined 64', 'netlink error: No space left on device\n', 1),
  c('ep', 'ethtool -L eth9 combined 2', NO_DEV, 1),
  c('ep', 'ethtool -i eth9', 'Cannot get driver information: No such device\n', 71),
  c('ep', 'ethtool -S eth9', 'Cannot get stats strings information: No such device\n', 96),
  c('ep', 'ethtool -i ntb0 extra', ETHTOOL_BAD, 1),
  c('ep', 'ethtool --frobnicate ntb0', ETHTOOL_BAD, 1),
  c('ep', 'ethtool -A ntb0 rx on', 'ethtool: -A is an ethtool 6.1 option this model does not implement (it has DEV, -a, -c, -C, -g, -G, -k, -K, -i, -d, -e, -S, -n, -T, -x, -P, -l, -L, -h, --version and --monitor)\n', 1),
  c('ep', 'ethtool -K ntb0 tso on', 'Could not change any device features\n', 1, { stdout: 'Actual changes:\ntx-tcp-segmentation: off [requested on]\n' }),
  c('ep', 'ethtool -K ntb0 gso on', 'Could not change any device features\n', 1, { stdout: 'Actual changes:\ntx-generic-segmentation: off [requested on]\n' }),
  c('ep', 'ethtool -K ntb0 bogus on', 'netlink error: bit name not found (offset 56)\nnetlink error: Operation not supported\n', 92),
  c('ep', 'ethtool -K ntb0 vlan-challenged on', 'netlink error: attempt to change non-ethtool features\nnetlink error: Invalid argument\n', 92),
  c('ep', 'ethtool -K ntb0 gro maybe', "ethtool (-K): flag 'maybe' for parameter '(null)' is not followed by 'on' or 'off'\n", 1),
  c('ep', 'ethtool -K eth9 gro off', NO_DEV, 92),
  c('ep', 'ethtool -k ntb0 extra', "ethtool: unexpected parameter 'extra'\n", 1),
  c('ep', 'ethtool -G ntb0 rx 100', 'netlink error: Operation not supported\n', 81),
  c('ep', 'ethtool -G ntb0 rx-buf-len 0', 'netlink error: integer out of range (offset 36)\nnetlink error: Numerical result out of range\n', 81),
  c('ep', 'ethtool -G ntb0 tx-push 1', "ethtool (-G): invalid value '1' for parameter 'tx-push'\n", 1),
  c('ep', 'ethtool -C ntb0 rx-usecs 5', 'netlink error: Operation not supported\n', 1),
  c('ep', 'ethtool -x ntb0 context 0', ETHTOOL_BAD, 1),
  c('ep', 'ethtool -e ntb0 length -1', ETHTOOL_BAD, 1),
  c('ep', 'ethtool --frobnicate ntb0', ETHTOOL_BAD, 1),
  c('ep', 'ethtool --json -l ntb0', ETHTOOL_BAD, 1),
  c('ep', 'ethtool --debug x -l ntb0', ETHTOOL_BAD, 1),
];

const IP: Case[] = [
  first('ep', 'ip', 'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }', 255),
  c('ep', 'ip -x link', 'Option "-x" is unknown, try "ip -help".\n', 255),
  c('ep', 'ip frob', 'Object "frob" is unknown, try "ip help".\n', 255),
  c('ep', 'ip link frob', 'Command "frob" is unknown, try "ip link help".\n', 255),
  c('ep', 'ip addr frob', 'Command "frob" is unknown, try "ip address help".\n', 255),
  c('ep', 'ip link set', 'Not enough information: "dev" argument is required.\n', 255),
  c('ep', 'ip link set mtu 9000', 'Not enough information: "dev" argument is required.\n', 255),
  c('ep', 'ip link set eth9 up', 'Cannot find device "eth9"\n', 1),
  c('ep', 'ip link set dev', 'Command line is not complete. Try option "help"\n', 255),
  c('ep', 'ip link set ntb0 mtu', 'Command line is not complete. Try option "help"\n', 255),
  c('ep', 'ip link set ntb0 mtu abc', MTU_BAD('abc'), 255),
  c('ep', 'ip link set ntb0 mtu 1e3', MTU_BAD('1e3'), 255),
  c('ep', 'ip link set ntb0 mtu 2147483648', MTU_BAD('2147483648'), 255),
  c('ep', 'ip link set ntb0 down mtu abc', MTU_BAD('abc'), 255),
  c('ep', 'ip link set ntb0 mtu 9000 mtu 1500', 'Error: duplicate "mtu": "1500" is the second value.\n', 255),
  c('ep', 'ip link set ntb0 mtu 70000', 'Error: mtu greater than device maximum.\n', 2),
  c('ep', 'ip link set ntb0 mtu 70000 down', 'Error: mtu greater than device maximum.\n', 2),
  c('ep', 'ip link set ntb0 mtu -1', 'Error: mtu less than device minimum.\n', 2),
  c('ep', 'ip link set ntb0 up bogus', 'Error: either "dev" is duplicate, or "bogus" is a garbage.\n', 255),
  c('ep', 'ip link show eth9', 'Device "eth9" does not exist.\n', 1),
  c('ep', 'ip link show ntb0 extra', 'Error: either "dev" is duplicate, or "extra" is a garbage.\n', 255),
  c('ep', 'ip addr show eth9', 'Device "eth9" does not exist.\n', 1),
  c('ep', 'ip link del ntb0', 'RTNETLINK answers: Operation not supported\n', 2),
  c('ep', 'ip link set ntb0 txqueuelen', 'Command line is not complete. Try option "help"\n', 255),
  c('ep', 'ip link set ntb0 txqueuelen abc', 'Error: argument "abc" is wrong: Invalid "txqueuelen" value\n\n', 255),
  c('ep', 'ip link set ntb0 qlen 4294967296', 'Error: argument "4294967296" is wrong: Invalid "txqueuelen" value\n\n', 255),
  c('ep', 'ip link set ntb0 txqueuelen 10 txqlen 20', 'Error: duplicate "txqueuelen": "20" is the second value.\n', 255),
  c('ep', 'ip link set ntb0 txqueuelen 10 mtu 70000', 'Error: mtu greater than device maximum.\n', 2),
];

const SYSTEM: Case[] = [
  c('ep', 'sleep', `sleep: missing operand\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep abc', `sleep: invalid time interval 'abc'\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep 1x', `sleep: invalid time interval '1x'\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep 1 abc 2sm', `sleep: invalid time interval 'abc'\nsleep: invalid time interval '2sm'\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep -1', `sleep: invalid option -- '1'\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep --bogus', `sleep: unrecognized option '--bogus'\n${SLEEP_TRY}`, 1),
  c('ep', 'sleep inf', 'sleep: the lab cannot interrupt an endless sleep: give a finite interval\n', 1),
  first('ep', 'top -x', "top: unknown option 'x'", 1),
  c('ep', 'top -b -n abc', "top: bad iterations argument 'abc'\n", 1),
  c('ep', 'top -d x', "top: bad delay interval 'x'\n", 1),
  c('ep', 'modprobe', 'modprobe: ERROR: missing parameters. See -h.\n', 1),
  c('ep', 'modprobe e1000', 'modprobe: FATAL: Module e1000 not found in directory /lib/modules/6.18.0\n', 1),
  first('ep', 'modprobe -x ntb_netdev', "modprobe: invalid option -- 'x'", 1),
  c('ep', 'rmmod', 'rmmod: ERROR: missing module name.\n', 1),
  c('ep', 'rmmod e1000', 'rmmod: ERROR: Module e1000 is not currently loaded\n', 1),
  c('ep', 'rmmod ntb_transport', 'rmmod: ERROR: Module ntb_transport is in use by: ntb_netdev\n', 1),
  // proc_dointvec_minmax with extra1 = SOCK_MIN_SNDBUF (4608) / SOCK_MIN_RCVBUF (2304).
  c('ep', 'sysctl -w net.core.wmem_max=1000', 'sysctl: setting key "net.core.wmem_max": Invalid argument\n', 255),
  c('ep', 'sysctl -w net.ipv4.tcp_congestion_control=bbr', 'sysctl: setting key "net.ipv4.tcp_congestion_control": No such file or directory\n', 255),
  c('ep', 'sysctl -w net.ipv4.tcp_available_congestion_control=reno', "sysctl: permission denied on key 'net.ipv4.tcp_available_congestion_control'\n", 255),
  c('ep', 'sysctl -w net.core.wmem_default=4607', 'sysctl: setting key "net.core.wmem_default": Invalid argument\n', 255),
  c('ep', 'sysctl -w net.core.rmem_max=2303', 'sysctl: setting key "net.core.rmem_max": Invalid argument\n', 255),
  c('ep', 'sysctl -w net.core.rmem_default=0', 'sysctl: setting key "net.core.rmem_default": Invalid argument\n', 255),
  c('ep', 'cat /proc/nope', 'cat: /proc/nope: No such file or directory\n', 1),
  c('ep', 'cat /proc/irq/9999/smp_affinity', 'cat: /proc/irq/9999/smp_affinity: No such file or directory\n', 1),
  c('ep', 'cat /sys/kernel/debug/ntb_transport/nope/qp0/stats', 'cat: /sys/kernel/debug/ntb_transport/nope/qp0/stats: No such file or directory\n', 1),
  c('ep', 'echo 0 > /proc/irq/$IRQ/smp_affinity', WRITE_EINVAL, 1),
  c('ep', 'echo zz > /proc/irq/$IRQ/smp_affinity', WRITE_EINVAL, 1),
  // cpumask_parse_user into nr_cpu_ids (8) bits, as xps_cpus: a bit past CPU7, a chunk over 8 digits or a second chunk is EOVERFLOW.
  c('ep', 'echo 100 > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo 1ff > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo ffffffff > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo 1,00000001 > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo 123456789 > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo 0x1 > /proc/irq/$IRQ/smp_affinity', WRITE_EINVAL, 1),
  c('ep', 'echo 0,0 > /proc/irq/$IRQ/smp_affinity', WRITE_EOVERFLOW, 1),
  c('ep', 'echo > /proc/irq/$IRQ/smp_affinity', WRITE_EINVAL, 1),
  c('ep', 'echo 1 > /proc/irq/9999/smp_affinity', 'bash: /proc/irq/9999/smp_affinity: No such file or directory\n', 1),
  c('ep', 'echo 1 > /proc/interrupts', 'bash: echo: write error: Input/output error\n', 1),
  c('ep', 'echo 1 >', "bash: syntax error near unexpected token `newline'\n", 2),
  c('ep', 'echo "1 > /proc/irq/$IRQ/smp_affinity', 'bash: unexpected EOF while looking for matching `"\'\n', 2),
  c('ep', 'echo $NOPE > /proc/irq/$IRQ/smp_affinity', 'bash: NOPE: unbound variable\n', 2),
  c('ep', 'nosuchtool -x', 'bash: nosuchtool: command not found\n', 127),
  c('ep', 'echo 1ff > /sys/class/net/ntb0/queues/tx-0/xps_cpus', 'bash: echo: write error: Value too large for defined data type\n', 1),
  c('ep', 'echo 1,0 > /sys/class/net/ntb0/queues/tx-0/xps_cpus', 'bash: echo: write error: Value too large for defined data type\n', 1),
  c('ep', 'echo 0x1 > /sys/class/net/ntb0/queues/tx-1/xps_cpus', WRITE_EINVAL, 1),
  c('ep', 'echo zz > /sys/class/net/ntb0/queues/tx-0/xps_cpus', WRITE_EINVAL, 1),
  c('ep', 'echo 1 > /sys/class/net/ntb0/queues/tx-2/xps_cpus', 'bash: /sys/class/net/ntb0/queues/tx-2/xps_cpus: No such file or directory\n', 1),
  c('ep', 'echo 1 > /sys/class/net/eth9/queues/tx-0/xps_cpus', 'bash: /sys/class/net/eth9/queues/tx-0/xps_cpus: No such file or directory\n', 1),
  c('ep', 'cat /sys/class/net/ntb0/queues/tx-2/xps_cpus', 'cat: /sys/class/net/ntb0/queues/tx-2/xps_cpus: No such file or directory\n', 1),
  // store_rps_map: the same bitmap_parse as xps_cpus; a queue not in use has no file.
  c('ep', 'echo 1ff > /sys/class/net/ntb0/queues/rx-0/rps_cpus', 'bash: echo: write error: Value too large for defined data type\n', 1),
  c('ep', 'echo zz > /sys/class/net/ntb0/queues/rx-1/rps_cpus', WRITE_EINVAL, 1),
  c('ep', 'echo 1 > /sys/class/net/ntb0/queues/rx-2/rps_cpus', 'bash: /sys/class/net/ntb0/queues/rx-2/rps_cpus: No such file or directory\n', 1),
  c('ep', 'cat /sys/class/net/ntb0/queues/rx-2/rps_cpus', 'cat: /sys/class/net/ntb0/queues/rx-2/rps_cpus: No such file or directory\n', 1),
  c('ep', 'cat /sys/class/net/ntb0/queues/rx-0/xps_cpus', 'cat: /sys/class/net/ntb0/queues/rx-0/xps_cpus: No such file or directory\n', 1),
  // store_rps_dev_flow_table_cnt: kstrtoul, at most 2^32 entries, and a table the board's memory holds.
  c('ep', 'echo zz > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt', WRITE_EINVAL, 1),
  c('ep', 'echo 0x100000001 > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt', WRITE_EINVAL, 1),
  c('ep', 'echo 99999999999999999999 > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt', 'bash: echo: write error: Numerical result out of range\n', 1),
  c('ep', 'echo 1000000000 > /sys/class/net/ntb0/queues/rx-1/rps_flow_cnt', 'bash: echo: write error: Cannot allocate memory\n', 1),
  c('ep', 'echo 8 > /sys/class/net/ntb0/queues/rx-2/rps_flow_cnt', 'bash: /sys/class/net/ntb0/queues/rx-2/rps_flow_cnt: No such file or directory\n', 1),
  c('ep', 'sysctl -w net.core.rps_sock_flow_entries=536870913', 'sysctl: setting key "net.core.rps_sock_flow_entries": Invalid argument\n', 255),
  first('ep', 'sudo -x ip link set ntb0 down', "sudo: invalid option -- 'x'", 1),
  first('ep', 'sudo --bogus ip link set ntb0 down', "sudo: unrecognized option '--bogus'", 1),
  c('ep', 'sudo -s', 'sudo: the lab does not model -s (it runs each command as root, in the foreground)\n', 1),
  first('ep', 'sudo', 'usage: sudo -h | -K | -k | -V', 1),
  first('ep', 'sudo -E', 'usage: sudo -h | -K | -k | -V', 1),
  first('ep', 'sudo sudo', 'usage: sudo -h | -K | -k | -V', 1),
];

const PKILL_TRY = "Try `pkill --help' for more information.\n";

/** The RC runs `iperf3 -s -D` and `sockperf sr`, the EP neither. */
const KILL: Case[] = [
  first('ep', 'killall', 'Usage: killall [OPTION]... [--] NAME...', 1),
  first('ep', 'killall -q', 'Usage: killall [OPTION]... [--] NAME...', 1),
  first('ep', 'killall -z iperf3', 'Usage: killall [OPTION]... [--] NAME...', 1),
  c('ep', 'killall iperf3', 'iperf3: no process found\n', 1),
  c('ep', 'killall iperf3 sockperf', 'iperf3: no process found\nsockperf: no process found\n', 1),
  c('ep', 'killall -q iperf3', '', 1),
  c('rc', 'killall iperf', 'iperf: no process found\n', 1),
  c('rc', 'killall -s FOO iperf3', 'FOO: unknown signal; killall -l lists signals.\n', 1),
  c('rc', 'killall -FOO iperf3', 'FOO: unknown signal; killall -l lists signals.\n', 1),
  c('rc', 'killall sockperf', 'killall: the lab cannot signal sockperf (its servers keep running)\n', 1),
  c('rc', 'killall -STOP iperf3', 'killall: the lab does not model signal 19 (it would stop the process or fail), only signals that end it or that it ignores\n', 1),
  c('rc', 'killall -u root iperf3', 'killall: the lab does not model -u (it has no PIDs, users or process ages to go by)\n', 1),
  c('rc', 'killall /usr/bin/iperf3', "killall: the lab does not model matching by executable path ('/usr/bin/iperf3'): name the process\n", 1),
  c('ep', 'pkill', `pkill: no matching criteria specified\n${PKILL_TRY}`, 2),
  c('ep', 'pkill -9', `pkill: no matching criteria specified\n${PKILL_TRY}`, 2),
  c('ep', 'pkill iperf3 sockperf', `pkill: only one pattern can be provided\n${PKILL_TRY}`, 2),
  c('ep', 'pkill iperf3', '', 1),
  c('rc', 'pkill -x iperf', '', 1),
  c('rc', 'pkill perf', 'pkill: the lab cannot signal sockperf (its servers keep running)\n', 1),
  c('rc', 'pkill -e iperf3', 'pkill: the lab does not model -e: it takes -SIGNAL, --signal SIGNAL, -c, -i and -x\n', 2),
];

const SOCKPERF: Case[] = [
  c('ep', 'sockperf', 'sockperf: ERROR: no subcommand; the lab supports: server, ping-pong, throughput\n', 1),
  c('ep', 'sockperf bogus', "sockperf: ERROR: unknown or unsupported subcommand 'bogus'; the lab supports: server, ping-pong, throughput\n", 1),
  c('ep', 'sockperf pp', 'sockperf: ERROR: -i <ip> is required\n', 1),
  c('ep', 'sockperf pp -i nosuchhost', "sockperf: ERROR: bad address 'nosuchhost'\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 -p 0', "sockperf: ERROR: --port must be an integer in [1, 65535] (got '0')\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 -m 10', "sockperf: ERROR: --msg-size must be an integer in [14, 65507] (got '10')\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 -m 70000', "sockperf: ERROR: --msg-size must be an integer in [14, 65507] (got '70000')\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 -t 0', "sockperf: ERROR: --time must be an integer in [1, 36000000] (got '0')\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 --mps=0', "sockperf: ERROR: --mps must be a positive integer or max (got '0')\n", 1),
  c('ep', 'sockperf pp -i 10.0.0.1 --bogus', "sockperf: ERROR: unknown or unsupported option '--bogus'\n", 1),
  c('rc', 'sockperf sr', 'sockperf: ERROR: bind failed: Address already in use\n', 1, { stdout: 'sockperf: == version #3.10-no.git ==\n' }),
];

const TC_UNMODELLED = (kind: string): string => `tc: the lab models the fq_codel, pfifo_fast and mq qdiscs, at a device's root or an mq class: the ${kind} qdisc is not supported\n`;
const TC_EPERM = 'RTNETLINK answers: Operation not permitted\n';

/** tc's refusals of qdiscs the lab does not model, the kernel's of a change without root, and tc's own errors (tc.test.ts has the rest). */
const TC: Case[] = [
  c('ep', 'tc qdisc add dev ntb0 root fq', TC_UNMODELLED('fq'), 2),
  c('ep', 'tc qdisc del dev ntb0 root', TC_EPERM, 2),
  c('rc', 'tc qdisc replace dev ntb0 root pfifo limit 10', TC_UNMODELLED('pfifo'), 2),
  c('ep', 'tc qdisc change dev ntb0 root mq', TC_EPERM, 2),
  c('ep', 'sudo tc qdisc del dev ntb0 root', 'Error: Cannot delete qdisc with handle of zero.\n', 2),
  c('ep', 'tc filter add dev ntb0 parent 1: u32 match ip dst 10.0.0.1 flowid 1:1', 'tc: the lab has qdiscs and their classes only (tc qdisc, tc class): tc filter is not supported\n', 1),
  c('ep', 'sudo tc class del dev ntb0 classid :1', 'RTNETLINK answers: No such file or directory\n', 2),
  c('rc', 'tc class add dev ntb0 parent 1: classid 1:10 htb rate 10mbit', "tc: the lab's qdiscs are mq and fq_codel, and its tc does not parse htb's class options: tc class add … htb is not supported\n", 2),
  c('ep', 'tc -batch /tmp/qdiscs.tc', 'tc: the lab does not support -batch: the boards have no command files (give each tc command on its own line)\n', 1),
  c('ep', 'tc qdisc show dev ntb9', 'Cannot find device "ntb9"\n', 1),
  c('ep', 'tc -x qdisc', 'Option "-x" is unknown, try "tc -help".\n', 255),
];

/** What a rejected command must leave untouched on one board. */
function boardState(b: Board): unknown {
  const nd = b.netdev();
  const dev = nd?.ndev;
  const stack = b.stack;
  return {
    netdev:
      dev === undefined
        ? null
        : {
            mtu: dev.mtu,
            qlen: dev.txqueuelen,
            up: dev.isUp,
            carrier: dev.netifCarrierOk(),
            txq: dev.realNumTxQueues,
            rxq: dev.realNumRxQueues,
            queues: nd?.queues.length,
            xps: Array.from({ length: dev.realNumTxQueues }, (_, q) => dev.txQueue(q).xpsCpus),
            rps: Array.from({ length: dev.realNumRxQueues }, (_, q) => [dev.rpsCpus(q), dev.rpsFlowCnt(q)]),
            stats: { ...dev.stats },
            features: { active: dev.features, wanted: dev.wantedFeatures },
          },
    interrupts: procInterrupts(b),
    affinity: [...b.host.irqs.values()].map((irq) => [irq.num, irq.affinity]),
    tcpListeners: [...stack.socketTables().tcpListeners.keys()],
    tcpConns: [...stack.socketTables().tcpConns.keys()],
    tcpPorts: [...stack.socketTables().tcpPorts.entries()],
    udpSocks: [...stack.socketTables().udp.keys()],
    pingSocks: [...stack.socketTables().ping.keys()],
    snmp: JSON.stringify(stack.snmp),
    sysctl: { ...stack.sysctl },
  };
}

function labState(lab: Lab): unknown {
  return { now: lab.sim.now, rc: boardState(lab.boards.rc), ep: boardState(lab.boards.ep) };
}

describe('bad input to the lab tools', () => {
  let lab: Lab;
  const vars = new Map<BoardName, Map<string, string>>();
  const sh = (board: BoardName, line: string): CommandResult => runLine(line, { lab, board: lab.boards[board], vars: vars.get(board) ?? new Map<string, string>() }, labCommands());

  beforeAll(() => {
    lab = bootLab({ seed: 7, vntb: { mwSizes: [1 << 20, 1 << 20] }, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    for (const b of ['rc', 'ep'] as const) {
      const irq = [...lab.boards[b].host.irqs.keys()][0];
      vars.set(b, new Map([...defaultVars(lab, lab.boards[b]), ['IRQ', String(irq)]]));
    }
    // Servers listening, a ping socket used, two queues and some traffic, so there is state to keep.
    const setup: [BoardName, string][] = [
      ['rc', 'iperf3 -s -D'],
      ['rc', 'sockperf sr'],
      ['ep', 'ping -c 1 -q 10.0.0.1'],
      ['ep', 'ethtool -L ntb0 combined 2'],
      ['ep', 'sleep 0.1'],
    ];
    for (const [board, line] of setup) {
      const r = sh(board, line);
      if (r.status !== 0) throw new Error(`setup '${line}' failed: ${r.stderr}`);
    }
  });

  const all: [string, Case[]][] = [
    ['iperf3', IPERF3],
    ['ping', PING],
    ['ethtool', ETHTOOL],
    ['ip', IP],
    ['sleep, top, modprobe, rmmod, sysctl, cat, echo, the shell', SYSTEM],
    ['sockperf', SOCKPERF],
    ['killall, pkill', KILL],
    ['tc', TC],
  ];
  describe.each(all)('%s', (_tool, cases) => {
    it.each(cases.map((k) => [`${k.board}$ ${k.line}`, k] as const))('%s', (_name, k) => {
      const before = labState(lab);
      const r = sh(k.board, k.line);
      const stderr = k.firstLine === true ? (r.stderr.split('\n')[0] ?? '') : r.stderr;
      const stdout = k.stdout === undefined ? r.stdout : r.stdout.includes(k.stdout);
      expect({ stderr, status: r.status, stdout }).toEqual({ stderr: k.stderr, status: k.status, stdout: k.stdout === undefined ? '' : true });
      expect(labState(lab)).toEqual(before);
    });
  });

  it('the fault command rejects a missing or unknown fault with status 2 and changes nothing', () => {
    for (const line of ['fault', 'fault bogus']) {
      const before = labState(lab);
      const r = sh('ep', line);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^fault: /);
      expect(labState(lab)).toEqual(before);
    }
  });

  it('the state snapshot sees what a command changes (the checks above can fail)', () => {
    const before = labState(lab);
    expect(sh('ep', 'ethtool -L ntb0 combined 1').status).toBe(0);
    expect(labState(lab)).not.toEqual(before);
    const mid = labState(lab);
    expect(sh('ep', 'sleep 0.001').status).toBe(0);
    expect(labState(lab)).not.toEqual(mid);
    expect(sh('ep', 'ethtool -L ntb0 combined 2').status).toBe(0);
    const xps = labState(lab);
    expect(sh('ep', 'echo 2 > /sys/class/net/ntb0/queues/tx-1/xps_cpus').status).toBe(0);
    expect(labState(lab)).not.toEqual(xps);
    expect(sh('ep', 'echo 0 > /sys/class/net/ntb0/queues/tx-1/xps_cpus').status).toBe(0);
    const rps = labState(lab);
    expect(sh('ep', 'echo c > /sys/class/net/ntb0/queues/rx-1/rps_cpus').status).toBe(0);
    expect(labState(lab)).not.toEqual(rps);
    expect(sh('ep', 'echo 0 > /sys/class/net/ntb0/queues/rx-1/rps_cpus').status).toBe(0);
    const rfs = labState(lab);
    expect(sh('ep', 'echo 100 > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt').status).toBe(0);
    expect(sh('ep', 'cat /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt').stdout).toBe('128\n');
    expect(labState(lab)).not.toEqual(rfs);
    expect(sh('ep', 'echo 0 > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt').status).toBe(0);
  });

  it('a lab script stops at a rejected line and reports file:line, leaving the lab as it was', () => {
    const before = labState(lab);
    const out = runScript(lab, '# bad channels\nep$ ethtool -L ntb0 combined 99\nep$ sleep 1\n', { name: 'bad.lab', commands: labCommands() });
    expect(out.error).toBe("bad.lab:2: 'ethtool -L ntb0 combined 99' failed with status 1: netlink error: requested channel count exceeds maximum (offset 36)");
    expect(out.status).toBe(1);
    expect(out.steps).toHaveLength(1);
    const malformed = runScript(lab, 'ethtool -l ntb0\nep$ sleep 1\n', { name: 'm.lab', commands: labCommands() });
    const why = "m.lab:1: expected a line starting with 'rc$' or 'ep$', got 'ethtool -l ntb0'";
    expect(malformed).toEqual({ steps: [], status: 2, error: why, errors: [why] });
    expect(labState(lab)).toEqual(before);
  });

  it('modprobe ntb_netdev with a bad parameter: a no-op while loaded (modprobe does not insert it again); once unloaded, Invalid argument and nothing loaded', () => {
    const l = bootLab({ seed: 8, vntb: { mwSizes: [1 << 20, 1 << 20] } });
    const env = (b: BoardName): { lab: Lab; board: Board; vars: Map<string, string> } => ({ lab: l, board: l.boards[b], vars: defaultVars(l, l.boards[b]) });
    const run = (line: string): CommandResult => runLine(line, env('ep'), labCommands());
    expect(run('modprobe ntb_netdev ntb_num_queues=0')).toMatchObject({ status: 0, stderr: '' });
    expect(l.boards.ep.netdev()?.queues.length).toBe(1);
    expect(run('rmmod ntb_netdev').status).toBe(0);
    expect(run('modprobe ntb_netdev ntb_num_queues=0')).toMatchObject({ status: 1, stderr: "modprobe: ERROR: could not insert 'ntb_netdev': Invalid argument\n" });
    expect(l.boards.ep.netdev()).toBeNull();
    expect(run('modprobe ntb_netdev ntb_num_queues=2').status).toBe(0);
    expect(l.boards.ep.netdev()?.queues.length).toBe(2);
  });

  it('modprobe ntb_transport takes its parameters over the boot ones: a no-op while loaded, unknown ones logged, a bad value refuses the load and loads nothing', () => {
    const l = bootLab({ seed: 8, params: { transport: { txMemcpyOffload: true }, netdev: {} } });
    const run = (line: string): CommandResult => labSh(l, 'ep', line);
    expect(run('modprobe ntb_transport use_rx_dma=1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(l.boards.ep.transport()?.params.useRxDma).toBe(false);
    expect(run('rmmod ntb_netdev ntb_transport').status).toBe(0);
    expect(run('modprobe ntb_transport num_rx_dma_chan=two')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_transport': Invalid argument\n", status: 1 });
    // parse_args' pr_err is in the kernel log, not on the terminal.
    expect(run('dmesg').stdout).toMatch(/\] ntb_transport: 'two' invalid for parameter 'num_rx_dma_chan'\n$/);
    expect(l.boards.ep.transportLoaded()).toBe(false);
    const ok = run('modprobe ntb_transport use_rx_dma=1 num_rx_dma_chan=2 use_intr=1');
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/^\[ *\d+\.\d{6}\] ntb_transport: unknown parameter 'use_intr' ignored\n$/);
    expect(l.boards.ep.transport()?.params).toMatchObject({ useRxDma: true, numRxDmaChan: 2, txMemcpyOffload: true });
  });

  it('ip route: the connected route while ntb0 is up (linkdown without carrier), nothing when it is down; bad selectors rejected', () => {
    const l = bootLab({ seed: 11 });
    const run = (b: BoardName, line: string): CommandResult => labSh(l, b, line);
    expect(run('rc', 'ip route')).toEqual({ stdout: '10.0.0.0/24 dev ntb0 proto kernel scope link src 10.0.0.1 \n', stderr: '', status: 0 });
    expect(run('ep', 'ip route show dev ntb0').stdout).toBe('10.0.0.0/24 proto kernel scope link src 10.0.0.2 \n');
    expect(run('ep', 'ip route show dev eth9')).toEqual({ stdout: '', stderr: 'Device "eth9" does not exist.\n', status: 1 });
    expect(run('ep', 'ip route show foo')).toEqual({ stdout: '', stderr: 'Error: any valid prefix is expected rather than "foo".\n', status: 255 });
    expect(run('ep', 'ip route add 10.1.0.0/16 dev ntb0')).toEqual({ stdout: '', stderr: 'RTNETLINK answers: Operation not supported\n', status: 2 });
    expect(run('ep', 'fault link down').status).toBe(0);
    expect(run('ep', 'sleep 0.1').status).toBe(0);
    expect(run('ep', 'ip route').stdout).toBe('10.0.0.0/24 dev ntb0 proto kernel scope link src 10.0.0.2 linkdown \n');
    expect(run('ep', 'ip link set ntb0 down').status).toBe(0);
    expect(run('ep', 'ip route').stdout).toBe('');
  });

  it('ip route get: the route the kernel picks (local ones through lo, <local>), the uid of the user or root; no route is ENETUNREACH; ip link set refuses what it does not model, changing nothing', () => {
    const l = bootLab({ seed: 11 });
    const run = (line: string): CommandResult => labSh(l, 'ep', line);
    expect(run('ip route get 10.0.0.1')).toEqual({ stdout: '10.0.0.1 dev ntb0 src 10.0.0.2 uid 1000 \n    cache \n', stderr: '', status: 0 });
    expect(run('sudo ip r g to 10.0.0.2')).toEqual({ stdout: 'local 10.0.0.2 dev lo src 10.0.0.2 uid 0 \n    cache <local> \n', stderr: '', status: 0 });
    expect(run('ip route get 127.0.0.5').stdout).toBe('local 127.0.0.5 dev lo src 127.0.0.1 uid 1000 \n    cache <local> \n');
    expect(run('ip route get 8.8.8.8')).toEqual({ stdout: '', stderr: 'RTNETLINK answers: Network is unreachable\n', status: 2 });
    expect(run('ip route get x')).toEqual({ stdout: '', stderr: 'Error: inet prefix is expected rather than "x".\n', status: 1 });
    expect(run('ip route get')).toEqual({ stdout: '', stderr: 'need at least a destination address\n', status: 255 });
    expect(run('ip link set ntb0 down').status).toBe(0);
    expect(run('ip route get 10.0.0.1')).toMatchObject({ stderr: 'RTNETLINK answers: Network is unreachable\n', status: 2 });
    expect(run('ip link set ntb0 up').status).toBe(0);
    const mtu = l.boards.ep.netdev()?.ndev.mtu;
    for (const w of ['address 02:00:00:00:00:01', 'allmulticast on', 'name eth9']) {
      expect(run(`ip link set ntb0 mtu 9000 promisc on ${w}`)).toEqual({ stdout: '', stderr: `ip: the lab's ip link set sets up, down, mtu, txqueuelen and promisc only, not '${w.split(' ')[0] ?? ''}' (nothing was changed)\n`, status: 2 });
      expect(l.boards.ep.netdev()?.ndev.promiscFlag).toBe(false);
    }
    expect(l.boards.ep.netdev()?.ndev.mtu).toBe(mtu);
  });

  it('ntb_perf in the lab: bad module parameters refuse the load with the kernel errno; its debugfs refuses bad writes without starting anything; a write to run blocks until the peer is there', () => {
    const l = bootLab({ seed: 9 });
    const run = (b: BoardName, line: string): CommandResult => labSh(l, b, line);
    const dir = '/sys/kernel/debug/ntb_perf/0000:10:00.0';
    expect(run('ep', 'rmmod ntb_perf')).toEqual({ stdout: '', stderr: 'rmmod: ERROR: Module ntb_perf is not currently loaded\n', status: 1 });
    // While ntb_transport holds the device, ntb_perf loads but binds nothing (an empty debugfs directory).
    expect(run('ep', 'modprobe ntb_perf').status).toBe(0);
    expect(run('ep', 'ls /sys/kernel/debug/ntb_perf')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(run('ep', 'rmmod ntb_perf').status).toBe(0);
    expect(run('ep', 'ls /sys/kernel/debug/ntb_perf').status).toBe(2);
    for (const b of ['ep', 'rc'] as const) expect(run(b, 'rmmod ntb_netdev ntb_transport').status).toBe(0);
    expect(run('ep', 'modprobe ntb_perf chunk_order=256')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_perf': Numerical result out of range\n", status: 1 });
    expect(run('ep', 'modprobe ntb_perf use_dma=maybe')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_perf': Invalid argument\n", status: 1 });
    expect(l.boards.ep.perfModule()).toBeNull();
    const warn = run('ep', 'modprobe ntb_perf total_order=20 seg_order=3');
    expect(warn.status).toBe(0);
    expect(warn.stderr).toMatch(/^\[ *\d+\.\d{6}\] ntb_perf: unknown parameter 'seg_order' ignored\n$/);
    expect(run('ep', `cat ${dir}/total_order ${dir}/chunk_order ${dir}/use_dma ${dir}/threads_count`).stdout).toBe('20\n19\nN\n1\n');
    const t0 = l.sim.now;
    const bad: [string, string][] = [
      [`echo 5 > ${dir}/chunk_order`, 'Permission denied'],
      [`echo 1 > ${dir}/use_dma`, 'Invalid argument'],
      [`echo x > ${dir}/info`, 'Invalid argument'],
      [`echo 0 > ${dir}/threads_count`, 'Invalid argument'],
      [`echo 33 > ${dir}/threads_count`, 'Invalid argument'],
      [`echo 300 > ${dir}/threads_count`, 'Numerical result out of range'],
      [`echo -1 > ${dir}/threads_count`, 'Invalid argument'],
      [`echo abc > ${dir}/run`, 'Invalid argument'],
      [`echo 1 > ${dir}/run`, 'Invalid argument'],
    ];
    for (const [line, why] of bad) expect(run('ep', line)).toEqual({ stdout: '', stderr: `bash: echo: write error: ${why}\n`, status: 1 });
    expect(l.sim.now).toBe(t0);
    expect(run('ep', `cat ${dir}/threads_count ${dir}/run`).stdout).toBe('1\n    Peer 0 test statistics:\n');
    // The RC has no ntb_perf: the handshake never completes and the write blocks until the lab interrupts it.
    const blocked = run('ep', `echo 0 > ${dir}/run`);
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toBe(`ntb-bench: echo 0 > ${dir}/run still had not returned 600 s (virtual) after it started: peer 0's handshake had not completed (link down); interrupted, as Ctrl-C would (the real write would still be blocked)\n`);
    expect(l.boards.ep.perf()?.running).toBe(false);
    expect(run('rc', 'modprobe ntb_perf total_order=20').status).toBe(0);
    expect(run('ep', `echo 0x0 > ${dir}/run`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(run('ep', `cat ${dir}/run`).stdout).toMatch(/^ {4}Peer 0 test statistics:\n0: copied 1048576 bytes in \d+ usecs, \d+ MBytes\/s\n$/);
  });
});
