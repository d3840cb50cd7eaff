// Three tiers, named by cost: *.spec.ts (unit, no database), *.db-spec.ts
// (repositories, views, migrations on a real PostgreSQL) and *.e2e-spec.ts
// (HTTP through the real app). The global setup starts one PostgreSQL (the
// embedded one, or TEST_DATABASE_URL) and migrates a template database;
// each test file clones the template, so files run in parallel on their own rows.

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];

// NestJS 12 packages are ES modules; Jest's module system needs them as CommonJS.
const esmPackages = ['@nestjs', 'content-disposition'];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@app/(alerts|analytics|auth|capsules|common|database|runs|schedules)$': '<rootDir>/libs/$1/src',
  },
  setupFiles: ['reflect-metadata'],
};

// The tiers that run the app: every answer of a test app is checked against the committed
// openapi.json, and one that no request claimed fails the test in this afterEach.
const checked = { setupFilesAfterEnv: ['<rootDir>/test/support/openapi-check.setup.ts'] };

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'] },
    { ...shared, ...checked, displayName: 'db', testMatch: ['<rootDir>/{apps,libs,test}/**/*.db-spec.ts'] },
    { ...shared, ...checked, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e-spec.ts'] },
  ],
};
