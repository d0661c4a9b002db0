/**
 * /sys/module/<module>/parameters (kernel/params.c) of the modules whose parameters the model
 * has, while they are loaded: ntb_transport's module_params (drivers/ntb/ntb_transport.c, all
 * 0644: `transport_mtu`, `max_mw_size`, `max_num_clients`, `copy_bytes`, `use_dma`, `use_msi`
 * as with CONFIG_NTB_MSI, `tx_memcpy_offload`, and the multi-channel DMA series'
 * `use_tx_dma`, `use_rx_dma`, `num_tx_dma_chan`, `num_rx_dma_chan`) and ntb_netdev's
 * `ntb_num_queues` (the multi-queue series' uint 0644; the lab's takes 1..64, 1 by default;
 * the single-queue `baseline` driver has none). A read is param_attr_show: param_get_bool's
 * `Y`/`N`, param_get_uint/ulong/byte's decimal, then a newline. A write is param_attr_store:
 * param_set_bool (kstrtobool), param_set_uint/ulong (kstrtouint/kstrtoul, base 0) or
 * param_set_byte (kstrtou8), EINVAL or ERANGE as those give; then the model's own bounds
 * (what `modprobe` refuses, EINVAL). The kernel stores any value of a 0644 parameter; here a
 * write is taken only where the model reads the parameter again while the module is loaded
 * (per frame, at each link-up or queue creation: the transport's `PROBE_TIME_PARAMS` aside).
 * One the model reads only when it probes — `max_num_clients`, `use_msi`, `ntb_num_queues` —
 * is refused with EPERM (param_attr_store's answer for a parameter it cannot set) rather than
 * kept unused. The model switches `modprobe` also takes (`flush_done_flag`, `variant`, …) are
 * no kernel parameters and have no file. Of /sys/module/<module> the model has only
 * `parameters`.
 */
import { errnoName, kstrtobool, kstrtoull, kstrtouint, type Errno } from '@ntbsim/kernel';
import { PROBE_TIME_PARAMS, TransportError, type TransportParams } from '@ntbsim/ntb-transport';
import type { Board } from '../lab/lab.js';
import type { FsNode, KernelWrite } from './proc.js';

/** A module parameter's kernel type (its kernel_param_ops). */
type ParamType = 'bool' | 'uint' | 'ulong' | 'byte';

/** ntb_transport's module_params: the kernel's name, its type, and the model's field. */
const TRANSPORT_PARAMS: Readonly<Record<string, { readonly type: ParamType; readonly key: keyof TransportParams }>> = {
  copy_bytes: { type: 'uint', key: 'copyBytes' },
  max_mw_size: { type: 'ulong', key: 'maxMwSize' },
  max_num_clients: { type: 'byte', key: 'maxNumClients' },
  num_rx_dma_chan: { type: 'uint', key: 'numRxDmaChan' },
  num_tx_dma_chan: { type: 'uint', key: 'numTxDmaChan' },
  transport_mtu: { type: 'uint', key: 'transportMtu' },
  tx_memcpy_offload: { type: 'bool', key: 'txMemcpyOffload' },
  use_dma: { type: 'bool', key: 'useDma' },
  use_msi: { type: 'bool', key: 'useMsi' },
  use_rx_dma: { type: 'bool', key: 'useRxDma' },
  use_tx_dma: { type: 'bool', key: 'useTxDma' },
};

/** ntb_netdev's queue count at probe when `ntb_num_queues` is not given (NTB_NETDEV_DEFAULT_QUEUES). */
const NTB_NETDEV_DEFAULT_QUEUES = 1;

/** One parameter file: its value as param_get_* prints it, and its write (param_set_*, then the model's), or EPERM where the model would not read it again. */
interface ParamFile {
  readonly show: () => string;
  readonly store: (text: string) => KernelWrite;
}

/** param_set_* of `text` for `type`: the value, or the errno kstrto* gives (EINVAL, ERANGE). */
function parseParam(type: ParamType, text: string): boolean | bigint | Errno {
  const v = type === 'bool' ? kstrtobool(text) : type === 'ulong' ? kstrtoull(text) : kstrtouint(text, 0, type === 'byte' ? 8 : 32);
  return typeof v === 'number' ? (errnoName(v) ?? 'EINVAL') : v;
}

/** The parameter files of `module` on `board` while it is loaded (by name), or null. */
function paramFiles(board: Board, module: string): ReadonlyMap<string, ParamFile> | null {
  if (module === 'ntb_transport') {
    const m = board.transportModule();
    if (m === null) return null;
    return new Map(
      Object.entries(TRANSPORT_PARAMS).map(([name, { type, key }]): [string, ParamFile] => [
        name,
        {
          show: () => {
            const v = m.params[key];
            return typeof v === 'boolean' ? (v ? 'Y\n' : 'N\n') : `${v}\n`;
          },
          store: (text) => {
            if (PROBE_TIME_PARAMS.has(key)) return 'EPERM';
            const v = parseParam(type, text);
            if (typeof v === 'string') return v;
            try {
              m.setParam(key, typeof v === 'bigint' ? Number(v) : v);
            } catch (e) {
              if (!(e instanceof TransportError)) throw e;
              return e.code;
            }
            return null;
          },
        },
      ]),
    );
  }
  if (module === 'ntb_netdev') {
    const p = board.netdevParams();
    if (p === null) return null;
    if (p.variant === 'baseline') return new Map();
    // Read by ntb_netdev_probe alone: the loaded driver would never use a new value.
    return new Map([['ntb_num_queues', { show: () => `${p.queues ?? NTB_NETDEV_DEFAULT_QUEUES}\n`, store: () => 'EPERM' }]]);
  }
  return null;
}

/** The modules of /sys/module the model has, loaded on `board`. */
function loadedModules(board: Board): string[] {
  return ['ntb_netdev', 'ntb_transport'].filter((m) => paramFiles(board, m) !== null);
}

/** The node of /sys/module/`rest` on `board` (`rest` the components below /sys/module), or null. */
export function moduleNode(board: Board, rest: readonly string[]): FsNode | null {
  const [module, dir, name] = rest;
  if (module === undefined) return { kind: 'dir', entries: loadedModules(board) };
  const files = paramFiles(board, module);
  if (files === null || rest.length > 3) return null;
  if (dir === undefined) return { kind: 'dir', entries: files.size > 0 ? ['parameters'] : [] };
  if (dir !== 'parameters' || files.size === 0) return null;
  if (name === undefined) return { kind: 'dir', entries: [...files.keys()] };
  const f = files.get(name);
  return f === undefined ? null : { kind: 'file', read: f.show };
}

/** A write of `text` to /sys/module/`rest` on `board`: a parameter's param_attr_store; undefined for any other file. */
export function writeModuleParam(board: Board, rest: readonly string[], text: string): KernelWrite | undefined {
  const [module, dir, name] = rest;
  if (module === undefined || dir !== 'parameters' || name === undefined || rest.length !== 3) return undefined;
  return paramFiles(board, module)?.get(name)?.store(text);
}
