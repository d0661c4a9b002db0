/**
 * A reproduce/sweep worker thread: runs one job per message and posts the result.
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from './job.js';
import type { Job } from './reproduce.js';

parentPort?.on('message', (job: Job) => {
  try {
    parentPort?.postMessage({ ok: true, result: runJob(job) });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  }
});
