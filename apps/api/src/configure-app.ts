import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { type AppConfig, ProblemDetailsFilter, RequestValidationPipe, RouteRegistry } from '@app/common';
import { SERVICE_DESCRIPTION, SERVICE_NAME, SERVICE_VERSION } from './service-info';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP adapter: Fastify with the body limit and request ids. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logger: false,
  });
}

/**
 * Everything about the HTTP surface that is not a route: validation, errors,
 * CORS, request ids and the OpenAPI document. main.ts and the tests share it,
 * so the tests exercise exactly what production serves.
 */
export function configureApp(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: any other body (text/plain included, which Fastify parses by default) is a 415.
  fastify.removeContentTypeParser(['text/plain']);
  const routes = new RouteRegistry();
  fastify.addHook('onRoute', (route) => routes.add(route.url, route.method));
  // Set as the request arrives (a synchronous hook: no promise per request); every answer carries it.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(routes));
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id', 'Idempotency-Key'],
    exposedHeaders: ['Link', 'Location', 'X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  return setupOpenApi(app);
}

function setupOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`${SERVICE_NAME} API`)
      .setDescription(SERVICE_DESCRIPTION)
      .setVersion(SERVICE_VERSION)
      .build(),
  );
  for (const [docs, spec] of [
    ['docs', 'openapi.json'],
    ['api/docs', 'api/openapi.json'],
  ]) {
    SwaggerModule.setup(docs, app, document, { jsonDocumentUrl: spec, yamlDocumentUrl: `${spec.slice(0, -5)}.yaml` });
  }
  return document;
}
