import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row that readiness updates on every probe: a node that answers
 * `SELECT 1` but cannot write (a standby after a failover, a database set
 * read-only, a full disk) is not ready, so a load balancer stops sending it
 * writes it would fail. One row for every replica: an update is a row lock
 * held for microseconds, and the table never grows.
 */
export class CreateReadinessProbe1764000000007 implements MigrationInterface {
  name = 'CreateReadinessProbe1764000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE readiness_probe (
        id          smallint PRIMARY KEY CHECK (id = 1),
        checked_at  timestamptz(3) NOT NULL
      )`);
    await queryRunner.query('INSERT INTO readiness_probe (id, checked_at) VALUES (1, now())');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE readiness_probe');
  }
}
