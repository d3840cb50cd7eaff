import { RouteRegistry } from './route-registry';

describe('RouteRegistry', () => {
  const routes = new RouteRegistry();
  routes.add('/api/capsules', ['GET', 'HEAD']);
  routes.add('/api/capsules', 'POST');
  routes.add('/api/capsules/:slug', ['GET', 'PATCH', 'DELETE']);
  routes.add('/api/capsules/runs', 'GET');
  routes.add('*', 'OPTIONS');

  it('lists the methods of a static path', () => {
    expect(routes.allowedMethods('/api/capsules')).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('matches parameters and merges overlapping routes', () => {
    expect(routes.allowedMethods('/api/capsules/dawn-dispatch')).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(routes.allowedMethods('/api/capsules/runs')).toEqual(['DELETE', 'GET', 'PATCH']);
  });

  it('knows no method for an unknown path, despite the CORS catch-all', () => {
    expect(routes.allowedMethods('/nope')).toEqual([]);
    expect(routes.allowedMethods('/api/capsules/a/b')).toEqual([]);
  });
});
