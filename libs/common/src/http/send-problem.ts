import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DomainError, RequestValidationError } from '../errors/domain-error';
import { problemType, type ProblemBody } from './problem-details';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Sends a problem+json answer with the request's path and id (body and X-Request-Id). */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemBody): void {
  problem.instance = request.url.split('?')[0];
  problem.request_id = request.id;
  void reply
    .status(problem.status)
    .header('x-request-id', request.id)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem));
}

/** The problem body of a domain error; its headers (Retry-After, WWW-Authenticate) go on `reply`. */
export function domainProblem(error: DomainError, reply: FastifyReply): ProblemBody {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  return problemBody(error);
}

/** The problem body of a domain error (also the OpenAPI document's examples, so they are what is sent). */
export function problemBody(error: DomainError): ProblemBody {
  const body: ProblemBody = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...error.extensions,
  };
  if (error instanceof RequestValidationError) body.errors = error.errors;
  return body;
}
