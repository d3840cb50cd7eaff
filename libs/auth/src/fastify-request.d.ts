import type { Principal } from './api-keys.service';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated the request (set by ApiKeyGuard; null without one). */
    principal: Principal | null;
  }
}
