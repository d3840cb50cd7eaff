import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemBody } from './problem-details';

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
