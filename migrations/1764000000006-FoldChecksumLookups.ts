import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checksums are stored exactly as sent (the old service took any string, the
 * empty one included), and looked up by a key that folds the case of a hex
 * digest: `checksum_key()` lower-cases `algo:hex` values (`SHA256:9F86…` and
 * `sha256:9f86…` are the same content; PowerShell's Get-FileHash prints upper
 * case, sha256sum lower case) and leaves every other value as it is (base64 or
 * free text is case-sensitive). The artifacts lookup index moves from the raw
 * value to that key.
 *
 * The index is built inside the migration's transaction (not CONCURRENTLY:
 * that waits for every open transaction, the other replicas' migration runs
 * included), so writes to capsule_runs wait while it is built: seconds per
 * few million runs.
 */
export class FoldChecksumLookups1764000000006 implements MigrationInterface {
  name = 'FoldChecksumLookups1764000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION checksum_key(checksum text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT CASE WHEN checksum ~ '^[A-Za-z0-9-]+:[0-9A-Fa-f]+$' THEN lower(checksum) ELSE checksum END $$`);
    await queryRunner.query(
      `CREATE INDEX capsule_runs_checksum_key_idx
         ON capsule_runs (checksum_key(checksum), started_at DESC, id DESC) WHERE checksum IS NOT NULL`,
    );
    await queryRunner.query('DROP INDEX capsule_runs_checksum_idx');
    // The empty string too (at most 200 characters, as before). NOT VALID: the rows already stored
    // passed the stricter rule, so they need no scan under this migration's lock.
    await queryRunner.query('ALTER TABLE capsule_runs DROP CONSTRAINT capsule_runs_checksum_length');
    await queryRunner.query(
      `ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_checksum_length CHECK (char_length(checksum) <= 200) NOT VALID`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE capsule_runs SET checksum = NULL WHERE checksum = ''`);
    await queryRunner.query('ALTER TABLE capsule_runs DROP CONSTRAINT capsule_runs_checksum_length');
    await queryRunner.query(
      `ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_checksum_length CHECK (char_length(checksum) BETWEEN 1 AND 200)`,
    );
    await queryRunner.query(
      `CREATE INDEX capsule_runs_checksum_idx ON capsule_runs (checksum, started_at DESC, id DESC)
         WHERE checksum IS NOT NULL`,
    );
    await queryRunner.query('DROP INDEX capsule_runs_checksum_key_idx');
    await queryRunner.query('DROP FUNCTION checksum_key(text)');
  }
}
