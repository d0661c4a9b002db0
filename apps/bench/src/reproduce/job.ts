/**
 * Running one pool job (a configuration run) in whatever thread the pool put it on.
 */
import { extendProfile, getProfile, parseProfile } from '@ntbsim/kernel';
import type { Job } from './reproduce.js';
import { runScenario, type RunResult } from './run.js';

/** Run `job`: resolve its profile (name, JSON, patch) and run its configuration once. */
export function runJob(job: Job): RunResult {
  const base = job.options.profileJson !== undefined ? parseProfile(job.options.profileJson, 'profile') : getProfile(job.options.profileName ?? 'rcar-s4');
  const profile = job.options.profilePatch === undefined ? base : extendProfile(base, job.options.profilePatch);
  return runScenario(job.config, { ...job.options, profile });
}
