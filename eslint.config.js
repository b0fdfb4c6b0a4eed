// ESLint flat config: type-checked rules over all TypeScript sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** One no-restricted-imports rule per folder (a later entry replaces an earlier one, so each repeats the sim ban). */
function layers(entries) {
  return entries.map(([files, banned]) => ({
    files: [files],
    ignores: ['**/*.test.ts', '**/*.test-helpers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(banned.length
              ? [{ group: banned, message: `${files.split('/*')[0]} must not import this layer.` }]
              : []),
            {
              group: ['**/sim/*', '**/sim/**'],
              message: 'actions/lib never imports the simulators.',
            },
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', '.tools/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Layers: the Proxmox client stands below the domain, kubeconfig does not reach into
  // provisioning, and the library never imports the simulators (tests may).
  ...layers([
    ['actions/lib/**/*.ts', []],
    ['actions/lib/proxmox/**/*.ts', ['../vm/*', '../reconcile/*']],
    ['actions/lib/kubeconfig/**/*.ts', ['../provision/*']],
  ]),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
