import { writeFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@app/common';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './configure-app';
import { runCommand } from './command';
import { OPENAPI_FILE, serializeOpenApi } from './openapi-file';

/**
 * `npm run openapi`: builds the app as `npm start` does (database included,
 * since the modules connect on start) and writes the document it serves to
 * openapi.json. A test fails when the committed file differs.
 */
runCommand('OpenAPI', async ({ config, databaseUrl, logger }) => {
  const pino = createLogger({ ...config, logLevel: 'warn' }, {});
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, databaseUrl, logger: pino }),
    createHttpAdapter(config, pino),
    { logger: false },
  );
  try {
    const document = configureApp(app, config);
    writeFileSync(OPENAPI_FILE, serializeOpenApi(document));
    logger.log(`wrote ${OPENAPI_FILE} (${Object.keys(document.paths).length} paths)`);
  } finally {
    await app.close();
  }
});
