/**
 * Shared vitest settings: every workspace package's tests read the other packages'
 * TypeScript sources (not their `dist/`), so `npm test` needs no build before testing.
 */
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const entry = join(dir, name, 'src', 'index.ts');
      if (existsSync(entry)) aliases[`@ntbsim/${name}`] = entry;
    }
  }
  return aliases;
}

/** The vitest config of one workspace package, named after it. */
export function packageConfig(name: string, extra: { testTimeout?: number } = {}): ViteUserConfig {
  return defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      setupFiles: [join(root, 'vitest.setup.ts')],
      restoreMocks: true,
      clearMocks: true,
      testTimeout: extra.testTimeout ?? 30_000,
    },
  });
}
