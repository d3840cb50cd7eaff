/**
 * Every route the HTTP server knows, by method, so that a request to a known
 * path with the wrong method gets 405 with an `Allow` header instead of 404.
 * Filled from Fastify's onRoute hook as routes are registered.
 */
export class RouteRegistry {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(url: string, methods: string | string[]): void {
    // The CORS plugin's catch-all OPTIONS route says nothing about a path.
    if (url === '*' || url === '/*') return;
    let known = this.byUrl.get(url);
    if (!known) {
      known = new Set();
      this.byUrl.set(url, known);
      this.routes.push({ pattern: toPattern(url), methods: known });
    }
    for (const method of Array.isArray(methods) ? methods : [methods]) known.add(method.toUpperCase());
  }

  /** Methods allowed on a concrete path, sorted; empty when no route matches it. */
  allowedMethods(path: string): string[] {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      if (route.pattern.test(path)) route.methods.forEach((m) => allowed.add(m));
    }
    return [...allowed].sort();
  }
}

function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}
