/**
 * The `ethtool` command as a pure function (ethtool.c main, find_option, show_usage and
 * netlink/netlink.c netlink_run_handler), for the subcommands the model implements:
 * `DEV` (settings), `-i`, `-S`, `-l`, `-L`, `-h`, `--version` and `--monitor`. Another option of
 * ethtool 6.1 is refused as not implemented by the model (exit 1), and so are the netlink
 * standard statistics (`-S DEV --all-groups | --groups …`); anything else is an unknown option
 * ("bad command line argument(s)", exit 1), as for the real tool. The flags `-I` and `--json` are
 * ethtool 6.1's: `-I` changes nothing for these subcommands, and `--json` is a bad command line
 * for all of them but `-S` (whose JSON output is the standard statistics'). Output and exit codes
 * follow ethtool 6.1.
 */
import { doGchannels, doGdrv, doGset, doGstats, doSchannels } from './ioctlCmds.js';
import { monitorUsage, nlMonitor } from './monitor.js';
import { nlGchannels, nlGset, nlGstats, nlSchannels, utf8Length, WILDCARD_DEVNAME, type Cmd } from './netlinkCmds.js';
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
    '-s|--change', '-a|--show-pause', '-A|--pause', '-c|--show-coalesce', '-C|--coalesce', '-g|--show-ring', '-G|--set-ring',
    '-k|--show-features|--show-offload', '-K|--features|--offload', '-P|--show-permaddr', '-d|--register-dump', '-e|--eeprom-dump',
    '-E|--change-eeprom', '-r|--negotiate', '-p|--identify', '-t|--test', '--phy-statistics', '-n|-u|--show-nfc|--show-ntuple',
    '-N|-U|--config-nfc|--config-ntuple', '-T|--show-time-stamping', '-x|--show-rxfh-indir|--show-rxfh', '-X|--set-rxfh-indir|--rxfh',
    '-f|--flash', '--show-priv-flags', '--set-priv-flags', '-w|--get-dump', '-W|--set-dump', '-m|--dump-module-eeprom|--module-info',
    '--show-eee', '--set-eee', '--set-phy-tunable', '--get-phy-tunable', '--get-tunable', '--set-tunable', '--reset',
    '--show-fec', '--set-fec', '-Q|--per-queue', '--cable-test', '--cable-test-tdr', '--show-tunnels', '--show-module',
    '--set-module', '--show-pse', '--set-pse',
  ].flatMap((o) => o.split('|')),
);

const ARGS: readonly OptionDef[] = [
  { opts: '', func: doGset, nlfunc: nlGset, help: 'Display standard information about device' },
  { opts: '-i|--driver', func: doGdrv, help: 'Show driver information' },
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
  const c: Cmd = { env, devname: devname ?? '', args, out };
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
