// ESLint flat config: typescript-eslint type-checked rules for every package, plus the layer
// rule of DESIGN.md §1 (an import only points down the stack).
import js from '@eslint/js';
import vitest from '@vitest/eslint-plugin';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Which @ntbsim packages each package may import (DESIGN.md §1: arrows only point down). */
const layers = {
  kernel: [],
  'ntb-core': ['kernel'],
  'ntb-hw-epf': ['kernel', 'ntb-core'],
  'ntb-transport': ['kernel', 'ntb-core'],
  'ntb-perf': ['kernel', 'ntb-core'],
  'ntb-tool': ['kernel', 'ntb-core'],
  'ntb-pingpong': ['kernel', 'ntb-core'],
  'net-core': ['kernel'],
  'ntb-netdev': ['kernel', 'ntb-core', 'ntb-transport', 'net-core'],
  'ethtool-ops': ['kernel', 'net-core', 'ntb-netdev'],
  bench: ['kernel', 'ntb-core', 'ntb-hw-epf', 'ntb-transport', 'ntb-perf', 'ntb-tool', 'ntb-pingpong', 'net-core', 'ntb-netdev', 'ethtool-ops'],
};
const all = Object.keys(layers);

const layerRules = Object.entries(layers).map(([pkg, allowed]) => {
  const dir = pkg === 'bench' ? 'apps/bench' : `packages/${pkg}`;
  const forbidden = all.filter((p) => p !== pkg && !allowed.includes(p));
  return {
    files: [`${dir}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@ntbsim/*/src', '@ntbsim/*/src/*'], message: 'Import the package entry, not its sources.' },
            ...(forbidden.length > 0
              ? [{ group: forbidden.map((p) => `@ntbsim/${p}`), message: `${pkg} may only import ${allowed.join(', ') || 'no other layer'} (DESIGN.md §1).` }]
              : []),
          ],
        },
      ],
    },
  };
});

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'bench-results/**', '*.config.ts', 'vitest.shared.ts', 'vitest.setup.ts', '**/vitest.config.ts'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'max-params': ['error', 4],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  ...layerRules,
  {
    files: ['**/test/**/*.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      'max-params': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' },
    },
  },
);
