import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables whose writes can change an analytics answer, by the part of the ledger they hold
 * (every other table the answers read is derived from these by triggers).
 */
const SOURCES: Record<string, string> = {
  capsules: 'registry',
  capsule_versions: 'registry',
  capsule_runs: 'runs',
  capsule_slots: 'slots',
};

/** Stripes of each counter: concurrent writers (consecutive transaction ids) bump different rows. */
const STRIPES = 64;

/**
 * Ledger change counters for conditional reads (ADR 15): every statement that changes rows of a
 * table an analytics answer reads adds one to a stripe of its part's counter in
 * `ledger_changes`, in the writer's transaction. `SELECT sum(changes)` over the parts an answer
 * reads is then a version of everything it reads: equal sums mean the same committed writes,
 * because snapshots only grow and every write adds at least one. A statement that changes no row
 * (an upsert that found everything as it was) adds nothing. The stripe is the writer's
 * transaction id modulo 64, so concurrent writers do not queue on one row; per statement, so a
 * batch of 1,000 runs adds one.
 */
export class CreateLedgerChanges1764000000012 implements MigrationInterface {
  name = 'CreateLedgerChanges1764000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_changes (
        part    text NOT NULL,
        stripe  smallint NOT NULL,
        changes bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (part, stripe)
      ) WITH (fillfactor = 50)
    `);
    await queryRunner.query(
      `INSERT INTO ledger_changes (part, stripe)
       SELECT part, stripe FROM unnest($1::text[]) AS part, generate_series(0, ${STRIPES - 1}) AS stripe`,
      [[...new Set(Object.values(SOURCES))]],
    );
    // Each branch names only the transition table its trigger has.
    await queryRunner.query(`
      CREATE FUNCTION ledger_changes_bump() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
        ELSIF TG_OP IN ('INSERT', 'UPDATE') THEN
          IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
        END IF;
        UPDATE ledger_changes SET changes = changes + 1
        WHERE part = TG_ARGV[0] AND stripe = (txid_current() % ${STRIPES})::smallint;
        RETURN NULL;
      END
      $$
    `);
    for (const [table, part] of Object.entries(SOURCES)) {
      const bump = `FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('${part}')`;
      await queryRunner.query(
        `CREATE TRIGGER ${table}_changes_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows ${bump}`,
      );
      await queryRunner.query(
        `CREATE TRIGGER ${table}_changes_update AFTER UPDATE ON ${table} REFERENCING NEW TABLE AS new_rows ${bump}`,
      );
      await queryRunner.query(
        `CREATE TRIGGER ${table}_changes_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows ${bump}`,
      );
      await queryRunner.query(`CREATE TRIGGER ${table}_changes_truncate AFTER TRUNCATE ON ${table} ${bump}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of Object.keys(SOURCES)) {
      for (const op of ['insert', 'update', 'delete', 'truncate']) {
        await queryRunner.query(`DROP TRIGGER ${table}_changes_${op} ON ${table}`);
      }
    }
    await queryRunner.query('DROP FUNCTION ledger_changes_bump()');
    await queryRunner.query('DROP TABLE ledger_changes');
  }
}
