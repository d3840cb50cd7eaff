import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two views of the original schema, redefined so that they work:
 *  - capsule_performance: one row per capsule (also those without runs);
 *    success_rate is a 0..1 fraction over finished runs that succeeded or
 *    failed (error, timeout); runtimes are over finished runs, in seconds.
 *  - capsule_run_summary: per capsule (any capsule), what its schedule state
 *    needs: latest run, latest finished run, oldest run still running;
 *  - scheduled_capsules: active capsules with a schedule, with that summary
 *    and runs_today (runs started in the last 24 hours).
 * Aggregates are cast so the driver returns numbers, not strings.
 */
export class CreateAnalyticsViews1764000000002 implements MigrationInterface {
  name = 'CreateAnalyticsViews1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE VIEW capsule_performance AS
      SELECT
        c.id AS capsule_id,
        c.slug AS capsule_slug,
        c.title AS capsule_title,
        c.kind,
        count(r.id)::int AS total_runs,
        (count(r.id) FILTER (WHERE r.status = 'success'))::int AS successful_runs,
        (count(r.id) FILTER (WHERE r.status IN ('error', 'timeout')))::int AS failed_runs,
        ((count(r.id) FILTER (WHERE r.status = 'success'))::float8
          / NULLIF(count(r.id) FILTER (WHERE r.status IN ('success', 'error', 'timeout')), 0))::float8
          AS success_rate,
        (avg(r.duration_ms) / 1000.0)::float8 AS avg_runtime_seconds,
        (percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_ms) / 1000.0)::float8 AS p50_runtime_seconds,
        (percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms) / 1000.0)::float8 AS p95_runtime_seconds,
        max(r.started_at) AS last_run_at,
        max(r.completed_at) FILTER (WHERE r.status = 'success') AS last_success_at,
        max(r.completed_at) FILTER (WHERE r.status IN ('error', 'timeout')) AS last_failure_at
      FROM capsules c
      LEFT JOIN capsule_runs r ON r.capsule_id = c.id
      GROUP BY c.id
    `);
    await queryRunner.query(`
      CREATE VIEW capsule_run_summary AS
      SELECT
        c.id AS capsule_id,
        latest.started_at AS last_run_at,
        latest.status AS last_run_status,
        finished.status AS last_finished_status,
        running.oldest_started_at AS oldest_running_started_at
      FROM capsules c
      LEFT JOIN LATERAL (
        SELECT r.started_at, r.status FROM capsule_runs r
        WHERE r.capsule_id = c.id ORDER BY r.started_at DESC, r.id DESC LIMIT 1
      ) latest ON true
      LEFT JOIN LATERAL (
        SELECT r.status FROM capsule_runs r
        WHERE r.capsule_id = c.id AND r.status <> 'running' ORDER BY r.started_at DESC, r.id DESC LIMIT 1
      ) finished ON true
      LEFT JOIN LATERAL (
        SELECT min(r.started_at) AS oldest_started_at FROM capsule_runs r
        WHERE r.capsule_id = c.id AND r.status = 'running'
      ) running ON true
    `);
    await queryRunner.query(`
      CREATE VIEW scheduled_capsules AS
      SELECT
        c.id AS capsule_id,
        c.slug,
        c.title,
        c.kind,
        c.schedule,
        c.timezone,
        c.entrypoint,
        c.grace_seconds,
        c.max_runtime_seconds,
        s.last_run_at,
        s.last_run_status,
        s.last_finished_status,
        s.oldest_running_started_at,
        (SELECT count(*)::int FROM capsule_runs r
          WHERE r.capsule_id = c.id AND r.started_at >= now() - interval '24 hours') AS runs_today
      FROM capsules c
      JOIN capsule_run_summary s ON s.capsule_id = c.id
      WHERE c.status = 'active' AND c.schedule IS NOT NULL
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW scheduled_capsules');
    await queryRunner.query('DROP VIEW capsule_run_summary');
    await queryRunner.query('DROP VIEW capsule_performance');
  }
}
