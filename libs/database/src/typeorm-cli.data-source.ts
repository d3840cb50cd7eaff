import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

/**
 * Data source for the TypeORM CLI (`npm run typeorm -- migration:show`).
 * It needs DATABASE_URL: the CLI cannot start the embedded server.
 */
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('DATABASE_URL must be set to use the TypeORM CLI');
}

export default new DataSource(buildDataSourceOptions({ url }));
