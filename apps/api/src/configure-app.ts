import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { API_KEY_HEADER_SCHEME, BEARER_SCHEME } from '@app/auth';
import {
  type AppConfig,
  BadRequestError,
  checkedJsonText,
  domainProblem,
  Lifecycle,
  plainProblem,
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  RequestValidationPipe,
  RouteRegistry,
  securityHeaders,
  sendProblem,
  RequestDeadlines,
  ShuttingDownError,
} from '@app/common';
import { MetricsService } from './metrics/metrics.service';
import { documentCommonProblems } from './openapi-problems';
import { SERVICE_DESCRIPTION, SERVICE_NAME, SERVICE_VERSION } from './service-info';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * helmet's headers: Swagger UI (/docs) loads its own scripts and styles and inline styles; nothing
 * else serves HTML. No `upgrade-insecure-requests` (a helmet default): over plain HTTP on any host
 * but localhost it made the browser fetch Swagger UI's own scripts over https, a blank page. Behind
 * TLS the page's same-origin scripts are https already, so it protected nothing.
 */
const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    directives: {
      upgradeInsecureRequests: null,
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-site' as const },
};
const SECURITY_HEADERS = securityHeaders(HELMET_OPTIONS);

/** Answers to what the HTTP parser rejects before it is a request (no route, no hook, no filter runs). */
const CLIENT_ERRORS: Record<number, { code: string; detail: string }> = {
  400: { code: 'MALFORMED_REQUEST', detail: 'Malformed HTTP request' },
  408: { code: 'REQUEST_INCOMPLETE', detail: 'The request did not arrive in full within the request timeout' },
  431: { code: 'HEADERS_TOO_LARGE', detail: 'The request line or headers are larger than the limit' },
};

/** The HTTP adapter: Fastify with the body limit, request ids, the process's pino logger and timeouts. */
export function createHttpAdapter(config: AppConfig, logger: PinoLogger): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,

    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    loggerInstance: logger,
    // One line per request comes from the onResponse hook in configureApp (with the route template).
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    trustProxy: trustedProxies(config.trustProxy),
    // Slugs are up to 120 characters; the router's default (100) answered a valid slug 414. A
    // trailing slash names the same resource (`GET /api/capsules/` answered a 405 allowing GET).
    routerOptions: { maxParamLength: 500, ignoreTrailingSlash: true },
    // A request without Host reaches the app, which answers it a 400 problem with the usual
    // headers (Node's own answer was a bare 400 without any).
    http: { requireHostHeader: false },
    // The router rejects a malformed URL (400) or an over-long parameter (414) before any hook or
    // Nest filter runs: answer those as problem+json with the request id, like every other error.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      const detail =
        status === 414
          ? 'A path parameter is longer than the limit'
          : 'The request URL is malformed (bad percent-encoding)';
      void reply.headers(SECURITY_HEADERS);
      sendProblem(request, reply, plainProblem(status, detail, { code: error.code.replace(/^FST_ERR_/, '') }));
    },
    // Errors of the HTTP parser itself (a request line or headers over the limit: 431, garbage: 400).
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (!socket.writable) return;
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const id = randomUUID();
      const body = JSON.stringify({
        ...plainProblem(status, CLIENT_ERRORS[status].detail, { code: CLIENT_ERRORS[status].code }),
        request_id: id,
      });
      const headers = { ...SECURITY_HEADERS, 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': id };
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
          Object.entries(headers)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    // The whole request (headers and body) must arrive within the request timeout (slow clients).
    requestTimeout: config.requestTimeoutMs,
    // While closing, the onRequest hook in configureApp answers a problem+json 503 (Fastify's own is bare JSON).
    return503OnClosing: false,
  });
}

/**
 * TRUST_PROXY as Fastify wants it. A hop count N trusts the socket peer and the N-1 entries
 * before it from the right of X-Forwarded-For (a function: Fastify's own number form kept the
 * socket address here), so the client address is the entry our outermost proxy appended.
 */
function trustedProxies(
  trust: AppConfig['trustProxy'],
): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * Everything about the HTTP surface that is not a route: security headers,
 * validation, errors, CORS, request ids, the request log line and metrics,
 * and the OpenAPI document. main.ts and the tests share it, so the tests
 * exercise exactly what production serves.
 */
/** The batch ingestion route (its body limit is BATCH_BODY_LIMIT_BYTES). */
const BATCH_ROUTE = '/api/capsules/runs/batch';

export function configureApp(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const fastify = app.getHttpAdapter().getInstance();
  app.useLogger(app.get(Logger));
  // JSON only: any other body (text/plain included, which Fastify parses by default) is a 415.
  fastify.removeContentTypeParser(['text/plain']);
  // Nest would add a form parser at init: a form post is the one body a browser sends cross-site
  // without a CORS preflight, so it must not register or run anything (415, like any non-JSON body).
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_request, _body, done) =>
    done(new UnsupportedMediaTypeException(), undefined),
  );
  // JSON bodies: checked for UTF-8 and nesting depth (400) before Fastify's parser (proto-poisoning
  // refused) runs; registered through Nest so its default JSON parser does not replace this one.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (request, body, done) => {
    let text: string;
    try {
      text = checkedJsonText(body);
    } catch (error) {
      return done(error as Error, undefined);
    }
    void parseJson(request as Parameters<typeof parseJson>[0], text, done);
  });
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('deadline', null);
  const routes = new RouteRegistry();
  fastify.addHook('onRoute', (route) => {
    routes.add(route.url, route.method);
    // A batch of up to 1,000 reports gets a body limit of its own.
    if (route.url === BATCH_ROUTE) route.bodyLimit = config.batchBodyLimitBytes;
  });
  // Set as the request arrives (a synchronous hook: no promise per request); every answer, errors
  // included, carries the request id and helmet's headers, and is bounded by REQUEST_TIMEOUT_MS.
  const deadlines = new RequestDeadlines(config.requestTimeoutMs);
  fastify.addHook('onClose', (_instance, done) => {
    deadlines.stop();
    done();
  });
  const lifecycle = app.get(Lifecycle);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id).headers(SECURITY_HEADERS);
    // The listener is closed (SIGTERM): a request on a kept-alive connection is refused, not started.
    if (lifecycle.closing) return sendProblem(request, reply, domainProblem(new ShuttingDownError(), reply));
    // HTTP/1.1 requires Host (RFC 9112 §3.2).
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return sendProblem(
        request,
        reply,
        domainProblem(
          new BadRequestError('The request has no Host header (HTTP/1.1 requires one)', 'MISSING_HOST'),
          reply,
        ),
      );
    }
    request.deadline = deadlines.start(request, reply);
    done();
  });
  // Answers the CORS plugin sends from its own earlier hook (preflights, and a bare OPTIONS: the
  // methods of the path in `Allow`) get the request id and helmet's headers like every other.
  // The plugin answers only OPTIONS itself, so every other answer skips this at once.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.method !== 'OPTIONS') return done(null, payload);
    if (!reply.hasHeader('x-request-id')) void reply.header('x-request-id', request.id).headers(SECURITY_HEADERS);
    if (!request.headers['access-control-request-method']) {
      const allowed = routes.allowedMethods(request.url.split('?')[0]);
      if (allowed.length > 0) void reply.header('allow', [...allowed, 'OPTIONS'].join(', '));
    }
    done(null, payload);
  });
  const metrics = app.get(MetricsService);
  // One log line and one metrics observation per answered request, labelled by route template.
  fastify.addHook('onResponse', (request, reply, done) => {
    deadlines.settle(request.deadline);
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.observe(request.method, route, status, reply.elapsedTime / 1000);
    request.log[status >= 500 ? 'error' : 'info'](
      {
        method: request.method,
        route,
        url: request.url,
        status,
        latency_ms: Math.round(reply.elapsedTime * 100) / 100,
        api_key: request.principal?.name,
        client_ip: request.ip,
      },
      'request completed',
    );
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
    // A bare OPTIONS (no preflight headers) is a 204 with `Allow`, not the plugin's text/plain 400.
    strictPreflight: false,
  });
  return setupOpenApi(app);
}

/** The OpenAPI document the app serves (also written to openapi.json by `npm run openapi`). */
export function createOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`${SERVICE_NAME} API`)
      .setDescription(SERVICE_DESCRIPTION)
      .setVersion(SERVICE_VERSION)
      .addServer('/', 'This server')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' },
        BEARER_SCHEME,
      )
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same key in the X-API-Key header' },
        API_KEY_HEADER_SCHEME,
      )
      .build(),
  );
  // Routes without a key requirement (probes, service info) say so explicitly: `security: []`.
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'post', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
  documentCommonProblems(document);
  return document;
}

function setupOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = createOpenApiDocument(app);
  for (const [docs, spec] of [
    ['docs', 'openapi.json'],
    ['api/docs', 'api/openapi.json'],
  ]) {
    SwaggerModule.setup(docs, app, document, { jsonDocumentUrl: spec, yamlDocumentUrl: `${spec.slice(0, -5)}.yaml` });
  }
  return document;
}
