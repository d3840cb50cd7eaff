import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts (libs/alerts, ADR 10): a capsule's alert state and rules, the state changes (flips) it
 * went through, the channels notifications go to, and the outbox of notifications with every
 * delivery attempt.
 *
 * - `capsule_alerts`: one row per capsule that has reported or been configured. `status` is the
 *   last state a flip (or the first run) set; `alert_after` the instant the detector must look
 *   at the capsule again (a missed deadline, a stuck run), NULL when nothing can happen without
 *   a report. The partial index lets the detector read only the capsules that may have gone down.
 *   `definition_revision` is the capsule revision alert_after was computed for: a definition
 *   changed since (schedule, grace, archived) is found by the detector and recomputed.
 *   `deadline_floor` is the last flip or definition change: no deadline before it counts again
 *   (a flip is never dated before the one it follows).
 * - `capsule_flips`: written in the transaction of the report or detector pass that caused
 *   them, with the computed instant (`at`), not the time of writing.
 * - `notifications`: the outbox, one row per (flip, channel), unique, created with the flip;
 *   `message_id` is the stable id receivers deduplicate on (`webhook-id`). A test send has no flip.
 */
export class CreateAlerts1764000000009 implements MigrationInterface {
  name = 'CreateAlerts1764000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE capsule_alerts (
        capsule_id     integer PRIMARY KEY REFERENCES capsules (id) ON DELETE CASCADE,
        status         text NOT NULL DEFAULT 'new'
                         CONSTRAINT capsule_alerts_status CHECK (status IN ('new', 'up', 'down', 'paused')),
        alert_after    timestamptz(3),
        rules          jsonb NOT NULL DEFAULT '{}'
                         CONSTRAINT capsule_alerts_rules_object CHECK (jsonb_typeof(rules) = 'object'),
        snoozed_until  timestamptz(3),
        changed_at     timestamptz(3),
        deadline_floor timestamptz(3),
        definition_revision integer
      )`);
    await queryRunner.query(
      'CREATE INDEX capsule_alerts_due ON capsule_alerts (alert_after) WHERE alert_after IS NOT NULL',
    );
    await queryRunner.query(`
      CREATE TABLE capsule_flips (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        capsule_id   integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        from_status  text NOT NULL,
        to_status    text NOT NULL,
        reason       text NOT NULL CONSTRAINT capsule_flips_reason CHECK (reason IN (
                       'missed', 'failed', 'failure_streak', 'failure_rate', 'stuck', 'slow', 'fast',
                       'recovered', 'paused', 'resumed')),
        at           timestamptz(3) NOT NULL,
        run_id       bigint,
        notified     boolean NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX capsule_flips_by_capsule ON capsule_flips (capsule_id, at DESC, id DESC)');
    await queryRunner.query(`
      CREATE TABLE alert_channels (
        id                    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name                  text NOT NULL CONSTRAINT alert_channels_name_unique UNIQUE
                                CONSTRAINT alert_channels_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
        type                  text NOT NULL CONSTRAINT alert_channels_type CHECK (type IN ('webhook', 'slack', 'email')),
        target                text NOT NULL CONSTRAINT alert_channels_target_length CHECK (char_length(target) BETWEEN 1 AND 2000),
        secret                text,
        capsules              text[] NOT NULL DEFAULT '{}',
        kinds                 text[] NOT NULL DEFAULT '{}',
        tags                  text[] NOT NULL DEFAULT '{}',
        consecutive_failures  integer NOT NULL DEFAULT 0,
        last_success_at       timestamptz(3),
        last_failure_at       timestamptz(3),
        created_at            timestamptz(3) NOT NULL DEFAULT now(),
        updated_at            timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE notifications (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id       uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT notifications_message_id_unique UNIQUE,
        flip_id          bigint REFERENCES capsule_flips (id) ON DELETE CASCADE,
        channel_id       integer NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
        capsule_id       integer REFERENCES capsules (id) ON DELETE CASCADE,
        type             text NOT NULL,
        payload          jsonb NOT NULL,
        status           text NOT NULL DEFAULT 'pending'
                           CONSTRAINT notifications_status CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz(3) NOT NULL DEFAULT now(),
        last_error       text,
        created_at       timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at     timestamptz(3),
        CONSTRAINT notifications_once_per_flip_and_channel UNIQUE (flip_id, channel_id)
      )`);
    await queryRunner.query(
      "CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending'",
    );
    await queryRunner.query('CREATE INDEX notifications_newest ON notifications (created_at DESC, id DESC)');
    await queryRunner.query(`
      CREATE TABLE notification_attempts (
        notification_id  bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        attempt          integer NOT NULL,
        at               timestamptz(3) NOT NULL DEFAULT now(),
        status_code      integer,
        latency_ms       integer NOT NULL,
        error            text,
        PRIMARY KEY (notification_id, attempt)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE notification_attempts');
    await queryRunner.query('DROP TABLE notifications');
    await queryRunner.query('DROP TABLE alert_channels');
    await queryRunner.query('DROP TABLE capsule_flips');
    await queryRunner.query('DROP TABLE capsule_alerts');
  }
}
