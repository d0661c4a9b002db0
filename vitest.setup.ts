/**
 * Test setup shared by every package: property tests run a fixed fast-check seed, so a red run
 * is reproducible and a green one stays green. FC_SEED=<n> replays a reported failure (with the
 * path fast-check prints, as FC_PATH where a suite reads it); FC_SEED=random explores new cases.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: Number(seed ?? 20261122) });
