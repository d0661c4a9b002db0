/**
 * Contracts of ntb_tool: the client with its per-device instances, and how a write that blocks
 * reports its end.
 */
import type { NtbClient } from '@ntbsim/ntb-core';
import type { NtbTool } from './tool.js';

/**
 * The end of a write that blocked (`NtbTool.write` returned null): the bytes written (the
 * whole length of the data, as the kernel's handlers return `size`), or a negative errno.
 */
export type ToolDone = (ret: number) => void;

/** Where a read or write starts and how much a read takes (the file position and the read(2) count, bytes). */
export interface ToolIoOptions {
  /** File position (bytes). Default 0: each `cat` / `echo >` opens the file anew. */
  readonly offset?: number;
  /** Bytes a read asks for (read(2)'s count). Default 131072, what `cat` asks for. */
  readonly count?: number;
}

/** The ntb_tool client with its instances (`ntb_register_client(&tool_client)` of tool_init). */
export interface NtbToolClient extends NtbClient {
  /** ntb_tool on each bound device, by device name (its debugfs directory `ntb_tool/<name>/`). */
  readonly instances: ReadonlyMap<string, NtbTool>;
}
