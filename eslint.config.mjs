import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Dependencies point one way: apps -> libs; runs -> alerts -> capsules -> schedules (a run report
 * writes its flips in its own transaction); analytics reads capsules and schedules; features -> auth,
 * database, common;
 * common and database know no feature. Each lib may import only the libs listed for it, through
 * their barrels (`@app/<lib>`), never another lib's files or an app's.
 */
const LIB_DEPENDENCIES = {
  common: [],
  database: [],
  auth: ['common', 'database'],
  schedules: ['common', 'database'],
  capsules: ['common', 'database', 'auth', 'schedules'],
  alerts: ['common', 'database', 'auth', 'capsules', 'schedules'],
  runs: ['common', 'database', 'auth', 'capsules', 'alerts'],
  analytics: ['common', 'database', 'auth', 'capsules', 'schedules'],
};

/** The pg pool is reached through one seam, `pgPool()` in libs/database (ADR 9), never TypeORM's driver. */
const DRIVER_INTERNALS = {
  group: ['typeorm/driver/**'],
  message: "reach the pg pool through pgPool() or Database in @app/database, not TypeORM's driver",
};

function importBoundaries() {
  const libs = Object.keys(LIB_DEPENDENCIES);
  return libs.map((lib) => {
    const forbidden = libs.filter((other) => other !== lib && !LIB_DEPENDENCIES[lib].includes(other));
    return {
      files: [`libs/${lib}/src/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...(forbidden.length
                ? [
                    {
                      group: forbidden.map((other) => `@app/${other}`),
                      message: `libs/${lib} may import only ${LIB_DEPENDENCIES[lib].map((d) => `@app/${d}`).join(', ') || 'no other lib'} (docs/architecture.md: dependencies point one way)`,
                    },
                  ]
                : []),
              { group: ['@app/*/**'], message: 'import a lib through its barrel (@app/<lib>), not its files' },
              {
                // From any depth of a lib's folders: `../../capsules/src`, `../../../capsules/src/dto/x`.
                group: [
                  '**/apps/**',
                  '**/libs/**',
                  ...libs
                    .filter((other) => other !== lib)
                    .flatMap((other) => [`**/${other}/src`, `**/${other}/src/**`]),
                ],
                message: 'a lib imports no app, and other libs only through @app/<lib>',
              },
              ...(lib === 'database' ? [] : [DRIVER_INTERNALS]),
            ],
          },
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...importBoundaries(),
  {
    // The boundaries above are checked on static imports; `require` is refused by typescript-eslint.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression:not([source.value=/^node:/])',
          message: 'libs import statically (the import boundaries are checked on static imports)',
        },
      ],
    },
  },
  {
    files: ['apps/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [DRIVER_INTERNALS] }] },
  },
  {
    // The capsule command is a client of the API (docs/cli.md): no server code in it.
    files: ['apps/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*', '@nestjs/*', 'typeorm', 'pg', '**/libs/**', '**/apps/api/**'],
              message: 'apps/cli speaks HTTP to the API and imports no server code (docs/architecture.md)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.db-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // supertest bodies are `any`: the assertions are what types them.
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'module',
          'require',
          'process',
          'console',
          'Buffer',
          'fetch',
          'setTimeout',
          'setInterval',
          'clearInterval',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The benchmark and the CI scripts are command-line tools: they report on the console.
    files: ['bench/**/*.mjs', 'scripts/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
