#!/usr/bin/env node
/**
 * `ntb-bench`: the lab (`lab [SCRIPT]`, interactive when no script), one-shot tools
 * (`iperf3 …`, `ping …`, `ethtool …` on a default lab: client on the EP, server on the RC),
 * and `reproduce`. Global options: --profile NAME|FILE, --seed N, --functional,
 * --param module.name=value, --doorbell legacy|per-bit|rc=MODE,ep=MODE, --trace FILE.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getProfile, parseProfile, toChromeTrace, type PlatformProfile } from '@ntbsim/kernel';
import { DW_MSI_MODES, type DoorbellMode, type DwMsiMode, type EpfPortMode } from '@ntbsim/ntb-hw-epf';
import { labCommands } from './commands.js';
import { bootLab, LabError, seedMwSizes, type BoardName, type Lab, type LabOptions } from './lab/lab.js';
import { applyParam, ParamError, type ModuleParams } from './lab/params.js';
import { interactive, waitForeground } from './lab/interactive.js';
import { checkScript, defaultVars, runScript } from './lab/script.js';
import { runLine } from './lab/shell.js';
import { writeResult } from './tools/output.js';
import { oneShotServerError } from './tools/iperf3/index.js';
import { exitCode, lastJob, reap } from './tools/jobs.js';
import { formatProfileTable, profileListing } from './profile.js';
import { reportHtml } from './reproduce/report.js';
import { faultScenarios } from './faults/catalog.js';
import { faultsHtml, faultsPage, faultsText, runFaults, type FaultsReport } from './faults/matrix.js';
import { calibrate, type CalibrationTarget } from './reproduce/calibrate.js';
import { formatTable, JobError, reproduce, wrapText, type ReproduceReport } from './reproduce/reproduce.js';
import { SCENARIOS } from './reproduce/scenarios.js';
import { formatSweepTable, mergeSweeps, parseGrid, parseShard, sweep, sweepHtml, type SweepBase, type SweepResults } from './reproduce/sweep.js';
import type { Command } from './types.js';

/** Each command's usage line(s) and description, as `--help` and `COMMAND --help` print them. */
const COMMAND_HELP: Readonly<Record<string, string>> = {
  lab: `  lab [SCRIPT] [--keep-going]   run a lab script (lines 'rc$ …' / 'ep$ …'), or an interactive lab
`,
  iperf3: `  iperf3 ARGS…                  one-shot iperf3 client on the EP (a server runs on the RC, 10.0.0.1,
                                port 5201; -s is for a lab script)
`,
  ethtool: `  ethtool ARGS…                 one-shot ethtool on the EP
`,
  ping: `  ping ARGS…                    one-shot ping from the EP (the RC is 10.0.0.1)
`,
  reproduce: `  reproduce [--runs N] [--duration S] [--json PATH] [--html PATH] [--scenarios a,b] [--workers N]
                                the seeds' fixed matrix: of the global options it takes
                                --profile, --seed and --functional only (--workers 0 runs
                                the jobs in this thread)
`,
  sweep: `  sweep AXIS=V1,V2… [--runs N] [--duration S] [--shard I/N] [--out PATH] [--html PATH] [--workers N]
                                axes: queues mws doorbell ep_doorbell dw_msi affinity transport_mtu
                                use_dma use_tx_dma use_rx_dma num_tx_dma_chan num_rx_dma_chan
                                dma_channels tx_memcpy_offload hz wake_timer hrtimer_mode
                                direction protocol variant profile server_cpu congestion
                                txqueuelen qdisc mtu rps rfs, and any numeric profile parameter
                                GROUP.FIELD (memory.readUncachedMBps=39,78)
                                global --param/--doorbell/--mws/--ep-doorbell/--dw-msi/--sysctl set the base
                                configuration under the axes (an axis overrides); a failed run is kept
                                with its reason (stalled, the iperf3 error), exit status 0
`,
  merge: `  merge SHARD.json… [--out PATH] [--html PATH] [--partial]   join sweep shards from many machines
                                (every shard once, of one seed, grid and profile; --partial
                                writes an incomplete set, marked partial)
`,
  faults: `  faults [--seed N] [--only ID] [--json PATH] [--html PATH]   the fault × invariant matrix
`,
  profile: `  profile [NAME|FILE] [--table]  the built-in profiles; one as the JSON --profile FILE reads (copy
                                it to describe another board), or --table: each parameter with
                                its unit, provenance and note (no operand: the --profile given,
                                else rcar-s4)
`,
  calibrate: `  calibrate [--fit rate,sd] [--seeds N] [--duration S] [--iterations N] [--sd-seeds N]
            [--sd-iterations N] [--workers N]
                                fit memory.readUncachedMBps to the baseline TCP and UDP means
                                (bisection, --iterations × --seeds runs of each row) and
                                noise.runScaleSd to the baseline TCP run-to-run SD (5.84 Mb/s;
                                --sd-iterations scalings over --sd-seeds runs); prints both
                                values and the residuals. Defaults (3, 4 s, 7, 10, 2): 78 runs
                                of 4 s, ~1.5 min with 2 workers on this project's 2-core machines;
                                of the global options it takes --profile only
`,
};

/** The global options and their help, each starting at its `  --name`. */
const GLOBAL_OPTION_HELP: readonly (readonly [string, string])[] = [
  ['--profile', '  --profile NAME|FILE   platform profile (default rcar-s4; built-in: rcar-s4, x86-server)\n'],
  ['--seed', '  --seed N              RNG seed (default 1)\n'],
  ['--functional', '  --functional          move real payload bytes (default: timing mode, headers only)\n'],
  ['--param', '  --param MOD.NAME=VAL  module parameter (ntb_transport.*, ntb_netdev.*), repeatable\n'],
  ['--doorbell', '  --doorbell MODE       legacy | per-bit (both boards), or per board: rc=MODE,ep=MODE\n                        (a board left out keeps legacy)\n'],
  ['--mws', '  --mws N               vNTB memory windows in BAR2, 1..4 (default: one per ntb_num_queues, up to 4)\n'],
  [
    '--ep-doorbell',
    "  --ep-doorbell MODE    poll (default: the EP scans the host's doorbells every msecs_to_jiffies(5),\n                        8 ms at HZ 250, as on R-Car S4) | irq (vNTB msi_doorbell: an EP\n                        interrupt per doorbell)\n",
  ],
  [
    '--dw-msi',
    "  --dw-msi MODE         how the RC's DWC MSI controller hands the NTB vectors to CPUs: redirect\n                        (default, Linux 7.0: a vector runs on its smp_affinity CPU after an IPI\n                        from the msi SPI's) | chained (earlier kernels: all on the SPI's CPU,\n                        smp_affinity writes fail with EIO) | direct (as an ITS or APIC delivers)\n",
  ],
  ['--ntb-ports', '  --ntb-ports MODE      same (mainline: both NTB devices report port 0) | distinct (RC 0, EP 1,\n                        as port ops on the EPF drivers would; ntb_perf then needs --mws 2)\n'],
  [
    '--sysctl',
    '  --sysctl NAME=VALUE   a sysctl both boards set at boot, before ntb0 comes up (their sysctl.d),\n                        repeatable (net.core.default_qdisc=fq_codel); net.core.wmem_max and\n                        rmem_max are 1073741824 unless given\n',
  ],
  ['--trace', '  --trace FILE          write the event trace (what ran on which CPU, when) to FILE\n'],
  [
    '--trace-format',
    '  --trace-format FMT    jsonl (default: a JSON record per step) | chrome (Trace Event Format:\n                        open in ui.perfetto.dev or chrome://tracing, a track per CPU per board)\n',
  ],
];

/** The global options a command takes, when not all of them. */
const COMMAND_GLOBALS: Readonly<Record<string, readonly string[]>> = {
  reproduce: ['--profile', '--seed', '--functional'],
  sweep: GLOBAL_OPTION_HELP.map(([name]) => name).filter((n) => n !== '--trace' && n !== '--trace-format'),
  merge: [],
  faults: ['--seed'],
  profile: ['--profile'],
  calibrate: ['--profile'],
};

/** The `Global options:` section, of those `only` names when given. */
function globalHelp(only?: readonly string[]): string {
  const shown = GLOBAL_OPTION_HELP.filter(([name]) => only === undefined || only.includes(name));
  return shown.length === 0 ? 'Global options: none apply\n' : `Global options:\n${shown.map(([, text]) => text).join('')}`;
}

const GLOBAL_HELP = globalHelp();

const USAGE = `Usage: ntb-bench [global options] COMMAND [args]

Commands:
${Object.values(COMMAND_HELP).join('')}
${GLOBAL_HELP}`;

/** `ntb-bench COMMAND --help`: that command's usage, then the global options it takes. */
function commandUsage(cmd: string): string {
  return `Usage: ntb-bench [global options] ${(COMMAND_HELP[cmd] ?? '').trimStart()}\n${globalHelp(COMMAND_GLOBALS[cmd])}`;
}

/**
 * What follows a usage error, in the manner of GNU tools: the command's synopsis (a sweep's
 * axes with it) and where its whole help is, or for a global option or an unknown command the
 * pointer to the general help; the full help would bury the one line that says what was wrong.
 */
function usageHint(cmd: string | undefined): string {
  if (cmd === undefined || COMMAND_HELP[cmd] === undefined) return "Try 'ntb-bench --help' for more information.\n";
  return `Usage: ntb-bench [global options] ${(COMMAND_HELP[cmd] ?? '').trimStart()}Try 'ntb-bench ${cmd} --help' for more information.\n`;
}

interface Globals {
  profile: PlatformProfile;
  profileName: string;
  /** `--profile` was given (else the default rcar-s4). */
  profileGiven?: boolean;
  /** The global options given, in order (each once). */
  given: string[];
  profileJson?: unknown;
  seed: number;
  functional: boolean;
  params: ModuleParams;
  doorbell?: { rc?: DoorbellMode; ep?: DoorbellMode };
  mws?: number;
  epDoorbell?: 'poll' | 'irq';
  dwMsi?: DwMsiMode;
  ports?: EpfPortMode;
  trace?: string;
  /** `--trace-format`: how the trace is written. */
  traceFormat?: TraceFormat;
  /** `--sysctl NAME=VALUE`s, in the order given. */
  sysctl: Record<string, string>;
}

class UsageError extends Error {}

/** A file the bench cannot read, parse or write: reported with status 1. */
class FileError extends Error {}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
};

/** strerror of a Node fs error. */
function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  return (code === undefined ? undefined : FS_ERRORS[code]) ?? (e as Error).message;
}

/** The text of `path`, or a FileError naming `what` and why it cannot be read. */
function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FileError(`${what} '${path}': ${fsReason(e)}`);
  }
}

/** The JSON value in `path`, or a FileError naming `what`, the file and the parse error. */
function readJson(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new FileError(`${what} '${path}': invalid JSON: ${(e as Error).message}`);
  }
}

/** Fail now, before any run, when `path` cannot be created: its directory must exist. */
function checkWritable(path: string, what: string): void {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new FileError(`${what} '${path}': ${fsReason(e)}`);
  }
  if (!isDir) throw new FileError(`${what} '${path}': ${FS_ERRORS['ENOTDIR'] ?? 'Not a directory'}`);
}

/** The global options' names (they go before the command). */
const GLOBAL_OPTIONS = GLOBAL_OPTION_HELP.map(([name]) => name);

/**
 * A subcommand's arguments: each `--option` must be one it takes (`valued` ones consume the next
 * word); the rest are its operands. Global options after the command are reported as such.
 */
function subcommandArgs(cmd: string, args: readonly string[], valued: readonly string[], bare: readonly string[] = []): string[] {
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (valued.includes(a)) {
      if (args[i + 1] === undefined) throw new UsageError(`option '${a}' requires an argument`);
      i++;
    } else if (bare.includes(a)) continue;
    else if (a.startsWith('--')) {
      const allowed = [...valued, ...bare];
      const global = GLOBAL_OPTIONS.includes(a) ? '; global options go before the command' : '';
      throw new UsageError(`${cmd}: unknown option '${a}' (allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')}${global})`);
    } else operands.push(a);
  }
  return operands;
}


/** `--seed N`: an integer in 0..2^32-1. */
function parseSeed(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--seed: '${v}' is not an integer in 0..4294967295`);
  return Number(v);
}

const DOORBELL_MODES: readonly DoorbellMode[] = ['legacy', 'per-bit'];
const isDoorbellMode = (v: string): v is DoorbellMode => (DOORBELL_MODES as readonly string[]).includes(v);

/** `--doorbell MODE` (both boards) or `--doorbell rc=MODE,ep=MODE` (each board at most once). */
function parseDoorbell(v: string): { rc?: DoorbellMode; ep?: DoorbellMode } {
  if (isDoorbellMode(v)) return { rc: v, ep: v };
  if (!v.includes('=')) throw new UsageError(`--doorbell: '${v}' is not one of ${DOORBELL_MODES.join(', ')} (or per board: rc=MODE,ep=MODE)`);
  const out: { rc?: DoorbellMode; ep?: DoorbellMode } = {};
  for (const part of v.split(',')) {
    const [board = '', mode = '', ...extra] = part.split('=');
    if (board !== 'rc' && board !== 'ep') throw new UsageError(`--doorbell: '${part}': the board must be rc or ep`);
    if (!isDoorbellMode(mode) || extra.length > 0) throw new UsageError(`--doorbell: '${part}': the mode must be one of ${DOORBELL_MODES.join(', ')}`);
    if (out[board] !== undefined) throw new UsageError(`--doorbell: board '${board}' given twice in '${v}'`);
    out[board] = mode;
  }
  return out;
}

function parseGlobals(argv: string[]): { globals: Globals; rest: string[] } {
  const g: Globals = { profile: getProfile('rcar-s4'), profileName: 'rcar-s4', seed: 1, functional: false, params: { transport: {}, netdev: {} }, given: [], sysctl: {} };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option '${a}' requires an argument`);
      return v;
    };
    if (rest.length === 0 && GLOBAL_OPTIONS.includes(a) && !g.given.includes(a)) g.given.push(a);
    if (rest.length > 0) rest.push(a);
    else if (a === '--profile') {
      const v = val();
      g.profileGiven = true;
      if (v.endsWith('.json') || v.includes('/')) {
        const json = readJson(v, '--profile');
        g.profile = parseProfile(json, v);
        g.profileJson = json;
        g.profileName = g.profile.name;
      } else {
        g.profile = getProfile(v);
        g.profileName = v;
      }
    } else if (a === '--seed') g.seed = parseSeed(val()); else if (a === '--functional') g.functional = true;
    else if (a === '--param') g.params = applyParam(g.params, val());
    else if (a === '--doorbell') g.doorbell = parseDoorbell(val()); else if (a === '--mws') {
      const v = val();
      if (!/^[1-4]$/.test(v)) throw new UsageError(`--mws: '${v}' is not a memory window count in 1..4`);
      g.mws = Number(v);
    } else if (a === '--ep-doorbell') {
      const v = val();
      if (v !== 'poll' && v !== 'irq') throw new UsageError(`--ep-doorbell: '${v}' is not one of poll, irq`);
      g.epDoorbell = v;
    } else if (a === '--dw-msi') {
      const v = val();
      if (!(DW_MSI_MODES as readonly string[]).includes(v)) throw new UsageError(`--dw-msi: '${v}' is not one of ${DW_MSI_MODES.join(', ')}`);
      g.dwMsi = v as DwMsiMode;
    } else if (a === '--ntb-ports') {
      const v = val();
      if (v !== 'same' && v !== 'distinct') throw new UsageError(`--ntb-ports: '${v}' is not one of same, distinct`);
      g.ports = v;
    } else if (a === '--sysctl') {
      const v = val();
      const m = /^([a-z0-9_]+(?:\.[A-Za-z0-9_-]+)+)=(.+)$/.exec(v);
      if (m === null) throw new UsageError(`--sysctl: '${v}' is not NAME=VALUE (a dotted sysctl name such as net.core.default_qdisc, '=', a value)`);
      const name = m[1] as string;
      if (name in g.sysctl) throw new UsageError(`--sysctl: ${name} given twice (give each sysctl once)`);
      g.sysctl[name] = m[2] as string;
    } else if (a === '--trace') {
      const v = val();
      checkWritable(v, '--trace');
      g.trace = v;
    } else if (a === '--trace-format') {
      const v = val();
      if (!isTraceFormat(v)) throw new UsageError(`--trace-format: '${v}' is not one of ${TRACE_FORMATS.join(', ')}`);
      g.traceFormat = v;
    }
    else if (a === '-h' || a === '--help') rest.push('help');
    else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else rest.push(a);
  }
  if (g.traceFormat !== undefined && g.trace === undefined) throw new UsageError('--trace-format: it needs --trace FILE (where to write the trace)');
  return { globals: g, rest };
}

function labOptions(g: Globals): LabOptions {
  return {
    profile: g.profile,
    seed: g.seed,
    params: g.params,
    payload: g.functional ? 'functional' : 'timing',
    ...(g.doorbell === undefined ? {} : { doorbell: g.doorbell }),
    ...(g.ports === undefined ? {} : { ports: g.ports }),
    ...(g.dwMsi === undefined ? {} : { msi: g.dwMsi }),
    vntb: { mwSizes: seedMwSizes(g.mws ?? Math.min(4, Math.max(1, g.params.netdev.queues ?? 1))), ...(g.epDoorbell === 'irq' ? { doorbellIrq: true } : {}) },
    traceCapacity: g.trace === undefined ? 0 : 1_000_000,
    sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30, ...g.sysctl },
  };
}

function commands(): Map<string, Command> {
  return labCommands();
}

const TRACE_FORMATS = ['jsonl', 'chrome'] as const;
/** How `--trace` writes: JSON lines of the records, or the Trace Event Format. */
type TraceFormat = (typeof TRACE_FORMATS)[number];
const isTraceFormat = (v: string): v is TraceFormat => (TRACE_FORMATS as readonly string[]).includes(v);

/** Write the lab's trace to `--trace FILE` in `--trace-format`; say on stderr when the ring dropped its oldest records. */
function writeTrace(lab: Lab, g: Globals): void {
  const trace = lab.sim.trace;
  if (g.trace === undefined || trace === null) return;
  const records = trace.toArray();
  writeFileSync(g.trace, g.traceFormat === 'chrome' ? JSON.stringify(toChromeTrace(records, trace.dropped)) + '\n' : records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (trace.dropped > 0) process.stderr.write(`ntb-bench: --trace '${g.trace}': the last ${trace.capacity} records kept, ${trace.dropped} older ones dropped\n`);
}

/** Boot the lab of `g`; what the boards' kernels printed while booting goes to stderr, each line after its board's name. */
function bootGlobalLab(g: Globals): Lab {
  let lab: Lab;
  try {
    lab = bootLab(labOptions(g));
  } catch (e) {
    // A driver refusing the platform at probe (an errno-coded model error) is the options' fault, not a crash.
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && !(e instanceof LabError)) throw new LabError('EINVAL', `the boards cannot boot with these options: ${e.message}`);
    throw e;
  }
  for (const b of [lab.boards.rc, lab.boards.ep]) for (const line of b.kernelLog) process.stderr.write(`${b.name}: ${line}\n`);
  return lab;
}

function runLab(g: Globals, args: string[]): number {
  const keepGoing = args.includes('--keep-going');
  const files = subcommandArgs('lab', args, [], ['--keep-going']);
  if (files.length > 1) throw new UsageError(`lab: one script at a time (got ${files.map((f) => `'${f}'`).join(', ')})`);
  const file = files[0];
  const text = file === undefined ? undefined : readText(file, 'lab: script');
  if (file !== undefined && text !== undefined) {
    const malformed = checkScript(text, file).errors;
    if (malformed.length > 0) {
      for (const e of malformed) process.stderr.write(`ntb-bench: ${e}\n`);
      return 2;
    }
  }
  const lab = bootGlobalLab(g);
  if (file !== undefined && text !== undefined) {
    const out = runScript(lab, text, {
      name: file,
      keepGoing,
      commands: commands(),
      onStep: (s) => {
        process.stdout.write(`${s.board}$ ${s.command}\n`);
        writeResult(s.result, process.stdout, process.stderr);
      },
    });
    writeTrace(lab, g);
    for (const e of out.errors) process.stderr.write(`ntb-bench: ${e}\n`);
    return out.status;
  }
  interactive(lab, { commands: commands(), input: process.stdin, output: process.stdout, errors: process.stderr, onClose: () => writeTrace(lab, g) });
  return 0;
}

async function oneShot(g: Globals, tool: string, args: string[]): Promise<number> {
  if (tool === 'iperf3') {
    const e = oneShotServerError(args);
    if (e !== null) {
      process.stderr.write(e);
      return 2;
    }
  }
  const lab = bootGlobalLab(g);
  const cmds = commands();
  const env = (b: BoardName) => ({ lab, board: lab.boards[b], vars: defaultVars(lab, lab.boards[b]) });
  if (tool === 'iperf3') runLine('iperf3 -s -D', env('rc'), cmds);
  const cmd = cmds.get(tool);
  if (cmd === undefined) throw new UsageError(`unknown command '${tool}'`);
  const ep = env('ep');
  // On a terminal iperf3's client and ping run as a foreground job: their lines show as they
  // come (ping's at the wall clock's pace), and Ctrl-C is SIGINT to them (iperf3's interrupt
  // report, ping's statistics), as on a board.
  if ((tool === 'iperf3' || tool === 'ping') && process.stdout.isTTY && process.stderr.isTTY) {
    const before = lastJob(ep.board);
    const r = cmd([tool, ...args], { ...ep, background: true, commandLine: [tool, ...args].join(' ') });
    writeResult(r, process.stdout, process.stderr);
    const job = lastJob(ep.board);
    if (job !== null && job !== before) {
      const sigint = (): void => job.signal({ signo: 2, effect: 'interrupt' });
      process.on('SIGINT', sigint);
      await waitForeground(lab, { job, board: ep.board, write: (text) => process.stdout.write(text) });
      process.off('SIGINT', sigint);
      writeTrace(lab, g);
      reap(ep.board, [job]);
      const st = job.status();
      return st === null ? 1 : exitCode(st);
    }
    writeTrace(lab, g);
    return r.status;
  }
  const r = cmd([tool, ...args], ep);
  writeResult(r, process.stdout, process.stderr);
  writeTrace(lab, g);
  return r.status;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`option '${name}' requires an argument`);
  return v;
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${name}: '${v}' is not a positive integer`);
  return Number(v);
}

/** `--workers N`: worker threads, 0 = run the jobs in this thread, one after another. */
function workerCount(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`--workers: '${v}' is not a worker count (an integer ≥ 0; 0 runs the jobs in this thread)`);
  return Number(v);
}

/** The global options given that set the lab's configuration or a trace: `--param`, `--doorbell`, `--mws`, `--trace`. */
function configOptionsGiven(g: Globals): string[] {
  return [
    ...(Object.keys(g.params.transport).length + Object.keys(g.params.netdev).length > 0 ? ['--param'] : []),
    ...(g.doorbell === undefined ? [] : ['--doorbell']),
    ...(g.mws === undefined ? [] : ['--mws']),
    ...(g.epDoorbell === undefined ? [] : ['--ep-doorbell']),
    ...(g.dwMsi === undefined ? [] : ['--dw-msi']),
    ...(g.ports === undefined ? [] : ['--ntb-ports']),
    ...(Object.keys(g.sysctl).length === 0 ? [] : ['--sysctl']),
    ...(g.trace === undefined ? [] : ['--trace']),
  ];
}

/** Reject the configuration options for a command that runs a fixed configuration compared with published numbers. */
function rejectConfigOptions(cmd: string, g: Globals, takes: string): void {
  const given = configOptionsGiven(g);
  if (given.length === 0) return;
  throw new UsageError(`${cmd}: ${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply: it runs the seeds' fixed configurations to compare them with the published numbers (global options it takes: ${takes}); vary the configuration with 'sweep'`);
}

/** The sweep's base configuration from the global options (`--param`, `--doorbell`, `--mws`, `--ep-doorbell`, `--sysctl`); `--trace` is refused. */
function sweepBase(g: Globals): SweepBase {
  if (g.trace !== undefined) throw new UsageError("sweep: --trace does not apply (the runs happen on worker threads; trace one configuration with 'lab' or a one-shot command)");
  let doorbell: SweepBase['doorbell'];
  if (g.doorbell !== undefined) {
    const rc = g.doorbell.rc ?? 'legacy';
    const ep = g.doorbell.ep ?? 'legacy';
    if (rc !== ep) throw new UsageError(`sweep: --doorbell rc=${rc},ep=${ep}: a sweep puts both boards on one doorbell mode (allowed: legacy, per-bit)`);
    doorbell = rc;
  }
  const transport: Record<string, number | boolean> = Object.fromEntries(Object.entries(g.params.transport));
  return {
    ...(Object.keys(transport).length === 0 ? {} : { transport }),
    ...(Object.keys(g.params.netdev).length === 0 ? {} : { netdev: g.params.netdev }),
    ...(doorbell === undefined ? {} : { doorbell }),
    ...(g.mws === undefined ? {} : { mws: g.mws }),
    ...(g.epDoorbell === undefined ? {} : { epDoorbell: g.epDoorbell }),
    ...(g.dwMsi === undefined ? {} : { dwMsi: g.dwMsi }),
    ...(Object.keys(g.sysctl).length === 0 ? {} : { sysctl: g.sysctl }),
  };
}

/** Why an output file cannot be written: strerror, and ENOTDIR's when mkdir -p met a file on the way (EEXIST). */
function outputReason(e: unknown): string {
  return (e as { code?: string }).code === 'EEXIST' ? 'Not a directory' : fsReason(e);
}

/** Fail now, before a long run, when `path` cannot be written: create its directory and open it for appending (a file that was not there is removed again). */
function checkOutput(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const existed = existsSync(path);
    closeSync(openSync(path, 'a'));
    if (!existed) unlinkSync(path);
  } catch (e) {
    throw new FileError(`cannot write ${path}: ${outputReason(e)}`);
  }
}

/** Write `text` to `path`, its directory created; a FileError `cannot write PATH: why` when that fails. */
function writeOutput(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    throw new FileError(`cannot write ${path}: ${outputReason(e)}`);
  }
}

/**
 * report.html's reliability dashboard: the faults matrix from `faults.json` in `dir` (what
 * `faults` wrote there), so a later `reproduce` keeps it; '' when there is none, with a warning
 * when the file is there but unusable.
 */
function faultsSection(dir: string): string {
  const path = `${dir}/faults.json`;
  if (!existsSync(path)) return '';
  try {
    const report = readJson(path, 'report.html: faults') as FaultsReport;
    if (!Array.isArray(report.results) || !Array.isArray(report.invariants)) throw new Error(`${path} is not a faults report`);
    return faultsHtml(report);
  } catch (e) {
    process.stderr.write(`ntb-bench: report.html: leaving out the faults section: ${(e as Error).message}\n`);
    return '';
  }
}

/**
 * The progress line on a TTY (stderr): each update clears the line and rewrites it, cut to the
 * terminal's width; `done` erases it. Nothing when stderr is not a TTY.
 */
function progressLine(): { readonly update: (text: string) => void; readonly done: () => void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    update: (text) => {
      if (!tty) return;
      const cols = process.stderr.columns > 1 ? process.stderr.columns - 1 : 79;
      process.stderr.write(`\x1b[2K\r${text.slice(0, cols)}`);
      shown = true;
    },
    done: () => {
      if (tty && shown) process.stderr.write('\x1b[2K\r');
      shown = false;
    },
  };
}

/** `[#####     ] 5/24` and what follows. */
function bar(done: number, total: number, what = ''): string {
  return `[${'#'.repeat(Math.round((30 * done) / total)).padEnd(30)}] ${done}/${total}${what === '' ? '' : ` ${what}`}`;
}

async function runReproduce(g: Globals, args: string[]): Promise<number> {
  rejectConfigOptions('reproduce', g, '--profile, --seed, --functional');
  const extra = subcommandArgs('reproduce', args, ['--runs', '--duration', '--json', '--html', '--scenarios', '--workers']);
  if (extra.length > 0) throw new UsageError(`reproduce: unexpected argument '${extra[0] ?? ''}'`);
  const runs = positiveInt('--runs', flag(args, '--runs'), 10);
  const duration = positiveInt('--duration', flag(args, '--duration'), 10);
  const jsonPath = flag(args, '--json') ?? 'bench-results/reproduce.json';
  const htmlPath = flag(args, '--html') ?? `${dirname(jsonPath)}/report.html`;
  const scen = flag(args, '--scenarios');
  const workers = flag(args, '--workers');
  for (const id of scen?.split(',') ?? []) {
    if (!SCENARIOS.some((s) => s.id === id)) throw new UsageError(`reproduce: --scenarios: unknown scenario '${id}' (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
  }
  checkOutput(jsonPath);
  checkOutput(htmlPath);
  const progress = progressLine();
  const rep = await reproduce({
    runs,
    durationS: duration,
    payload: g.functional ? 'functional' : 'timing',
    profileName: g.profileName,
    ...(g.profileJson === undefined ? {} : { profileJson: g.profileJson }),
    ...(scen === undefined ? {} : { scenarios: scen.split(',') }),
    ...(workers === undefined ? {} : { workers: workerCount(workers, 2) }),
    baseSeed: g.seed,
    onProgress: (done, total, job) => {
      progress.update(bar(done, total, `${job.config.id} run ${job.run + 1}`));
    },
  }).finally(progress.done);
  process.stdout.write(formatTable(rep) + '\n');
  writeOutput(jsonPath, JSON.stringify(rep, null, 2) + '\n');
  const faults = faultsSection(dirname(jsonPath));
  writeOutput(htmlPath, reportHtml(rep, faults));
  process.stdout.write(`wrote ${jsonPath} and ${htmlPath}${faults === '' ? '' : ` (with the faults matrix of ${dirname(jsonPath)}/faults.json)`}\n`);
  return 0;
}

async function runSweep(g: Globals, args: string[]): Promise<number> {
  const axes = subcommandArgs('sweep', args, ['--runs', '--duration', '--shard', '--out', '--workers', '--html']);
  const notAxis = axes.find((a) => !a.includes('='));
  if (notAxis !== undefined) throw new UsageError(`sweep: '${notAxis}' is not an axis (AXIS=V1,V2…)`);
  if (axes.length === 0) throw new UsageError('sweep: give at least one axis, e.g. queues=1,2,4');
  const out = flag(args, '--out') ?? 'bench-results/sweep.json';
  const html = sweepHtmlPath(out, flag(args, '--html'));
  const shardSpec = flag(args, '--shard');
  const workers = flag(args, '--workers');
  const base = sweepBase(g);
  let grid;
  try {
    grid = parseGrid(axes);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const shard = shardSpec === undefined ? undefined : parseShard(shardSpec);
  checkOutput(out);
  checkOutput(html);
  const progress = progressLine();
  const res = await sweep({
    grid,
    base,
    runs: positiveInt('--runs', flag(args, '--runs'), 3),
    durationS: positiveInt('--duration', flag(args, '--duration'), 5),
    profileName: g.profileName,
    ...(g.profileJson === undefined ? {} : { profileJson: g.profileJson }),
    payload: g.functional ? 'functional' : 'timing',
    workers: workerCount(workers, availableParallelism()),
    baseSeed: g.seed,
    ...(shard === undefined ? {} : { shard }),
    onProgress: (done, total) => {
      progress.update(bar(done, total));
    },
  }).finally(progress.done);
  writeSweep(res, out, html);
  return 0;
}

/** The sweep page's path: `--html`, else the results file's with `.html`. */
function sweepHtmlPath(out: string, html: string | undefined): string {
  return html ?? out.replace(/\.json$/, '') + '.html';
}

function writeSweep(res: SweepResults, out: string, htmlPath: string): void {
  process.stdout.write(formatSweepTable(res));
  writeOutput(out, JSON.stringify(res, null, 2) + '\n');
  writeOutput(htmlPath, sweepHtml(res));
  process.stdout.write(`wrote ${out} and ${htmlPath}\n`);
}

function runMerge(args: string[]): number {
  const files = subcommandArgs('merge', args, ['--out', '--html'], ['--partial']);
  if (files.length === 0) throw new UsageError('merge: give the shard result files');
  const parts = files.map((f) => readJson(f, 'merge:') as SweepResults);
  for (const [i, p] of parts.entries()) {
    if (typeof p !== 'object' || p === null || p.kind !== 'ntbsim-sweep') throw new UsageError(`merge: ${files[i] ?? ''} is not a sweep result file`);
    if (typeof p.seed !== 'number' || typeof p.profile_digest !== 'string') throw new FileError(`merge: ${files[i] ?? ''} has no base seed or profile digest (written by an older ntb-bench): run its shard again`);
  }
  const out = flag(args, '--out') ?? 'bench-results/sweep-merged.json';
  const merged = mergeSweeps(parts, { names: files, partial: args.includes('--partial') });
  if (merged.partial === true) process.stderr.write(`ntb-bench: merge: warning: shard${(merged.missing_shards ?? []).length > 1 ? 's' : ''} ${(merged.missing_shards ?? []).join(', ')} missing; ${out} is marked partial\n`);
  writeSweep(merged, out, sweepHtmlPath(out, flag(args, '--html')));
  return 0;
}

async function runCalibrate(g: Globals, args: string[]): Promise<number> {
  rejectConfigOptions('calibrate', g, '--profile');
  const fixed = g.given.filter((o) => o === '--seed' || o === '--functional');
  if (fixed.length > 0) throw new UsageError(`calibrate: ${fixed.join(', ')} ${fixed.length === 1 ? 'does' : 'do'} not apply: it runs the seeds runSeed(101, r) that reproduce checks, in timing mode (global option it takes: --profile)`);
  const extra = subcommandArgs('calibrate', args, ['--fit', '--seeds', '--duration', '--iterations', '--sd-seeds', '--sd-iterations', '--workers']);
  if (extra.length > 0) throw new UsageError(`calibrate: unexpected argument '${extra[0] ?? ''}'`);
  const fitArg = flag(args, '--fit') ?? 'rate,sd';
  const fit = fitArg.split(',');
  const targets: readonly string[] = ['rate', 'sd'] satisfies CalibrationTarget[];
  if (fit.some((f) => !targets.includes(f)) || fit.length === 0) throw new UsageError(`calibrate: --fit '${fitArg}': allowed rate, sd, or both (rate,sd)`);
  const sdSeeds = positiveInt('--sd-seeds', flag(args, '--sd-seeds'), 10);
  if (sdSeeds < 2) throw new UsageError(`--sd-seeds: '${sdSeeds}' is too few (an SD needs at least 2 runs)`);
  const pct = (err: number): string => `${err >= 0 ? '+' : ''}${err.toFixed(2)}%`;
  const res = await calibrate({
    base: g.profile,
    fit: fit as CalibrationTarget[],
    seeds: positiveInt('--seeds', flag(args, '--seeds'), 3),
    durationS: positiveInt('--duration', flag(args, '--duration'), 4),
    iterations: positiveInt('--iterations', flag(args, '--iterations'), 7),
    sdSeeds,
    sdIterations: positiveInt('--sd-iterations', flag(args, '--sd-iterations'), 2),
    workers: workerCount(flag(args, '--workers'), availableParallelism()),
    onStep: (param, value, err) =>
      process.stderr.write(param === 'noise.runScaleSd' ? `  ${param} = ${value.toFixed(4)} → SD error ${pct(err)}\n` : `  ${param} = ${value.toFixed(1)} → mean error ${pct(err)}\n`),
  });
  const rel = (sim: number, pub: number): string => `${(((sim - pub) / pub) * 100).toFixed(1)}%`;
  process.stdout.write(`fitted (${res.runs} runs):\n`);
  for (const [k, v] of Object.entries(res.values)) process.stdout.write(`  ${k}: ${v}\n`);
  process.stdout.write('residuals:\n');
  for (const f of res.fit) process.stdout.write(`  ${f.id} mean: simulated ${f.simulated.toFixed(1)} Mb/s, published ${f.published} Mb/s (${rel(f.simulated, f.published)})\n`);
  const sd = res.sdFit;
  if (sd !== undefined) process.stdout.write(`  ${sd.id} run-to-run SD over ${sd.seeds} seeds: simulated ${sd.simulated.toFixed(2)} Mb/s, published ${sd.published} Mb/s (${rel(sd.simulated, sd.published)})\n`);
  return 0;
}

async function runFaultsCmd(g: Globals, args: string[]): Promise<number> {
  const extra = subcommandArgs('faults', args, ['--seed', '--only', '--json', '--html']);
  if (extra.length > 0) throw new UsageError(`faults: unexpected argument '${extra[0] ?? ''}'`);
  const ignored = [...(g.profileGiven === true ? ['--profile'] : []), ...(g.functional ? ['--functional'] : []), ...configOptionsGiven(g)];
  if (ignored.length > 0) throw new UsageError(`faults: ${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply: each fault scenario builds its own lab on rcar-s4, with real payload bytes where it checks them (global option it takes: --seed)`);
  const jsonPath = flag(args, '--json') ?? 'bench-results/faults.json';
  const htmlPath = flag(args, '--html') ?? `${dirname(jsonPath)}/faults.html`;
  const only = flag(args, '--only');
  const seedArg = flag(args, '--seed');
  const seed = seedArg === undefined ? g.seed : parseSeed(seedArg);
  const ids = faultScenarios().map((s) => s.id);
  for (const o of only?.split(',') ?? []) {
    if (!ids.some((id) => id.includes(o))) throw new UsageError(`faults: --only '${o}' matches no scenario (known: ${ids.join(', ')})`);
  }
  checkOutput(jsonPath);
  checkOutput(htmlPath);
  const progress = progressLine();
  const total = ids.filter((id) => only === undefined || only.split(',').some((o) => id.includes(o))).length;
  let ran = 0;
  const r = await runFaults({
    seed,
    jsonPath,
    ...(only === undefined ? {} : { only: only.split(',') }),
    onResult: (res) => {
      progress.update(bar(++ran, total, `${res.id}: ${res.pass ? 'pass' : 'FAIL'}`));
    },
  }).finally(progress.done);
  process.stdout.write(faultsText(r));
  writeOutput(htmlPath, faultsPage(r));
  process.stdout.write(`wrote ${jsonPath} and ${htmlPath}\n`);
  const repJson = `${dirname(jsonPath)}/reproduce.json`;
  if (existsSync(repJson)) {
    const report = `${dirname(jsonPath)}/report.html`;
    writeOutput(report, reportHtml(JSON.parse(readFileSync(repJson, 'utf8')) as ReproduceReport, faultsHtml(r)));
    process.stdout.write(`added the reliability dashboard to ${report}\n`);
  } else process.stdout.write(`${wrapText('', `(no ${repJson}: a reproduce report written there, as reproduce --json ${repJson} does, gets this dashboard too)`, 2).join('\n')}\n`);
  return r.failed > 0 ? 1 : 0;
}

/** `profile [NAME|FILE] [--table]`: list the built-ins, or print one (JSON, or the parameter table). */
function runProfile(g: Globals, args: string[]): number {
  const operands = subcommandArgs('profile', args, [], ['--table']);
  const ignored = g.given.filter((o) => o !== '--profile');
  if (ignored.length > 0) throw new UsageError(`profile: ${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply (of the global options it takes --profile)`);
  if (operands.length > 1) throw new UsageError(`profile: unexpected argument '${operands[1] ?? ''}'`);
  const table = args.includes('--table');
  const [which] = operands;
  if (which === undefined && g.profileGiven !== true && !table) {
    process.stdout.write(profileListing());
    return 0;
  }
  let profile = g.profile;
  if (which !== undefined) profile = which.endsWith('.json') || which.includes('/') ? parseProfile(readJson(which, 'profile'), which) : getProfile(which);
  process.stdout.write(table ? formatProfileTable(profile) : `${JSON.stringify(profile, null, 2)}\n`);
  return 0;
}

/** The one-shot tools: their options, `--help` included, go to the tool. */
const ONE_SHOT = ['iperf3', 'ethtool', 'ping'];

/** Entry point; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    const { globals, rest } = parseGlobals(argv);
    const [cmd, ...args] = rest;
    command = cmd;
    // `COMMAND --help` / `-h` (the one-shot tools take theirs to the tool, as on a board).
    if (cmd !== undefined && COMMAND_HELP[cmd] !== undefined && !ONE_SHOT.includes(cmd) && (args.includes('--help') || args.includes('-h'))) {
      process.stdout.write(commandUsage(cmd));
      return 0;
    }
    switch (cmd) {
      case undefined:
      case 'help':
        process.stdout.write(USAGE);
        return cmd === undefined ? 1 : 0;
      case 'lab':
        return runLab(globals, args);
      case 'reproduce':
        return await runReproduce(globals, args);
      case 'sweep':
        return await runSweep(globals, args);
      case 'merge':
        if (globals.given.length > 0) throw new UsageError(`merge: ${globals.given.join(', ')} ${globals.given.length === 1 ? 'does' : 'do'} not apply: merge joins the shards as they were run (their seed, grid, profile and base configuration)`);
        return runMerge(args);
      case 'calibrate':
        return await runCalibrate(globals, args);
      case 'faults':
        return await runFaultsCmd(globals, args);
      case 'profile':
        return runProfile(globals, args);
      case 'iperf3':
      case 'ethtool':
      case 'ping':
        return await oneShot(globals, cmd, args);
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof ParamError && e.syntax)) {
      process.stderr.write(`ntb-bench: ${e.message}\n${usageHint(command)}`);
      return 2;
    }
    if (e instanceof FileError) {
      process.stderr.write(`ntb-bench: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ParamError || e instanceof LabError || e instanceof JobError || (e instanceof Error && (e.name === 'ProfileError' || e.message.startsWith('sweep:') || e.message.startsWith('merge:')))) {
      process.stderr.write(`ntb-bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Whether this module is the program node was started with (`node dist/cli.js`, through a symlink too): then it runs. */
function isMainModule(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
