/**
 * Test rigs for ntb_tool: two R-Car S4 boards joined by the EPF hardware model (ntb_hw_epf on
 * the RC, pci-epf-vntb on the EP) with an ntb_tool client on each NTB bus, and helpers that do
 * what `cat` and `echo … >` do, letting virtual time run while a write blocks.
 */
import { createHost, createSimulation, getProfile, type Host, type Simulation } from '@ntbsim/kernel';
import { createEpfPair, type DoorbellMode, type EpfPair } from '@ntbsim/ntb-hw-epf';
import { createNtbToolClient, type NtbTool, type NtbToolClient } from '../src/index.js';

/** An RC + EP pair with ntb_tool on both sides. */
export interface ToolRig {
  readonly sim: Simulation;
  readonly rc: Host;
  readonly ep: Host;
  readonly pair: EpfPair;
  readonly clients: { readonly rc: NtbToolClient; readonly ep: NtbToolClient };
  /** The ntb_tool instance of each board. */
  readonly tool: { readonly rc: NtbTool; readonly ep: NtbTool };
}

/** Options of `toolRig`. */
export interface ToolRigOptions {
  readonly seed?: number;
  /** Doorbell code state of both boards. Default legacy. */
  readonly doorbell?: DoorbellMode;
  /** Scratchpads (vNTB spad_count). Default 4. */
  readonly spadCount?: number;
}

/** Build the pair, let ntb_hw_epf probe, register ntb_tool on both buses. */
export function toolRig(options: ToolRigOptions = {}): ToolRig {
  const sim = createSimulation({ seed: options.seed ?? 1 });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const mode = options.doorbell ?? 'legacy';
  const pair = createEpfPair({ rc, ep, doorbell: { rc: mode, ep: mode }, vntb: { mwSizes: [1 << 20], spadCount: options.spadCount ?? 4, dbCount: 4 } });
  sim.run({ until: sim.now + 100_000_000 });
  const clients = { rc: createNtbToolClient(), ep: createNtbToolClient() };
  pair.buses.rc.registerClient(clients.rc);
  pair.buses.ep.registerClient(clients.ep);
  const only = (c: NtbToolClient): NtbTool => {
    const t = [...c.instances.values()][0];
    if (t === undefined) throw new Error('ntb_tool did not bind');
    return t;
  };
  return { sim, rc, ep, pair, clients, tool: { rc: only(clients.rc), ep: only(clients.ep) } };
}

/** Run the simulation for `ns` of virtual time. */
export function runFor(sim: Simulation, ns: number): void {
  sim.run({ until: sim.now + ns });
}

/** `cat FILE`: the text, or the negative errno of the read. */
export function cat(tool: NtbTool, path: string, count?: number): string | number {
  const r = tool.read(path, count === undefined ? {} : { count });
  return typeof r === 'number' ? r : String.fromCharCode(...r);
}

/** What an `echo` that may block ended with: its return and the virtual time it took (ns); `ret` null when still blocked at the limit. */
export interface EchoOutcome {
  readonly ret: number | null;
  readonly blocked: boolean;
  readonly elapsedNs: number;
}

/** `echo TEXT > FILE` (TEXT and a newline): the write's return, running virtual time while it blocks (at most `limitNs`). */
export function echo(sim: Simulation, tool: NtbTool, path: string, value: string, limitNs = 5_000_000_000): EchoOutcome {
  const start = sim.now;
  let ended: number | null = null;
  const ret = tool.write(path, `${value}\n`, (v) => {
    ended = v;
    sim.stop();
  });
  if (ret !== null) {
    settle(sim, tool);
    return { ret, blocked: false, elapsedNs: 0 };
  }
  const until = sim.now + limitNs;
  while (ended === null && sim.now < until) sim.run({ until });
  return { ret: ended, blocked: true, elapsedNs: sim.now - start };
}

/** Time passes as between two typed commands: to the end of the syscall, then 10 µs for its posted writes to land (the fabric's latency is ~1 µs). */
export function settle(sim: Simulation, tool: NtbTool): void {
  sim.run({ until: Math.max(sim.now, tool.busyUntil) + 10_000 });
}

/** `echo` and its return only. */
export function echoRet(sim: Simulation, tool: NtbTool, path: string, value: string): number | null {
  return echo(sim, tool, path, value).ret;
}

/** Bring the link up from the RC (ntb_hw_epf sends LINK_UP; vNTB's link_enable is a no-op). */
export function linkUp(rig: ToolRig): void {
  const r = echo(rig.sim, rig.tool.rc, 'link', 'Y');
  if (r.ret !== 2) throw new Error(`echo Y > link: ${r.ret}`);
  runFor(rig.sim, 20_000_000);
}
