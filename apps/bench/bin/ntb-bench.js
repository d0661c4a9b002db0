#!/usr/bin/env node
/**
 * The `ntb-bench` command as npm links it: this file exists before the build, so `npm ci`
 * links it into node_modules/.bin (a bin pointing into dist/ is skipped on a fresh clone); it
 * runs the built CLI, dist/cli.js, or says how to build it.
 */
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write('ntb-bench: not built yet: run `npm run build` (or `npx turbo run build`) in the workspace first\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
