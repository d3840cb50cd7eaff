import type { FastifyReply, FastifyRequest } from 'fastify';
import { nextLink } from '../pagination/keyset-cursor';
import type { Page } from '../dto/page-query.dto';

/** Sets `Link: <…>; rel="next"` when the page has a successor, and returns its rows. */
export function sendPage<T, R>(page: Page<T>, request: FastifyRequest, reply: FastifyReply, map: (item: T) => R): R[] {
  if (page.next) {
    const path = request.url.split('?')[0];
    void reply.header('link', nextLink(path, (request.query ?? {}) as Record<string, unknown>, page.next));
  }
  return page.items.map(map);
}
