import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Definition history and run lifecycle:
 * - capsules.revision counts changes of a capsule's definition; triggers keep
 *   it and write an immutable row to capsule_versions for every change made by
 *   any writer (a no-op re-registration changes nothing); a version row
 *   cannot be updated (only deleted with its capsule). `changed_by` comes
 *   from the transaction setting `capsules.changed_by` when the writer set it.
 * - capsule_runs.capsule_revision: the revision current when the run started.
 * - capsule_runs.request_hash: fingerprint of an idempotent report, so a retry
 *   with the same run_key but another payload can be told apart (409).
 * - an index for "the newest artifact of a capsule".
 */
export class AddCapsuleRevisionsAndRunKeys1764000000003 implements MigrationInterface {
  name = 'AddCapsuleRevisionsAndRunKeys1764000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE capsules ADD COLUMN revision integer NOT NULL DEFAULT 1');
    await queryRunner.query(`
      CREATE TABLE capsule_versions (
        capsule_id  integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        revision    integer NOT NULL,
        definition  jsonb NOT NULL,
        changed_by  text,
        changed_at  timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (capsule_id, revision)
      )
    `);
    await queryRunner.query(`
      CREATE FUNCTION capsule_definition(c capsules) RETURNS jsonb
      LANGUAGE sql IMMUTABLE AS $$
        SELECT jsonb_build_object(
          'title', c.title, 'kind', c.kind, 'mode', c.mode, 'version', c.version, 'status', c.status,
          'entrypoint', c.entrypoint, 'schedule', c.schedule, 'timezone', c.timezone,
          'grace_seconds', c.grace_seconds, 'max_runtime_seconds', c.max_runtime_seconds, 'tags', to_jsonb(c.tags))
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION capsules_next_revision() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF capsule_definition(NEW) IS DISTINCT FROM capsule_definition(OLD) THEN
          NEW.revision := OLD.revision + 1;
        ELSE
          NEW.revision := OLD.revision;
        END IF;
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION capsules_record_version() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR NEW.revision <> OLD.revision THEN
          INSERT INTO capsule_versions (capsule_id, revision, definition, changed_by, changed_at)
          VALUES (NEW.id, NEW.revision, capsule_definition(NEW),
                  NULLIF(current_setting('capsules.changed_by', true), ''), NEW.updated_at);
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsules_next_revision BEFORE UPDATE ON capsules
      FOR EACH ROW EXECUTE FUNCTION capsules_next_revision()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsules_record_version AFTER INSERT OR UPDATE ON capsules
      FOR EACH ROW EXECUTE FUNCTION capsules_record_version()
    `);
    await queryRunner.query(`
      CREATE FUNCTION capsule_versions_immutable() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'capsule versions are immutable';
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_versions_immutable BEFORE UPDATE ON capsule_versions
      FOR EACH ROW EXECUTE FUNCTION capsule_versions_immutable()
    `);
    // Capsules registered before this migration get their current definition as revision 1.
    await queryRunner.query(`
      INSERT INTO capsule_versions (capsule_id, revision, definition, changed_by, changed_at)
      SELECT c.id, 1, capsule_definition(c), NULL, c.updated_at FROM capsules c
    `);

    await queryRunner.query('ALTER TABLE capsule_runs ADD COLUMN capsule_revision integer');
    await queryRunner.query('ALTER TABLE capsule_runs ADD COLUMN request_hash text');
    await queryRunner.query(
      `CREATE INDEX capsule_runs_artifact_newest_idx ON capsule_runs (capsule_id, started_at DESC, id DESC)
         WHERE artifact_uri IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX capsule_runs_artifact_newest_idx');
    await queryRunner.query('ALTER TABLE capsule_runs DROP COLUMN request_hash');
    await queryRunner.query('ALTER TABLE capsule_runs DROP COLUMN capsule_revision');
    await queryRunner.query('DROP TRIGGER capsules_record_version ON capsules');
    await queryRunner.query('DROP TRIGGER capsules_next_revision ON capsules');
    await queryRunner.query('DROP FUNCTION capsules_record_version()');
    await queryRunner.query('DROP FUNCTION capsules_next_revision()');
    await queryRunner.query('DROP FUNCTION capsule_definition(capsules)');
    await queryRunner.query('DROP TABLE capsule_versions');
    await queryRunner.query('DROP FUNCTION capsule_versions_immutable()');
    await queryRunner.query('ALTER TABLE capsules DROP COLUMN revision');
  }
}
