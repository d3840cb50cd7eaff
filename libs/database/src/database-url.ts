import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres';

/** Database the service uses inside the embedded cluster. */
export const EMBEDDED_DATABASE = 'capsules';

export interface DatabaseLocation {
  url: string;
  /** Set when the embedded server was started (or adopted) for this process. */
  embedded?: EmbeddedPostgresServer;
}

export interface DatabaseLocationConfig {
  databaseUrl?: string;
  dataDir: string;
  embeddedPort: number;
}

/**
 * `DATABASE_URL` when it is set; otherwise a real PostgreSQL from the
 * `embedded-postgres` package, with its cluster under `<dataDir>/postgres`.
 */
export async function locateDatabase(
  config: DatabaseLocationConfig,
  log: (message: string) => void,
): Promise<DatabaseLocation> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir, 'postgres'),
    port: config.embeddedPort,
    log,
  });
  await embedded.ensureDatabase(EMBEDDED_DATABASE);
  return { url: embedded.url(EMBEDDED_DATABASE), embedded };
}
