/**
 * A reproduce/sweep worker thread: runs one job per message and posts its outcome.
 */
import { parentPort } from 'node:worker_threads';
import { runJobOutcome } from './job.js';
import type { Job } from './reproduce.js';

parentPort?.on('message', (job: Job) => {
  parentPort?.postMessage(runJobOutcome(job));
});
