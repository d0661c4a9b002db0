/**
 * Running one pool job (a configuration run) in whatever thread the pool put it on.
 */
import { extendProfile, getProfile, parseProfile } from '@ntbsim/kernel';
import type { Job, JobOutcome } from './reproduce.js';
import { RunFailure, runScenario, type RunResult } from './run.js';

/** Run `job`: resolve its profile (name, JSON, patch) and run its configuration once. */
export function runJob(job: Job): RunResult {
  const base = job.options.profileJson !== undefined ? parseProfile(job.options.profileJson, 'profile') : getProfile(job.options.profileName ?? 'rcar-s4');
  const profile = job.options.profilePatch === undefined ? base : extendProfile(base, job.options.profilePatch);
  return runScenario(job.config, { ...job.options, profile });
}

/** Run `job`, turning any exception into a failed outcome (its message, and the stall diagnosis of a RunFailure). */
export function runJobOutcome(job: Job): JobOutcome {
  try {
    return { ok: true, result: runJob(job) };
  } catch (e) {
    if (e instanceof RunFailure) return { ok: false, error: e.message, stall: e.stall };
    return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stall: null };
  }
}
