import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables whose writes can change an analytics answer (every other table they read is derived from these). */
const SOURCES = ['capsules', 'capsule_versions', 'capsule_runs', 'capsule_slots'];

/** Stripes of the counter: concurrent writers (consecutive transaction ids) bump different rows. */
const STRIPES = 64;

/**
 * A ledger change counter for conditional reads (ADR 15): every statement that writes a table an
 * analytics answer reads adds one to a stripe of `ledger_changes`, in the writer's transaction.
 * `SELECT sum(changes)` is then a version of everything those answers read: equal sums mean
 * the same committed writes, because snapshots only grow and every write adds at least one.
 * The stripe is the writer's transaction id modulo 64, so concurrent writers do not queue on
 * one row; a statement trigger, so a batch of 1,000 runs adds one, not 1,000.
 */
export class CreateLedgerChanges1764000000012 implements MigrationInterface {
  name = 'CreateLedgerChanges1764000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_changes (
        stripe  smallint PRIMARY KEY,
        changes bigint NOT NULL DEFAULT 0
      ) WITH (fillfactor = 50)
    `);
    await queryRunner.query(`INSERT INTO ledger_changes (stripe) SELECT generate_series(0, ${STRIPES - 1})`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_changes_bump() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ledger_changes SET changes = changes + 1 WHERE stripe = (txid_current() % ${STRIPES})::smallint;
        RETURN NULL;
      END
      $$
    `);
    for (const table of SOURCES) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_ledger_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump()
      `);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of SOURCES) await queryRunner.query(`DROP TRIGGER ${table}_ledger_changes ON ${table}`);
    await queryRunner.query('DROP FUNCTION ledger_changes_bump()');
    await queryRunner.query('DROP TABLE ledger_changes');
  }
}
