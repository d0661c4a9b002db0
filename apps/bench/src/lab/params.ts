/**
 * Boot-time module parameters of the lab (`--param module.name=value`, `modprobe module
 * name=value`), parsed as the kernel parses them: bool accepts y/Y/1/n/N/0 (and true/false),
 * integers in C syntax (decimal, 0x hex, leading 0 octal). A parameter the module does not
 * have is recorded and ignored, as the kernel's unknown_module_param_cb logs it and loads the
 * module anyway; bad values and unknown modules are rejected with what is allowed.
 */
import { kstrtoull } from '@ntbsim/kernel';
import type { NtbNetdevOptions } from '@ntbsim/ntb-netdev';
import { PERF_PARAM_NAMES, type PerfParams } from '@ntbsim/ntb-perf';
import { DEFAULT_TRANSPORT_PARAMS, KERNEL_PARAM_NAMES, transportParams, type TransportParams } from '@ntbsim/ntb-transport';

/** A rejected parameter: what was wrong and what is allowed. */
export class ParamError extends Error {
  /** Always EINVAL. */
  readonly code = 'EINVAL' as const;
  /** A malformed `MODULE.PARAMETER=VALUE` (a usage error), rather than a value the module refuses. */
  readonly syntax: boolean;
  constructor(message: string, syntax = false) {
    super(message);
    this.name = 'ParamError';
    this.syntax = syntax;
  }
}

/** The ntb_netdev options a module parameter sets: queues at probe, driver variant, wake mechanism and how its hrtimer is armed. */
export type NetdevParams = Pick<NtbNetdevOptions, 'queues' | 'variant' | 'wakeTimer' | 'hrtimerMode'>;

/** Parameters of the two modules the lab loads. */
export interface ModuleParams {
  /** ntb_transport parameters. */
  readonly transport: Partial<TransportParams>;
  /** ntb_netdev options. */
  readonly netdev: NetdevParams;
  /** Parameters a module does not have: the kernel logs each and ignores it. */
  readonly unknown?: readonly UnknownParam[];
}

/** A parameter given to a module that does not have it. */
export interface UnknownParam {
  /** The module it was given to. */
  readonly module: 'ntb_transport' | 'ntb_netdev' | 'ntb_perf' | 'ntb_tool' | 'ntb_pingpong';
  /** The parameter's name. */
  readonly name: string;
}

/** The kernel's message for an unknown parameter (unknown_module_param_cb, pr_warn). */
export function unknownParamMessage(p: UnknownParam): string {
  return `${p.module}: unknown parameter '${p.name}' ignored`;
}

function withUnknown(params: ModuleParams, unknown: UnknownParam): ModuleParams {
  return { ...params, unknown: [...(params.unknown ?? []), unknown] };
}

/** Parse a kernel bool (param_set_bool). */
export function parseKernelBool(v: string): boolean | null {
  if (/^(y|Y|1|true)$/.test(v)) return true;
  if (/^(n|N|0|false)$/.test(v)) return false;
  return null;
}

/** Parse a kernel unsigned integer as param_set_ulong does (kstrtoul, base 0); null when refused or past what a number holds exactly. */
export function parseKernelUint(v: string): number | null {
  const n = kstrtoull(v);
  return typeof n === 'bigint' && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

const TRANSPORT_BY_KERNEL_NAME = new Map(Object.entries(KERNEL_PARAM_NAMES).map(([k, v]) => [v, k as keyof TransportParams]));
const TRANSPORT_BOOLS = new Set((Object.keys(DEFAULT_TRANSPORT_PARAMS) as (keyof TransportParams)[]).filter((k) => typeof DEFAULT_TRANSPORT_PARAMS[k] === 'boolean'));

/** Apply `module.name=value` (or `name=value` for `module`) to `params`, returning the new set (unknown names recorded in `unknown`); throws ParamError. */
export function applyParam(params: ModuleParams, spec: string, module?: string): ModuleParams {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  // A bare NAME sets a bool (the kernel passes a NULL value, which param_set_bool takes as true).
  const bare = eq < 0;
  const value = bare ? '' : spec.slice(eq + 1);
  const dot = key.indexOf('.');
  if (module === undefined && dot < 0) throw new ParamError(`'${spec}': expected MODULE.PARAMETER=VALUE (modules: ntb_transport, ntb_netdev)`, true);
  const mod = module ?? key.slice(0, dot);
  const name = module !== undefined ? key : key.slice(dot + 1);
  if (name === '') throw new ParamError(`'${spec}': expected ${module === undefined ? 'MODULE.' : ''}PARAMETER=VALUE`, true);
  if (mod === 'ntb_transport') {
    const field = TRANSPORT_BY_KERNEL_NAME.get(name);
    if (field === undefined) return withUnknown(params, { module: 'ntb_transport', name });
    const parsed = TRANSPORT_BOOLS.has(field) ? (bare ? true : parseKernelBool(value)) : parseKernelUint(value);
    if (parsed === null) throw new ParamError(`ntb_transport: '${value}' invalid for parameter '${name}' (allowed ${TRANSPORT_BOOLS.has(field) ? 'a bool: y, n, 1, 0' : 'an unsigned integer'})`);
    const transport = { ...params.transport, [field]: parsed };
    try {
      transportParams(transport);
    } catch (e) {
      throw new ParamError((e as Error).message.replace('[ntb-transport] ', ''));
    }
    return { ...params, transport };
  }
  if (mod === 'ntb_netdev') {
    switch (name) {
      case 'ntb_num_queues': {
        // The v1 series' param_set_uint_minmax(val, kp, 1, NTB_NETDEV_MAX_QUEUES): a value
        // outside 1..64 is -EINVAL and the load fails (its cover letter's "clamped" is not what
        // the code does).
        const n = parseKernelUint(value);
        if (n === null || n < 1 || n > 64) throw new ParamError(`ntb_netdev: '${value}' invalid for parameter 'ntb_num_queues' (allowed 1..64)`);
        return { ...params, netdev: { ...params.netdev, queues: n } };
      }
      case 'variant':
        if (value !== 'mq' && value !== 'baseline') throw new ParamError(`ntb_netdev: '${value}' invalid for parameter 'variant' (allowed mq, baseline)`);
        return { ...params, netdev: { ...params.netdev, variant: value } };
      case 'wake_timer':
        if (value !== 'jiffy' && value !== 'hrtimer') throw new ParamError(`ntb_netdev: '${value}' invalid for parameter 'wake_timer' (allowed jiffy, hrtimer)`);
        return { ...params, netdev: { ...params.netdev, wakeTimer: value } };
      case 'hrtimer_mode':
        if (value !== 'soft' && value !== 'hard') throw new ParamError(`ntb_netdev: '${value}' invalid for parameter 'hrtimer_mode' (allowed soft, hard)`);
        return { ...params, netdev: { ...params.netdev, hrtimerMode: value } };
      default:
        return withUnknown(params, { module: 'ntb_netdev', name });
    }
  }
  throw new ParamError(`unknown module '${mod}' in '${spec}' (known: ntb_transport, ntb_netdev)`);
}

const PERF_BY_KERNEL_NAME = new Map(Object.entries(PERF_PARAM_NAMES).map(([k, v]) => [v, k as keyof PerfParams]));

/** The parameters of `modprobe ntb_perf` (and what it ignored), or the errno the kernel refuses the load with. */
export interface PerfModprobe {
  /** The parameters given. */
  readonly params: Partial<PerfParams>;
  /** Names ntb_perf does not have (logged and ignored). */
  readonly unknown: readonly UnknownParam[];
}

/**
 * `modprobe ntb_perf name=value…` as the kernel parses them: `use_dma` a bool, `max_mw_size`
 * an unsigned long, `chunk_order` and `total_order` bytes (kstrtou8: a number over 255 is
 * ERANGE); a bad value refuses the load with 'EINVAL' or 'ERANGE'.
 */
export function parsePerfParams(specs: readonly string[]): PerfModprobe | 'EINVAL' | 'ERANGE' {
  const params: Partial<Record<keyof PerfParams, number | boolean>> = {};
  const unknown: UnknownParam[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const field = PERF_BY_KERNEL_NAME.get(name);
    if (field === undefined) {
      unknown.push({ module: 'ntb_perf', name });
      continue;
    }
    if (field === 'useDma') {
      const b = eq < 0 ? true : parseKernelBool(spec.slice(eq + 1));
      if (b === null) return 'EINVAL';
      params.useDma = b;
      continue;
    }
    const n = eq < 0 ? null : parseKernelUint(spec.slice(eq + 1));
    if (n === null) return 'EINVAL';
    if (field !== 'maxMwSize' && n > 255) return 'ERANGE';
    params[field] = n;
  }
  return { params: params as Partial<PerfParams>, unknown };
}
