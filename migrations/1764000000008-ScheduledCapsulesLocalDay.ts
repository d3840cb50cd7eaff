import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reporting view `scheduled_capsules` meant "runs in the last 24 hours" by `runs_today`,
 * while `GET /api/capsules/scheduled` means "since the start of the current day in the
 * capsule's time zone". The view now means what the API means: `local_day_start()` is the
 * first instant of the local day (where midnight falls in a DST gap, the day starts when the
 * gap ends, as the service's `startOfLocalDay` does; a db-spec compares the two).
 */
export class ScheduledCapsulesLocalDay1764000000008 implements MigrationInterface {
  name = 'ScheduledCapsulesLocalDay1764000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Local midnight read with the offset in effect then; where that is ambiguous (clocks go back
    // at 01:00 to 00:00) the earlier reading, and where it does not exist (a gap) the instant the
    // gap ends: the earliest of the candidate readings that falls on that local date.
    await queryRunner.query(`
      CREATE FUNCTION local_day_start(at timestamptz, tz text) RETURNS timestamptz
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        WITH d AS (SELECT date_trunc('day', at AT TIME ZONE tz) AS midnight)
        SELECT coalesce(min(c.at), min(d.midnight AT TIME ZONE tz))
        FROM d CROSS JOIN LATERAL (VALUES
          (d.midnight AT TIME ZONE tz),
          ((d.midnight - interval '3 hours') AT TIME ZONE tz + interval '3 hours')
        ) AS c(at)
        WHERE (c.at AT TIME ZONE tz)::date = d.midnight::date
      $$`);
    await queryRunner.query(viewWith(`r.started_at >= local_day_start(now(), c.timezone) AND r.started_at <= now()`));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(viewWith(`r.started_at >= now() - interval '24 hours'`));
    await queryRunner.query('DROP FUNCTION local_day_start(timestamptz, text)');
  }
}

function viewWith(today: string): string {
  return `
    CREATE OR REPLACE VIEW scheduled_capsules AS
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
      (SELECT count(*)::int FROM capsule_runs r WHERE r.capsule_id = c.id AND ${today}) AS runs_today
    FROM capsules c
    JOIN capsule_run_summary s ON s.capsule_id = c.id
    WHERE c.status = 'active' AND c.schedule IS NOT NULL`;
}
