declare module 'fastify' {
  interface FastifyRequest {
    /** The REQUEST_TIMEOUT_MS timer (set in onRequest, cleared in onResponse). */
    deadline: NodeJS.Timeout | null;
  }
}

export {};
