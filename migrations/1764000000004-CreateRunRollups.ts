import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics whose cost does not grow with history: rollups of capsule_runs
 * per capsule and hour, per capsule and day, and per capsule overall
 * (grain 'all'), kept by statement-level triggers in the same transaction as
 * every write to capsule_runs (insert, update, delete), so they are exact and
 * never stale, whoever writes.
 *
 * Each rollup row holds counts by status, the sum and count of runtimes, and
 * a runtime histogram: 128 buckets whose bounds grow by 2^(1/4) (bucket 0:
 * 0 ms; bucket k >= 1: [2^((k-1)/4), 2^(k/4)) ms, the last one open-ended).
 * Histograms merge by element-wise addition; a percentile read from one is
 * within 2^(1/8) - 1 (9.05 %) of the true nearest-rank value.
 *
 * The 'all' row also keeps last_run_at, last_success_at, last_failure_at.
 * capsule_performance is redefined to read the rollups; a backfill builds
 * them from the runs already stored.
 */
export class CreateRunRollups1764000000004 implements MigrationInterface {
  name = 'CreateRunRollups1764000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION runtime_bucket(ms bigint) RETURNS integer
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN ms IS NULL THEN NULL
                    WHEN ms <= 0 THEN 0
                    ELSE LEAST(127, floor(4 * ln(ms::float8) / ln(2::float8) + 1e-9)::integer + 1) END
      $$
    `);
    // PL/pgSQL loops over expanded arrays: several times faster than unnest() per call.
    await queryRunner.query(`
      CREATE FUNCTION runtime_histogram_of(durations bigint[]) RETURNS integer[]
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        h integer[] := array_fill(0, ARRAY[128]);
        d bigint;
        k integer;
      BEGIN
        FOREACH d IN ARRAY durations LOOP
          CONTINUE WHEN d IS NULL;
          k := CASE WHEN d <= 0 THEN 0 ELSE LEAST(127, floor(4 * ln(d::float8) / ln(2::float8) + 1e-9)::integer + 1) END;
          h[k + 1] := h[k + 1] + 1;
        END LOOP;
        RETURN h;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION int_array_add(a integer[], b integer[]) RETURNS integer[]
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      BEGIN
        IF a IS NULL THEN RETURN b; END IF;
        IF b IS NULL THEN RETURN a; END IF;
        FOR i IN 1 .. cardinality(b) LOOP
          -- Writes are what cost: a single run's histogram has one non-zero bucket.
          IF b[i] <> 0 THEN
            a[i] := a[i] + b[i];
          END IF;
        END LOOP;
        RETURN a;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION int_array_sub(a integer[], b integer[]) RETURNS integer[]
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      BEGIN
        IF b IS NULL THEN RETURN a; END IF;
        IF a IS NULL THEN a := array_fill(0, ARRAY[cardinality(b)]); END IF;
        FOR i IN 1 .. cardinality(b) LOOP
          IF b[i] <> 0 THEN
            a[i] := a[i] - b[i];
          END IF;
        END LOOP;
        RETURN a;
      END
      $$
    `);
    await queryRunner.query('CREATE AGGREGATE int_array_sum(integer[]) (SFUNC = int_array_add, STYPE = integer[])');

    await queryRunner.query(`
      CREATE FUNCTION rollup_bucket(grain text, started_at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE grain WHEN 'hour' THEN date_trunc('hour', started_at, 'UTC')
                          WHEN 'day' THEN date_trunc('day', started_at, 'UTC')
                          ELSE '-infinity'::timestamptz END
      $$
    `);
    await queryRunner.query(`
      CREATE TABLE capsule_run_rollups (
        capsule_id        integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        grain             text NOT NULL,
        bucket_start      timestamptz NOT NULL,
        total_runs        integer NOT NULL DEFAULT 0,
        running_runs      integer NOT NULL DEFAULT 0,
        successful_runs   integer NOT NULL DEFAULT 0,
        error_runs        integer NOT NULL DEFAULT 0,
        timeout_runs      integer NOT NULL DEFAULT 0,
        cancelled_runs    integer NOT NULL DEFAULT 0,
        runtime_count     integer NOT NULL DEFAULT 0,
        runtime_sum_ms    bigint NOT NULL DEFAULT 0,
        runtime_histogram integer[],
        last_run_at       timestamptz(3),
        last_success_at   timestamptz(3),
        last_failure_at   timestamptz(3),
        PRIMARY KEY (capsule_id, grain, bucket_start),
        CONSTRAINT capsule_run_rollups_grain_valid CHECK (grain IN ('hour', 'day', 'all'))
      )
    `);

    // last_* cannot be subtracted: after a delete, or a change to a finished
    // run or to a start time, they are recomputed for the capsules touched.
    await queryRunner.query(`
      CREATE FUNCTION capsule_run_rollups_recompute_last(capsule_ids integer[]) RETURNS void
      LANGUAGE sql AS $$
        UPDATE capsule_run_rollups AS t SET
          last_run_at = (SELECT max(r.started_at) FROM capsule_runs r WHERE r.capsule_id = t.capsule_id),
          last_success_at = (SELECT max(r.completed_at) FROM capsule_runs r
                             WHERE r.capsule_id = t.capsule_id AND r.status = 'success'),
          last_failure_at = (SELECT max(r.completed_at) FROM capsule_runs r
                             WHERE r.capsule_id = t.capsule_id AND r.status IN ('error', 'timeout'))
        WHERE t.grain = 'all' AND t.capsule_id = ANY (capsule_ids)
      $$
    `);
    // Static SQL (not EXECUTE) so that PL/pgSQL caches the plans: this runs on every write.
    await queryRunner.query(`
      CREATE FUNCTION capsule_runs_maintain_rollups() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        touched integer[];
      BEGIN
        -- Every writer locks rollup rows in one order (capsule, grain, bucket),
        -- so concurrent writers wait for each other instead of deadlocking.
        IF TG_OP = 'DELETE' THEN
          PERFORM 1 FROM capsule_run_rollups t
          WHERE (t.capsule_id, t.grain, t.bucket_start) IN (
            SELECT s.capsule_id, g.grain, rollup_bucket(g.grain, s.started_at)
            FROM old_rows s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain))
          ORDER BY t.capsule_id, t.grain, t.bucket_start FOR UPDATE;
        ELSIF TG_OP = 'UPDATE' THEN
          PERFORM 1 FROM capsule_run_rollups t
          WHERE (t.capsule_id, t.grain, t.bucket_start) IN (
            SELECT s.capsule_id, g.grain, rollup_bucket(g.grain, s.started_at)
            FROM (SELECT capsule_id, started_at FROM old_rows UNION SELECT capsule_id, started_at FROM new_rows) s
            CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain))
          ORDER BY t.capsule_id, t.grain, t.bucket_start FOR UPDATE;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE capsule_run_rollups AS t SET
            total_runs = t.total_runs - d.total_runs,
            running_runs = t.running_runs - d.running_runs,
            successful_runs = t.successful_runs - d.successful_runs,
            error_runs = t.error_runs - d.error_runs,
            timeout_runs = t.timeout_runs - d.timeout_runs,
            cancelled_runs = t.cancelled_runs - d.cancelled_runs,
            runtime_count = t.runtime_count - d.runtime_count,
            runtime_sum_ms = t.runtime_sum_ms - d.runtime_sum_ms,
            runtime_histogram = int_array_sub(t.runtime_histogram, d.runtime_histogram)
          FROM (
            SELECT s.capsule_id, g.grain,
                   rollup_bucket(g.grain, s.started_at) AS bucket,
                   count(*) AS total_runs,
                   count(*) FILTER (WHERE s.status = 'running') AS running_runs,
                   count(*) FILTER (WHERE s.status = 'success') AS successful_runs,
                   count(*) FILTER (WHERE s.status = 'error') AS error_runs,
                   count(*) FILTER (WHERE s.status = 'timeout') AS timeout_runs,
                   count(*) FILTER (WHERE s.status = 'cancelled') AS cancelled_runs,
                   count(s.duration_ms) AS runtime_count,
                   COALESCE(sum(s.duration_ms), 0) AS runtime_sum_ms,
                   CASE WHEN count(s.duration_ms) > 0 THEN runtime_histogram_of(array_agg(s.duration_ms)) END
                     AS runtime_histogram
            FROM old_rows s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
            GROUP BY s.capsule_id, g.grain, bucket
          ) d
          WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO capsule_run_rollups AS t
            (capsule_id, grain, bucket_start, total_runs, running_runs, successful_runs, error_runs,
             timeout_runs, cancelled_runs, runtime_count, runtime_sum_ms, runtime_histogram,
             last_run_at, last_success_at, last_failure_at)
          SELECT s.capsule_id, g.grain,
                 rollup_bucket(g.grain, s.started_at) AS bucket,
                 count(*),
                 count(*) FILTER (WHERE s.status = 'running'),
                 count(*) FILTER (WHERE s.status = 'success'),
                 count(*) FILTER (WHERE s.status = 'error'),
                 count(*) FILTER (WHERE s.status = 'timeout'),
                 count(*) FILTER (WHERE s.status = 'cancelled'),
                 count(s.duration_ms),
                 COALESCE(sum(s.duration_ms), 0),
                 CASE WHEN count(s.duration_ms) > 0 THEN runtime_histogram_of(array_agg(s.duration_ms)) END,
                 CASE WHEN g.grain = 'all' THEN max(s.started_at) END,
                 CASE WHEN g.grain = 'all' THEN max(s.completed_at) FILTER (WHERE s.status = 'success') END,
                 CASE WHEN g.grain = 'all' THEN max(s.completed_at) FILTER (WHERE s.status IN ('error', 'timeout')) END
          FROM new_rows s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
          GROUP BY s.capsule_id, g.grain, bucket
          ORDER BY s.capsule_id, g.grain, bucket
          ON CONFLICT (capsule_id, grain, bucket_start) DO UPDATE SET
            total_runs = t.total_runs + EXCLUDED.total_runs,
            running_runs = t.running_runs + EXCLUDED.running_runs,
            successful_runs = t.successful_runs + EXCLUDED.successful_runs,
            error_runs = t.error_runs + EXCLUDED.error_runs,
            timeout_runs = t.timeout_runs + EXCLUDED.timeout_runs,
            cancelled_runs = t.cancelled_runs + EXCLUDED.cancelled_runs,
            runtime_count = t.runtime_count + EXCLUDED.runtime_count,
            runtime_sum_ms = t.runtime_sum_ms + EXCLUDED.runtime_sum_ms,
            runtime_histogram = int_array_add(t.runtime_histogram, EXCLUDED.runtime_histogram),
            last_run_at = GREATEST(t.last_run_at, EXCLUDED.last_run_at),
            last_success_at = GREATEST(t.last_success_at, EXCLUDED.last_success_at),
            last_failure_at = GREATEST(t.last_failure_at, EXCLUDED.last_failure_at);
        END IF;
        IF TG_OP = 'DELETE' THEN
          SELECT array_agg(DISTINCT capsule_id) INTO touched FROM old_rows;
        ELSIF TG_OP = 'UPDATE' THEN
          -- Finishing a running run only moves last_* forward (done above);
          -- any other change of a finished run or of a start time recomputes them.
          SELECT array_agg(DISTINCT o.capsule_id) INTO touched
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE o.status <> 'running' OR o.started_at <> n.started_at OR o.capsule_id <> n.capsule_id;
        END IF;
        IF touched IS NOT NULL THEN
          PERFORM capsule_run_rollups_recompute_last(touched);
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_rollups_insert AFTER INSERT ON capsule_runs
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_rollups_update AFTER UPDATE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_rollups_delete AFTER DELETE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups()
    `);

    // Backfill the runs stored before this migration through the same triggers:
    // a no-op UPDATE of every run subtracts nothing (no rollup exists yet) and adds them all.
    await queryRunner.query('UPDATE capsule_runs SET actor = actor');

    await queryRunner.query('DROP VIEW capsule_performance');
    await queryRunner.query(`
      CREATE VIEW capsule_performance AS
      SELECT
        c.id AS capsule_id,
        c.slug AS capsule_slug,
        c.title AS capsule_title,
        c.kind,
        COALESCE(a.total_runs, 0) AS total_runs,
        COALESCE(a.successful_runs, 0) AS successful_runs,
        COALESCE(a.error_runs + a.timeout_runs, 0) AS failed_runs,
        (a.successful_runs::float8 / NULLIF(a.successful_runs + a.error_runs + a.timeout_runs, 0))::float8
          AS success_rate,
        (a.runtime_sum_ms::float8 / NULLIF(a.runtime_count, 0) / 1000.0)::float8 AS avg_runtime_seconds,
        a.runtime_histogram,
        a.last_run_at,
        a.last_success_at,
        a.last_failure_at
      FROM capsules c
      LEFT JOIN LATERAL (
        SELECT * FROM capsule_run_rollups
        WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity'
        LIMIT 1
      ) a ON true
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW capsule_performance');
    // The definition of CreateAnalyticsViews1764000000002, computed from the runs.
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
    await queryRunner.query('DROP TRIGGER capsule_runs_rollups_delete ON capsule_runs');
    await queryRunner.query('DROP TRIGGER capsule_runs_rollups_update ON capsule_runs');
    await queryRunner.query('DROP TRIGGER capsule_runs_rollups_insert ON capsule_runs');
    await queryRunner.query('DROP FUNCTION capsule_runs_maintain_rollups()');
    await queryRunner.query('DROP FUNCTION capsule_run_rollups_recompute_last(integer[])');
    await queryRunner.query('DROP TABLE capsule_run_rollups');
    await queryRunner.query('DROP FUNCTION rollup_bucket(text, timestamptz)');
    await queryRunner.query('DROP AGGREGATE int_array_sum(integer[])');
    await queryRunner.query('DROP FUNCTION int_array_sub(integer[], integer[])');
    await queryRunner.query('DROP FUNCTION int_array_add(integer[], integer[])');
    await queryRunner.query('DROP FUNCTION runtime_histogram_of(bigint[])');
    await queryRunner.query('DROP FUNCTION runtime_bucket(bigint)');
  }
}
