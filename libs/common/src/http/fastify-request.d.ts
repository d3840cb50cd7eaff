import type { RequestDeadlines } from './request-deadline';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's REQUEST_TIMEOUT_MS entry (set in onRequest, settled in onResponse). */
    deadline: ReturnType<RequestDeadlines['start']> | null;
  }
}

export {};
