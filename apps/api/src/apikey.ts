import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type ApiKeyScope, ApiKeysService, AuthModule, parseConfiguredApiKeys } from '@app/auth';
import { type AppConfig, CommonModule, RequestValidationError } from '@app/common';
import { buildDataSourceOptions, DatabaseModule, runMigrations } from '@app/database';
import { migrationSettings, runCommand, UsageError } from './command';

const USAGE = `usage:
  npm run apikey -- create --name <name> --scope read|write|admin   prints the new key once
  npm run apikey -- list                                            every key (never the key itself)
  npm run apikey -- revoke <name-or-id>                             stops the key within 5 seconds`;

/**
 * API keys in the database: `npm run apikey -- create|list|revoke`. The
 * key is printed once, on stdout alone (explanations go to stderr), and only
 * its SHA-256 is stored. Migrations are applied first when MIGRATE_ON_BOOT
 * allows (as `npm start` would).
 */
runCommand('ApiKey', async ({ config, databaseUrl }) => {
  // Bad API_KEYS / API_KEYS_FILE entries: a ConfigError (exit 2), as for the app's boot.
  const environmentKeys = parseConfiguredApiKeys(config);
  const [command, ...args] = process.argv.slice(2);
  if (!['create', 'list', 'revoke'].includes(command ?? '')) throw new UsageError(USAGE);
  if (config.migrateOnBoot) await runMigrations(migrationSettings(config, databaseUrl));
  const context = await NestFactory.createApplicationContext(keysModule(config, databaseUrl), { logger: false });
  try {
    const keys = context.get(ApiKeysService);
    if (command === 'create') {
      const name = flag(args, '--name');
      const scope = flag(args, '--scope') as ApiKeyScope;
      const { id, key } = await keys.create(name, scope).catch((error: unknown) => {
        throw error instanceof RequestValidationError
          ? new UsageError(error.errors.map((e) => e.message).join('; '))
          : error;
      });
      process.stderr.write(`Created key "${name}" (id ${id}, scope ${scope}). It is shown once; store it now:\n`);
      process.stdout.write(`${key}\n`);
    } else if (command === 'list') {
      const rows = await keys.list();
      process.stdout.write(`${['id', 'name', 'scope', 'created_at', 'revoked_at'].join('\t')}\n`);
      for (const row of rows) {
        const revoked = row.revoked_at?.toISOString() ?? '-';
        process.stdout.write(`${[row.id, row.name, row.scope, row.created_at.toISOString(), revoked].join('\t')}\n`);
      }
      if (environmentKeys.length > 0) {
        process.stderr.write(
          `Also ${environmentKeys.length} key(s) from API_KEYS / API_KEYS_FILE: ${environmentKeys.map((k) => `${k.name} (${k.scope})`).join(', ')}\n`,
        );
      }
    } else {
      const target = args[0] === '--name' ? args[1] : args[0];
      if (!target) throw new UsageError(USAGE);
      const revoked = await keys.revoke(target);
      if (!revoked) throw new UsageError(`no active key named or with id "${target}"`);
      process.stderr.write(`Revoked "${revoked}"; replicas stop accepting it within 5 seconds.\n`);
    }
  } finally {
    await context.close();
  }
});

function flag(args: string[], name: string): string {
  const at = args.indexOf(name);
  const value = at >= 0 ? args[at + 1] : undefined;
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} is required\n${USAGE}`);
  return value;
}

function keysModule(config: AppConfig, url: string) {
  @Module({
    imports: [
      CommonModule.forRoot(config),
      TypeOrmModule.forRoot({
        ...buildDataSourceOptions({ url, poolSize: 1 }),
        autoLoadEntities: true,
        retryAttempts: 0,
      }),
      DatabaseModule,
      AuthModule,
    ],
  })
  class ApiKeyCommandModule {}
  return ApiKeyCommandModule;
}
