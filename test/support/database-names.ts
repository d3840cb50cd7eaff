/** Every database the tests create starts with this. */
export const TEST_DATABASE_PREFIX = 'capsules_t_';

/** The same server URL with another database name. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
