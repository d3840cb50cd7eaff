/**
 * `node dist/apps/api/migrate.js`: the path the operations issue names for the
 * migration command; the command itself is src/migrate.ts (also
 * `node dist/apps/api/src/migrate.js`).
 */
import './src/migrate';
