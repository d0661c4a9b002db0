export { CostModel } from './costs.js';
export { Cpu } from './cpu.js';
export { ERRNO, errnoName, strerror, type Errno } from './errno.js';
export { KernelError, showValue, type KernelErrorCode } from './errors.js';
export { EventQueue, type SimEvent } from './eventQueue.js';
export { createHost, formatPrintk, Host, LOG_BUF_LINES, type IrqOptions, type TaskOptions } from './host.js';
export { IrqVector, type CallFunction, type IrqHandler } from './irq.js';
export {
  kstrtobool,
  kstrtoboolFromUser,
  kstrtoint,
  kstrtointFromUser,
  kstrtoll,
  kstrtollFromUser,
  kstrtou8FromUser,
  kstrtouint,
  kstrtouintFromUser,
  kstrtoull,
  kstrtoullFromUser,
  parseInteger,
  parseIntegerFixupRadix,
} from './kstrtox.js';
export {
  builtinProfiles,
  extendProfile,
  getProfile,
  parseProfile,
  pcieBytesPerSec,
  ProfileError,
  type ProfileIssue,
  type ProfilePatch,
} from './profile/profile.js';
export { DEFAULT_RAM_MIB, PARAM_SOURCES, profileSchema, type ParamSource, type PlatformProfile, type ProfileParam } from './profile/schema.js';
export { rcarS4Profile } from './profile/rcarS4.js';
export { x86ServerProfile } from './profile/x86Server.js';
export { Rng } from './rng.js';
export { createSimulation, Simulation } from './simulation.js';
export { Softirq, Tasklet, type SoftirqFn } from './softirq.js';
export { DelayedWork, Task, Work, Workqueue, type TaskFn, type TaskState } from './task.js';
export { Hrtimer, Timer, type HrtimerMode, type TimerFn } from './timer.js';
export { ms, NS_PER_MS, NS_PER_SEC, NS_PER_US, sec, transferNs, us, type Ns } from './time.js';
export { runSlices, toChromeTrace, TraceBuffer, type ChromeTrace, type ChromeTraceEvent, type RunSlice, type TraceRecord } from './trace.js';
export { hashedPointer } from './vsprintf.js';
export {
  CONTEXT_KINDS,
  IPI_TYPES,
  SOFTIRQ_VECTORS,
  type ContextKind,
  type CpuUsage,
  type ExecContext,
  type HostOptions,
  type IpiType,
  type Runnable,
  type RunOptions,
  type SimulationOptions,
  type SoftirqVector,
  type TaskStep,
} from './types.js';
