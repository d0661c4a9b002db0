/**
 * The lab's command table: every userland tool a script or the interactive shell can run.
 */
import { fault } from './faults/inject.js';
import { ethtool } from './tools/ethtool.js';
import { iperf3 } from './tools/iperf3/index.js';
import { jobs, wait } from './tools/jobs.js';
import { kill, killall, pkill } from './tools/kill.js';
import { mpstat } from './tools/mpstat.js';
import { nstat } from './tools/nstat.js';
import { ping } from './tools/ping/command.js';
import { cat, echoRedirect, ls } from './tools/proc.js';
import { cd, mkdir, pwd, rm } from './tools/files.js';
import { sockperf } from './tools/sockperf.js';
import { ss } from './tools/ss.js';
import { dmesg, ip, modprobe, rmmod, sleep, sysctl, top } from './tools/system.js';
import { tc } from './tools/tc/command.js';
import { tcpdump } from './tools/tcpdump/command.js';
import { uname } from './tools/uname.js';
import { nproc } from './tools/nproc.js';
import type { Command } from './types.js';

/** Built-in commands by name; `>` is the redirection writer used by `echo … > FILE`. */
export function labCommands(extra: Readonly<Record<string, Command>> = {}): Map<string, Command> {
  return new Map<string, Command>([
    ['cat', cat],
    ['ls', ls],
    ['cd', cd],
    ['pwd', pwd],
    ['rm', rm],
    ['mkdir', mkdir],
    ['>', echoRedirect],
    ['ip', ip],
    ['sleep', sleep],
    ['top', top],
    ['mpstat', mpstat],
    ['uname', uname],
    ['nproc', nproc],
    ['modprobe', modprobe],
    ['rmmod', rmmod],
    ['sysctl', sysctl],
    ['dmesg', dmesg],
    ['ethtool', ethtool],
    ['iperf3', iperf3],
    ['ping', ping],
    ['nstat', nstat],
    ['sockperf', sockperf],
    ['ss', ss],
    ['tc', tc],
    ['tcpdump', tcpdump],
    ['kill', kill],
    ['killall', killall],
    ['pkill', pkill],
    ['fault', fault],
    ['wait', wait],
    ['jobs', jobs],
    ...Object.entries(extra),
  ]);
}
