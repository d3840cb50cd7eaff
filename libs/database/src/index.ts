export * from './data-source-options';
export * from './database-url';
export * from './embedded-postgres';
export * from './migration-runner';
export * from './typeorm-logger';
export * from './byte-budget';
export * from './schema-snapshot';
export * from './ledger-vocabulary';
