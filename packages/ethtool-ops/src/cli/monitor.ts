/**
 * `ethtool --monitor [ --all | -l | -L | … ] [ DEVNAME | * ]` (netlink/monitor.c nl_monitor):
 * join the namespace's ethtool monitor group, print "listening...", then print each matching
 * notification as the GET reply callback would in monitor mode (a blank line, then the block).
 * The model's kernel emits ETHTOOL_MSG_CHANNELS_NTF and ETHTOOL_MSG_FEATURES_NTF; the other
 * filters are accepted and stay silent. The option table is ethtool 6.1's monitor_opts[].
 */
import { ethnlParseHeaderDev } from '../core.js';
import type { EthtoolEnv, EthtoolMonitor, EthtoolNotification } from '../types.js';
import { formatFeaturesNetlink } from './features.js';
import { formatChannelsNetlink } from './format.js';
import type { Output } from './output.js';

/** The filter of one monitor option; 'all' is every known notification. */
type MonitorCmd =
  | 'all'
  | 'LINKINFO'
  | 'LINKMODES'
  | 'WOL'
  | 'DEBUG'
  | 'FEATURES'
  | 'PRIVFLAGS'
  | 'RINGS'
  | 'CHANNELS'
  | 'COALESCE'
  | 'PAUSE'
  | 'EEE'
  | 'CABLE_TEST'
  | 'CABLE_TEST_TDR'
  | 'MODULE';

/** monitor_opts[]: option patterns ('|'-separated alternatives, "" = no option) and what they select. */
export const MONITOR_OPTS: readonly { readonly pattern: string; readonly cmd: MonitorCmd }[] = [
  { pattern: '|--all', cmd: 'all' },
  { pattern: '-s|--change', cmd: 'LINKINFO' },
  { pattern: '-s|--change', cmd: 'LINKMODES' },
  { pattern: '-s|--change', cmd: 'WOL' },
  { pattern: '-s|--change', cmd: 'DEBUG' },
  { pattern: '-k|--show-features|--show-offload|-K|--features|--offload', cmd: 'FEATURES' },
  { pattern: '--show-priv-flags|--set-priv-flags', cmd: 'PRIVFLAGS' },
  { pattern: '-g|--show-ring|-G|--set-ring', cmd: 'RINGS' },
  { pattern: '-l|--show-channels|-L|--set-channels', cmd: 'CHANNELS' },
  { pattern: '-c|--show-coalesce|-C|--coalesce', cmd: 'COALESCE' },
  { pattern: '-a|--show-pause|-A|--pause', cmd: 'PAUSE' },
  { pattern: '--show-eee|--set-eee', cmd: 'EEE' },
  { pattern: '--cable-test', cmd: 'CABLE_TEST' },
  { pattern: '--cable-test-tdr', cmd: 'CABLE_TEST_TDR' },
  { pattern: '--show-module|--set-module', cmd: 'MODULE' },
];

/**
 * nl_monitor_usage: the --monitor part of `ethtool -h`. An entry whose pattern repeats the previous
 * one (`-s|--change` selects four notifications) is listed once, as since ethtool 5.16.
 */
export function monitorUsage(): string {
  let s = '        ethtool --monitor               Show kernel notifications\n';
  s += '                ( [ --all ]';
  MONITOR_OPTS.forEach((opt, i) => {
    if (i === 0 || opt.pattern === MONITOR_OPTS[i - 1]?.pattern) return;
    s += `\n                  | ${opt.pattern.split('|').join(' | ')}`;
  });
  s += ' )\n';
  s += '                [ DEVNAME | * ]\n';
  return s;
}

function createMonitor(filter: ReadonlySet<MonitorCmd>, devname: string | undefined, env: EthtoolEnv): EthtoolMonitor {
  let pending = '';
  let closed = false;
  const lineListeners: ((line: string) => void)[] = [];
  const emit = (text: string): void => {
    pending += text;
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const line of lines) for (const l of [...lineListeners]) l(line);
  };
  const wants = (ntf: EthtoolNotification, cmd: MonitorCmd): boolean =>
    (filter.has('all') || filter.has(cmd)) && (devname === undefined || ntf.devName === devname);
  const unsubscribe =
    env.notifier?.subscribe((ntf) => {
      if (ntf.cmd === 'CHANNELS_NTF') {
        if (wants(ntf, 'CHANNELS')) emit(formatChannelsNetlink(ntf.devName, ntf.channels, true));
      } else if (wants(ntf, 'FEATURES')) {
        emit(formatFeaturesNetlink(ntf.devName, ntf.features, true));
      }
    }) ?? ((): void => undefined);
  return {
    onLine(listener) {
      lineListeners.push(listener);
      return () => {
        const i = lineListeners.indexOf(listener);
        if (i >= 0) lineListeners.splice(i, 1);
      };
    },
    read() {
      const s = pending;
      pending = '';
      return s;
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
    },
    get closed() {
      return closed;
    },
  };
}

/** nl_monitor: the exit code when it cannot start, else 0 and the running monitor. */
export function nlMonitor(args: readonly string[], env: EthtoolEnv, out: Output): { code: number; monitor?: EthtoolMonitor } {
  if (env.path === 'ioctl') {
    out.err('Netlink interface initialization failed, option --monitor not supported.\n');
    return { code: 1 };
  }
  if (env.notifier === undefined) {
    out.err("multicast group 'monitor' not found\n");
    return { code: 1 };
  }
  let i = 0;
  let opt = '';
  const first = args[0];
  if (first?.startsWith('-') === true) {
    opt = first;
    i = 1;
  }
  const filter = new Set<MonitorCmd>();
  for (const o of MONITOR_OPTS) if (o.pattern.split('|').includes(opt)) filter.add(o.cmd);
  if (filter.size === 0) {
    out.err(`monitoring for option '${args[i] ?? '(null)'}' not supported\n`);
    return { code: 1 };
  }
  const dev = args[i];
  const devname = dev !== undefined && dev !== '*' ? dev : undefined;
  if (devname !== undefined) {
    const h = ethnlParseHeaderDev(env.devices, devname);
    if (!h.ok) {
      out.err('netlink error: no device matches name (offset 24)\n');
      out.perror('netlink error', h.ret);
    }
  }
  out.out('listening...\n');
  return { code: 0, monitor: createMonitor(filter, devname, env) };
}
