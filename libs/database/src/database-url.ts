import path from 'node:path';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres';
import { oneLine } from './embedded-postgres-placement';

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
 * `embedded-postgres` package, with its cluster under `<dataDir>/postgres`
 * (as root, possibly relocated: see startEmbeddedPostgres). A failure to start
 * it is an EmbeddedPostgresError: one line saying why and what to do.
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
  try {
    await embedded.ensureDatabase(EMBEDDED_DATABASE);
  } catch (error) {
    // Not left running behind a failed start.
    if (!embedded.adopted) await embedded.stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL in ${embedded.dataDir} started but database "${EMBEDDED_DATABASE}" could not be ` +
        `opened: ${oneLine(reason)}. Set DATABASE_URL to use another PostgreSQL, or move ${embedded.dataDir} ` +
        'away to start with a new cluster.',
      { cause: error },
    );
  }
  return { url: embedded.url(EMBEDDED_DATABASE), embedded };
}
