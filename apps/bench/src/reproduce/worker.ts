/**
 * A reproduce/sweep worker thread: runs one configuration run per message and posts the result.
 */
import { extendProfile, getProfile, parseProfile } from '@ntbsim/kernel';
import { parentPort } from 'node:worker_threads';
import type { Job } from './reproduce.js';
import { runScenario } from './run.js';

parentPort?.on('message', (job: Job) => {
  try {
    const base = job.options.profileJson !== undefined ? parseProfile(job.options.profileJson, 'profile') : getProfile(job.options.profileName ?? 'rcar-s4');
    const profile = job.options.profilePatch === undefined ? base : extendProfile(base, job.options.profilePatch);
    const result = runScenario(job.config, { ...job.options, profile });
    parentPort?.postMessage({ ok: true, result });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  }
});
