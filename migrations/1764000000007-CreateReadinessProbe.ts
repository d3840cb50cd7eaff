import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row per running replica that its readiness check upserts on every probe:
 * a node that answers `SELECT 1` but cannot write (a standby after a
 * failover, a database set read-only, a full disk) is not ready, so a load
 * balancer stops sending it writes it would fail. One row per replica (a
 * random id per process), so no replica's probe waits on another's row lock;
 * rows of replicas gone for a day are deleted by the probes that remain.
 */
export class CreateReadinessProbe1764000000007 implements MigrationInterface {
  name = 'CreateReadinessProbe1764000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE readiness_probe (
        replica     text PRIMARY KEY CHECK (char_length(replica) BETWEEN 1 AND 64),
        checked_at  timestamptz(3) NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE readiness_probe');
  }
}
