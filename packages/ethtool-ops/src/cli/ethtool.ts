/**
 * The `ethtool` command as a pure function (ethtool.c main, find_option, show_usage and
 * netlink/netlink.c netlink_run_handler), for the subcommands the model implements: `DEV`
 * (settings), `-a`, `-c`, `-C`, `-g`, `-G`, `-k`, `-K`, `-i`, `-d`, `-e`, `-S`, `-T`, `-x`, `-P`,
 * `-l`, `-L`, `-h`, `--version` and `--monitor`. Another option of ethtool 6.1 is refused as not
 * implemented by the model (exit 1), and so are the netlink standard statistics
 * (`-S DEV --all-groups | --groups …`); anything else is an unknown option ("bad command line
 * argument(s)", exit 1), as for the real tool. The flags `-I` and `--json` are ethtool 6.1's: `-I`
 * changes nothing for these subcommands, and `--json` is a bad command line for all of them but
 * `-a`, `-k` and `-S` (whose JSON output is the standard statistics'). Output and exit codes
 * follow ethtool 6.1.
 */
import { doGfeatures, doSfeatures, nlGfeatures, nlSfeatures } from './features.js';
import {
  doGchannels,
  doGcoalesce,
  doGdrv,
  doGeeprom,
  doGpause,
  doGregs,
  doGring,
  doGrxclass,
  doGrxfh,
  doGset,
  doGstats,
  doPermaddr,
  doSchannels,
  doScoalesce,
  doSring,
  doTsinfo,
} from './ioctlCmds.js';
import { monitorUsage, nlMonitor } from './monitor.js';
import {
  nlGchannels,
  nlGcoalesce,
  nlGpause,
  nlGring,
  nlGset,
  nlGstats,
  nlPermaddr,
  nlSchannels,
  nlScoalesce,
  nlSring,
  nlTsinfo,
  COALESCE_PARAMS,
  utf8Length,
  WILDCARD_DEVNAME,
  type Cmd,
} from './netlinkCmds.js';
import { ETHTOOL_VERSION, Output } from './output.js';
import { strtoul } from './strtol.js';
import type { EthtoolEnv, EthtoolMonitor, EthtoolResult } from '../types.js';

export { ETHTOOL_VERSION } from './output.js';

/** One entry of ethtool.c's args[] table. */
interface OptionDef {
  readonly opts: string;
  readonly func: (c: Cmd) => number;
  readonly nlfunc?: (c: Cmd) => number;
  /** nlchk: false sends the request over ioctl ("ioctl-only request"). */
  readonly nlchk?: (c: Cmd) => boolean;
  readonly noDev?: true;
  readonly json?: true;
  readonly help: string;
  readonly xhelp?: string;
}

/**
 * Options ethtool 6.1's args[] table has and the model does not implement: refused as such
 * (exit 1) rather than as a bad command line, which would say the real tool lacks them.
 */
const UNMODELLED: ReadonlySet<string> = new Set(
  [
    '-s|--change', '-A|--pause', '-E|--change-eeprom', '-r|--negotiate', '-p|--identify', '-t|--test', '--phy-statistics',
    '-N|-U|--config-nfc|--config-ntuple', '-X|--set-rxfh-indir|--rxfh', '-f|--flash',
    '--show-priv-flags', '--set-priv-flags', '-w|--get-dump', '-W|--set-dump', '-m|--dump-module-eeprom|--module-info',
    '--show-eee', '--set-eee', '--set-phy-tunable', '--get-phy-tunable', '--get-tunable', '--set-tunable', '--reset',
    '--show-fec', '--set-fec', '-Q|--per-queue', '--cable-test', '--cable-test-tdr', '--show-tunnels', '--show-module',
    '--set-module', '--show-pse', '--set-pse',
  ].flatMap((o) => o.split('|')),
);

const xhelp = (...lines: string[]): string => lines.map((l) => `${l}\n`).join('');

/** ethtool 6.1's args[], the entries the model implements, in its order. */
const ARGS: readonly OptionDef[] = [
  { opts: '', func: doGset, nlfunc: nlGset, help: 'Display standard information about device' },
  { opts: '-a|--show-pause', json: true, func: doGpause, nlfunc: nlGpause, help: 'Show pause options' },
  { opts: '-c|--show-coalesce', func: doGcoalesce, nlfunc: nlGcoalesce, help: 'Show coalesce options' },
  {
    opts: '-C|--coalesce',
    func: doScoalesce,
    nlfunc: nlScoalesce,
    help: 'Set coalesce options',
    xhelp: xhelp(...COALESCE_PARAMS.map((p) => `\t\t[${p.arg} ${p.type === 'u8bool' ? 'on|off' : 'N'}]`)),
  },
  { opts: '-g|--show-ring', func: doGring, nlfunc: nlGring, help: 'Query RX/TX ring parameters' },
  {
    opts: '-G|--set-ring',
    func: doSring,
    nlfunc: nlSring,
    help: 'Set RX/TX ring parameters',
    xhelp: xhelp('\t\t[ rx N ]', '\t\t[ rx-mini N ]', '\t\t[ rx-jumbo N ]', '\t\t[ tx N ]', '\t\t[ rx-buf-len N]', '             [ cqe-size N]', '\t\t[ tx-push on|off]'),
  },
  {
    opts: '-k|--show-features|--show-offload',
    json: true,
    func: doGfeatures,
    nlfunc: nlGfeatures,
    help: 'Get state of protocol offload and other features',
  },
  {
    opts: '-K|--features|--offload',
    func: doSfeatures,
    nlfunc: nlSfeatures,
    help: 'Set protocol offload and other features',
    xhelp: xhelp('\t\tFEATURE on|off ...'),
  },
  { opts: '-i|--driver', func: doGdrv, help: 'Show driver information' },
  { opts: '-d|--register-dump', func: doGregs, help: 'Do a register dump', xhelp: xhelp('\t\t[ raw on|off ]', '\t\t[ file FILENAME ]') },
  { opts: '-e|--eeprom-dump', func: doGeeprom, help: 'Do a EEPROM dump', xhelp: xhelp('\t\t[ raw on|off ]', '\t\t[ offset N ]', '\t\t[ length N ]') },
  {
    opts: '-S|--statistics',
    json: true,
    func: doGstats,
    // nl_gstats_chk: netlink only when arguments (standard statistics groups) follow DEVNAME.
    nlchk: (c) => c.args.length > 0,
    nlfunc: nlGstats,
    help: 'Show adapter statistics',
    xhelp: '               [ --all-groups | --groups [eth-phy] [eth-mac] [eth-ctrl] [rmon] ]\n',
  },
  {
    opts: '-n|-u|--show-nfc|--show-ntuple',
    func: doGrxclass,
    help: 'Show Rx network flow classification options or rules',
    xhelp: xhelp('\t\t[ rx-flow-hash tcp4|udp4|ah4|esp4|sctp4|tcp6|udp6|ah6|esp6|sctp6 [context %d] |', '\t\t  rule %d ]'),
  },
  { opts: '-T|--show-time-stamping', func: doTsinfo, nlfunc: nlTsinfo, help: 'Show time stamping capabilities' },
  {
    opts: '-x|--show-rxfh-indir|--show-rxfh',
    func: doGrxfh,
    help: 'Show Rx flow hash indirection table and/or RSS hash key',
    xhelp: xhelp('\t\t[ context %d ]'),
  },
  { opts: '-P|--show-permaddr', func: doPermaddr, nlfunc: nlPermaddr, help: 'Show permanent hardware address' },
  { opts: '-l|--show-channels', func: doGchannels, nlfunc: nlGchannels, help: 'Query Channels' },
  {
    opts: '-L|--set-channels',
    func: doSchannels,
    nlfunc: nlSchannels,
    help: 'Set Channels',
    xhelp: '               [ rx N ]\n               [ tx N ]\n               [ other N ]\n               [ combined N ]\n',
  },
  { opts: '-h|--help', noDev: true, func: (c) => showUsage(c.out), help: 'Show this help' },
  {
    opts: '--version',
    noDev: true,
    func: (c) => {
      c.out.out(`ethtool version ${ETHTOOL_VERSION}\n`);
      return 0;
    },
    help: 'Show version number',
  },
];

/** show_usage: `ethtool -h`, listing the subcommands the model implements. */
function showUsage(out: Output): number {
  out.out(`ethtool version ${ETHTOOL_VERSION}\nUsage:\n`);
  for (const a of ARGS) {
    out.out(`        ethtool [ FLAGS ] ${a.opts} ${a.noDev === true ? '\t' : 'DEVNAME'}\t${a.help}\n`);
    if (a.xhelp !== undefined) out.out(a.xhelp);
  }
  out.out(monitorUsage());
  out.out('\nFLAGS:\n');
  out.out('\t--debug MASK\tturn on debugging messages\n');
  out.out('\t--json\t\tenable JSON output format (not supported by all commands)\n');
  out.out('\t-I|--include-statistics\t\trequest device statistics related to the command (not supported by all commands)\n');
  return 0;
}

/** find_option: index of the args[] entry (past the default one) whose '|'-separated names include `arg`. */
function findOption(arg: string): number {
  for (let k = 1; k < ARGS.length; k++) {
    if (ARGS[k]?.opts.split('|').includes(arg) === true) return k;
  }
  return -1;
}

const ALTIFNAMSIZ = 128;
const IFNAMSIZ = 16;

/** netlink_run_handler: the netlink handler's exit code, or 'fallback' to run the ioctl one. */
function netlinkRunHandler(opt: OptionDef, c: Cmd, devname: string | undefined): number | 'fallback' {
  let reason: string;
  if (opt.nlchk?.(c) === false) {
    reason = 'ioctl-only request';
  } else if (devname !== undefined && utf8Length(devname) >= ALTIFNAMSIZ) {
    c.out.err(`device name '${devname}' longer than ${ALTIFNAMSIZ - 1} characters\n`);
    return 1;
  } else if (opt.nlfunc === undefined) {
    reason = 'ethtool netlink support for subcommand missing';
  } else if (c.env.path === 'ioctl') {
    reason = 'netlink interface initialization failed';
  } else {
    const ret = opt.nlfunc(c);
    return ret >= 0 ? ret : 1;
  }
  if (devname === WILDCARD_DEVNAME) {
    c.out.err(`${reason}, wildcard dump not supported\n`);
    return 1;
  }
  if (devname !== undefined && utf8Length(devname) >= IFNAMSIZ) {
    c.out.err(`${reason}, device name longer than ${IFNAMSIZ - 1} not supported\n`);
    return 1;
  }
  return 'fallback';
}

function main(argv: readonly string[], env: EthtoolEnv, out: Output): { code: number; monitor?: EthtoolMonitor } {
  const args = [...argv];
  let json = false;
  for (;;) {
    const a = args[0];
    if (a === '--debug') {
      const mask = args[1];
      if (mask === undefined || mask === '' || strtoul(mask, 0).end !== mask.length) return { code: out.badArgs() };
      args.splice(0, 2);
    } else if (a === '--json') {
      json = true;
      args.shift();
    } else if (a === '--include-statistics' || a === '-I') {
      args.shift();
    } else {
      break;
    }
  }
  if (args[0] === '--monitor') return nlMonitor(args.slice(1), env, out);
  const first = args[0];
  if (first === undefined) return { code: out.badArgs() };
  let k = findOption(first);
  if (k > 0) args.shift();
  else if (UNMODELLED.has(first)) return { code: out.notImplemented(first) }; else if (first.startsWith('-')) return { code: out.badArgs() };
  else k = 0;
  const opt = ARGS[k];
  if (opt === undefined) return { code: out.badArgs() };
  const devname = opt.noDev === true ? undefined : args.shift();
  if (opt.noDev !== true && devname === undefined) return { code: out.badArgs() };
  if (json && opt.json !== true) return { code: out.badArgs() };
  const c: Cmd = { env, devname: devname ?? '', args, out, json };
  const nl = netlinkRunHandler(opt, c, devname);
  if (nl !== 'fallback') return { code: nl };
  if (json) return { code: out.badArgs() };
  return { code: opt.func(c) };
}

/**
 * Run `ethtool` with `argv` (the arguments after the program name) against `env`; returns what
 * it printed and its exit status. `--monitor` returns at once with "listening..." and the running
 * monitor in `result.monitor`.
 */
export function runEthtool(argv: readonly string[], env: EthtoolEnv): EthtoolResult {
  const out = new Output();
  const r = main(argv, env, out);
  const base = { stdout: out.stdout, stderr: out.stderr, exitCode: r.code };
  return r.monitor === undefined ? base : { ...base, monitor: r.monitor };
}
