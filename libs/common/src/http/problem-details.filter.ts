import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../errors/database-unavailable';
import { DomainError, ServiceUnavailableError } from '../errors/domain-error';
import { plainProblem, type ProblemBody } from './problem-details';
import type { RouteRegistry } from './route-registry';
import { domainProblem, sendProblem } from './send-problem';

/** Fastify's own client errors (body parsing, content type, size) carry these. */
interface FastifyClientError {
  statusCode: number;
  code: string;
  message: string;
}

/** Clearer words than the framework's for body errors, which happen before any route runs. */
const BODY_ERROR_DETAILS: Record<number, string> = {
  413: 'The request body is larger than the limit',
  415: 'Unsupported content type: send the body as application/json',
};

/** Codes of the body errors Fastify raises while reading a request (documented on every route with a body). */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
};

/** The same codes by status, for the errors that carry no Fastify code (Nest's own 415 for forms). */
const STATUS_CODE_NAMES: Record<number, string> = { 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/**
 * The `code` of a framework error: a known Fastify code's, else the status's
 * (BAD_REQUEST, NOT_FOUND…), so every problem answer carries one.
 */
export function frameworkErrorCode(status: number, fastifyCode?: string): string {
  if (fastifyCode && FRAMEWORK_CODES[fastifyCode]) return FRAMEWORK_CODES[fastifyCode];
  if (fastifyCode?.startsWith('FST_')) return fastifyCode.replace(/^FST_(ERR_)?/, '');
  return STATUS_CODE_NAMES[status] ?? (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * Turns every exception into RFC 9457 problem+json. Client errors say what
 * was wrong; anything else is a 500 whose body says nothing of the cause
 * (no stack, SQL or driver text): the cause is logged with the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly routes: RouteRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const path = request.url.split('?')[0];
    const problem = this.toProblem(
      isDatabaseUnavailable(exception)
        ? new ServiceUnavailableError('The database is unavailable; retry shortly', 'DATABASE_UNAVAILABLE')
        : exception,
      request,
      path,
      reply,
    );
    if (problem.status >= 500) {
      const entry = {
        message: 'request failed',
        request_id: request.id,
        method: request.method,
        path,
        err: describe(exception),
      };
      if (problem.status === 503) this.logger.warn(entry);
      else this.logger.error(entry);
    }
    sendProblem(request, reply, problem);
  }

  private toProblem(exception: unknown, request: FastifyRequest, path: string, reply: FastifyReply): ProblemBody {
    if (exception instanceof DomainError) return domainProblem(exception, reply);
    if (exception instanceof NotFoundException && isRouterMiss(exception)) {
      const allowed = this.routes.allowedMethods(path);
      if (allowed.length > 0) {
        void reply.header('allow', allowed.join(', '));
        return plainProblem(405, `Method ${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, {
          code: 'METHOD_NOT_ALLOWED',
        });
      }
      return plainProblem(404, `No route matches ${request.method} ${path}`, { code: 'ROUTE_NOT_FOUND' });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Fastify's own errors reach here as HttpExceptions (Nest maps them) with the original as the cause.
      const cause = isFastifyClientError(exception.cause) ? exception.cause.code : undefined;
      const code = frameworkErrorCode(status, cause);
      if (status < 500) return plainProblem(status, BODY_ERROR_DETAILS[status] ?? httpDetail(exception), { code });
      return plainProblem(status, 'The server could not handle the request', { code: 'INTERNAL_ERROR' });
    }
    if (isFastifyClientError(exception)) {
      return plainProblem(exception.statusCode, BODY_ERROR_DETAILS[exception.statusCode] ?? exception.message, {
        code: frameworkErrorCode(exception.statusCode, exception.code),
      });
    }
    return plainProblem(500, 'An unexpected error occurred; quote the request id when reporting it', {
      code: 'INTERNAL_ERROR',
    });
  }
}

function isRouterMiss(exception: NotFoundException): boolean {
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  return typeof message === 'string' && message.startsWith('Cannot ');
}

function httpDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return exception.message;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Partial<FastifyClientError>;
  return (
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_')
  );
}

function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error) return { name: exception.name, message: exception.message, stack: exception.stack };
  return { value: String(exception) };
}
