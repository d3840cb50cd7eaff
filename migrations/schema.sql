-- The schema the migrations build (npm run schema). Generated: do not edit.

CREATE TABLE alert_channels (
  id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  type text NOT NULL,
  target text NOT NULL,
  secret text,
  capsules text[] DEFAULT '{}'::text[] NOT NULL,
  kinds text[] DEFAULT '{}'::text[] NOT NULL,
  tags text[] DEFAULT '{}'::text[] NOT NULL,
  consecutive_failures integer DEFAULT 0 NOT NULL,
  last_success_at timestamp(3) with time zone,
  last_failure_at timestamp(3) with time zone,
  created_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  updated_at timestamp(3) with time zone DEFAULT now() NOT NULL
);
ALTER TABLE alert_channels ADD CONSTRAINT alert_channels_name_length CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100)));
ALTER TABLE alert_channels ADD CONSTRAINT alert_channels_name_unique UNIQUE (name);
ALTER TABLE alert_channels ADD CONSTRAINT alert_channels_pkey PRIMARY KEY (id);
ALTER TABLE alert_channels ADD CONSTRAINT alert_channels_target_length CHECK (((char_length(target) >= 1) AND (char_length(target) <= 2000)));
ALTER TABLE alert_channels ADD CONSTRAINT alert_channels_type CHECK ((type = ANY (ARRAY['webhook'::text, 'slack'::text, 'email'::text])));

CREATE TABLE api_keys (
  id text NOT NULL,
  name text NOT NULL,
  scope text NOT NULL,
  key_hash bytea NOT NULL,
  created_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  revoked_at timestamp(3) with time zone
);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_check CHECK (((revoked_at IS NULL) OR (revoked_at >= created_at)));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_id_check CHECK ((id ~ '^[a-z0-9]{12}$'::text));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_hash_check CHECK ((octet_length(key_hash) = 32));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'::text));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK ((scope = ANY (ARRAY['read'::text, 'write'::text, 'admin'::text])));
CREATE UNIQUE INDEX api_keys_active_name ON public.api_keys USING btree (name) WHERE (revoked_at IS NULL);

CREATE TABLE capsule_alerts (
  capsule_id integer NOT NULL,
  status text DEFAULT 'new'::text NOT NULL,
  alert_after timestamp(3) with time zone,
  rules jsonb DEFAULT '{}'::jsonb NOT NULL,
  snoozed_until timestamp(3) with time zone,
  changed_at timestamp(3) with time zone,
  deadline_floor timestamp(3) with time zone,
  definition_revision integer
);
ALTER TABLE capsule_alerts ADD CONSTRAINT capsule_alerts_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_alerts ADD CONSTRAINT capsule_alerts_pkey PRIMARY KEY (capsule_id);
ALTER TABLE capsule_alerts ADD CONSTRAINT capsule_alerts_rules_object CHECK ((jsonb_typeof(rules) = 'object'::text));
ALTER TABLE capsule_alerts ADD CONSTRAINT capsule_alerts_status CHECK ((status = ANY (ARRAY['new'::text, 'up'::text, 'down'::text, 'paused'::text])));
CREATE INDEX capsule_alerts_due ON public.capsule_alerts USING btree (alert_after) WHERE (alert_after IS NOT NULL);

CREATE TABLE capsule_flips (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  capsule_id integer NOT NULL,
  from_status text NOT NULL,
  to_status text NOT NULL,
  reason text NOT NULL,
  at timestamp(3) with time zone NOT NULL,
  run_id bigint,
  notified boolean NOT NULL,
  created_at timestamp(3) with time zone DEFAULT now() NOT NULL
);
ALTER TABLE capsule_flips ADD CONSTRAINT capsule_flips_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_flips ADD CONSTRAINT capsule_flips_pkey PRIMARY KEY (id);
ALTER TABLE capsule_flips ADD CONSTRAINT capsule_flips_reason CHECK ((reason = ANY (ARRAY['missed'::text, 'failed'::text, 'failure_streak'::text, 'failure_rate'::text, 'stuck'::text, 'slow'::text, 'fast'::text, 'recovered'::text, 'paused'::text, 'resumed'::text])));
CREATE INDEX capsule_flips_by_capsule ON public.capsule_flips USING btree (capsule_id, at DESC, id DESC);

CREATE TABLE capsule_revision_rollups (
  capsule_id integer NOT NULL,
  revision integer NOT NULL,
  total_runs integer DEFAULT 0 NOT NULL,
  running_runs integer DEFAULT 0 NOT NULL,
  successful_runs integer DEFAULT 0 NOT NULL,
  error_runs integer DEFAULT 0 NOT NULL,
  timeout_runs integer DEFAULT 0 NOT NULL,
  cancelled_runs integer DEFAULT 0 NOT NULL,
  runtime_count integer DEFAULT 0 NOT NULL,
  runtime_sum_ms bigint DEFAULT 0 NOT NULL,
  runtime_histogram integer[]
);
ALTER TABLE capsule_revision_rollups ADD CONSTRAINT capsule_revision_rollups_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_revision_rollups ADD CONSTRAINT capsule_revision_rollups_pkey PRIMARY KEY (capsule_id, revision);

CREATE TABLE capsule_run_rollups (
  capsule_id integer NOT NULL,
  grain text NOT NULL,
  bucket_start timestamp with time zone NOT NULL,
  total_runs integer DEFAULT 0 NOT NULL,
  running_runs integer DEFAULT 0 NOT NULL,
  successful_runs integer DEFAULT 0 NOT NULL,
  error_runs integer DEFAULT 0 NOT NULL,
  timeout_runs integer DEFAULT 0 NOT NULL,
  cancelled_runs integer DEFAULT 0 NOT NULL,
  runtime_count integer DEFAULT 0 NOT NULL,
  runtime_sum_ms bigint DEFAULT 0 NOT NULL,
  runtime_histogram integer[],
  last_run_at timestamp(3) with time zone,
  last_success_at timestamp(3) with time zone,
  last_failure_at timestamp(3) with time zone
);
ALTER TABLE capsule_run_rollups ADD CONSTRAINT capsule_run_rollups_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_run_rollups ADD CONSTRAINT capsule_run_rollups_grain_valid CHECK ((grain = ANY (ARRAY['hour'::text, 'day'::text, 'all'::text])));
ALTER TABLE capsule_run_rollups ADD CONSTRAINT capsule_run_rollups_pkey PRIMARY KEY (capsule_id, grain, bucket_start);

CREATE TABLE capsule_run_window_bases (
  capsule_id integer NOT NULL,
  grain text NOT NULL,
  bucket_start timestamp with time zone NOT NULL,
  total_runs integer DEFAULT 0 NOT NULL,
  running_runs integer DEFAULT 0 NOT NULL,
  successful_runs integer DEFAULT 0 NOT NULL,
  error_runs integer DEFAULT 0 NOT NULL,
  timeout_runs integer DEFAULT 0 NOT NULL,
  cancelled_runs integer DEFAULT 0 NOT NULL,
  runtime_count integer DEFAULT 0 NOT NULL,
  runtime_sum_ms bigint DEFAULT 0 NOT NULL,
  runtime_histogram integer[]
);
ALTER TABLE capsule_run_window_bases ADD CONSTRAINT capsule_run_window_bases_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_run_window_bases ADD CONSTRAINT capsule_run_window_bases_grain_valid CHECK ((grain = ANY (ARRAY['hour'::text, 'day'::text])));
ALTER TABLE capsule_run_window_bases ADD CONSTRAINT capsule_run_window_bases_pkey PRIMARY KEY (capsule_id, grain, bucket_start);

CREATE TABLE capsule_runs (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  capsule_id integer NOT NULL,
  actor text NOT NULL,
  status text DEFAULT 'success'::text NOT NULL,
  started_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  completed_at timestamp(3) with time zone,
  duration_ms bigint GENERATED ALWAYS AS (((EXTRACT(epoch FROM (completed_at - started_at)) * (1000)::numeric))::bigint) STORED,
  artifact_uri text,
  checksum text,
  exit_code integer,
  message text,
  run_key text,
  capsule_revision integer,
  request_hash text
);
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_actor_length CHECK (((char_length(actor) >= 1) AND (char_length(actor) <= 120)));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_artifact_uri_length CHECK (((char_length(artifact_uri) >= 1) AND (char_length(artifact_uri) <= 2048)));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_checksum_length CHECK ((char_length(checksum) <= 200)) NOT VALID;
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_completed_after_start CHECK (((completed_at IS NULL) OR (completed_at >= started_at)));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_completion CHECK (((status = 'running'::text) = (completed_at IS NULL)));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_message_length CHECK ((char_length(message) <= 4000));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_pkey PRIMARY KEY (id);
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_run_key_length CHECK (((char_length(run_key) >= 1) AND (char_length(run_key) <= 200)));
ALTER TABLE capsule_runs ADD CONSTRAINT capsule_runs_status_valid CHECK ((status = ANY (ARRAY['running'::text, 'success'::text, 'error'::text, 'timeout'::text, 'cancelled'::text])));
CREATE INDEX capsule_runs_artifact_newest_idx ON public.capsule_runs USING btree (capsule_id, started_at DESC, id DESC) WHERE (artifact_uri IS NOT NULL);
CREATE INDEX capsule_runs_capsule_newest_idx ON public.capsule_runs USING btree (capsule_id, started_at DESC, id DESC);
CREATE INDEX capsule_runs_checksum_key_idx ON public.capsule_runs USING btree (checksum_key(checksum), started_at DESC, id DESC) WHERE (checksum IS NOT NULL);
CREATE INDEX capsule_runs_newest_idx ON public.capsule_runs USING btree (started_at DESC, id DESC);
CREATE UNIQUE INDEX capsule_runs_run_key_key ON public.capsule_runs USING btree (run_key) WHERE (run_key IS NOT NULL);
CREATE INDEX capsule_runs_running_idx ON public.capsule_runs USING btree (capsule_id, started_at) WHERE (status = 'running'::text);

CREATE TABLE capsule_slot_marks (
  capsule_id integer NOT NULL,
  closed_until timestamp with time zone,
  close_after timestamp with time zone,
  seen_run_at timestamp with time zone,
  settled_until timestamp with time zone,
  open_run_at timestamp with time zone,
  stale_from timestamp with time zone,
  postponed_until timestamp with time zone
);
ALTER TABLE capsule_slot_marks ADD CONSTRAINT capsule_slot_marks_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_slot_marks ADD CONSTRAINT capsule_slot_marks_pkey PRIMARY KEY (capsule_id);
CREATE INDEX capsule_slot_marks_close_after ON public.capsule_slot_marks USING btree (close_after) WHERE (close_after IS NOT NULL);

CREATE TABLE capsule_slot_revision_rollups (
  capsule_id integer NOT NULL,
  revision integer NOT NULL,
  on_time integer DEFAULT 0 NOT NULL,
  late integer DEFAULT 0 NOT NULL,
  missed integer DEFAULT 0 NOT NULL,
  paused integer DEFAULT 0 NOT NULL
);
ALTER TABLE capsule_slot_revision_rollups ADD CONSTRAINT capsule_slot_revision_rollups_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_slot_revision_rollups ADD CONSTRAINT capsule_slot_revision_rollups_pkey PRIMARY KEY (capsule_id, revision);

CREATE TABLE capsule_slot_rollups (
  capsule_id integer NOT NULL,
  grain text NOT NULL,
  bucket_start timestamp with time zone NOT NULL,
  on_time integer DEFAULT 0 NOT NULL,
  late integer DEFAULT 0 NOT NULL,
  missed integer DEFAULT 0 NOT NULL,
  paused integer DEFAULT 0 NOT NULL
);
ALTER TABLE capsule_slot_rollups ADD CONSTRAINT capsule_slot_rollups_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_slot_rollups ADD CONSTRAINT capsule_slot_rollups_grain_valid CHECK ((grain = ANY (ARRAY['hour'::text, 'day'::text, 'all'::text])));
ALTER TABLE capsule_slot_rollups ADD CONSTRAINT capsule_slot_rollups_pkey PRIMARY KEY (capsule_id, grain, bucket_start);

CREATE TABLE capsule_slot_window_bases (
  capsule_id integer NOT NULL,
  grain text NOT NULL,
  bucket_start timestamp with time zone NOT NULL,
  on_time integer DEFAULT 0 NOT NULL,
  late integer DEFAULT 0 NOT NULL,
  missed integer DEFAULT 0 NOT NULL,
  paused integer DEFAULT 0 NOT NULL
);
ALTER TABLE capsule_slot_window_bases ADD CONSTRAINT capsule_slot_window_bases_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_slot_window_bases ADD CONSTRAINT capsule_slot_window_bases_grain_valid CHECK ((grain = ANY (ARRAY['hour'::text, 'day'::text])));
ALTER TABLE capsule_slot_window_bases ADD CONSTRAINT capsule_slot_window_bases_pkey PRIMARY KEY (capsule_id, grain, bucket_start);

CREATE TABLE capsule_slots (
  capsule_id integer NOT NULL,
  at timestamp with time zone NOT NULL,
  revision integer NOT NULL,
  outcome text NOT NULL,
  run_id bigint,
  lateness_seconds integer
);
ALTER TABLE capsule_slots ADD CONSTRAINT capsule_slots_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_slots ADD CONSTRAINT capsule_slots_outcome_valid CHECK ((outcome = ANY (ARRAY['on_time'::text, 'late'::text, 'missed'::text, 'paused'::text])));
ALTER TABLE capsule_slots ADD CONSTRAINT capsule_slots_pkey PRIMARY KEY (capsule_id, at);

CREATE TABLE capsule_versions (
  capsule_id integer NOT NULL,
  revision integer NOT NULL,
  definition jsonb NOT NULL,
  changed_by text,
  changed_at timestamp(3) with time zone DEFAULT now() NOT NULL
);
ALTER TABLE capsule_versions ADD CONSTRAINT capsule_versions_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE capsule_versions ADD CONSTRAINT capsule_versions_pkey PRIMARY KEY (capsule_id, revision);

CREATE TABLE capsules (
  id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  slug text NOT NULL,
  title text NOT NULL,
  kind text NOT NULL,
  mode text NOT NULL,
  version text DEFAULT '1.0.0'::text NOT NULL,
  status text DEFAULT 'active'::text NOT NULL,
  entrypoint text DEFAULT ''::text NOT NULL,
  schedule text,
  timezone text DEFAULT 'UTC'::text NOT NULL,
  grace_seconds integer DEFAULT 300 NOT NULL,
  max_runtime_seconds integer,
  tags text[] DEFAULT '{}'::text[] NOT NULL,
  created_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  updated_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  revision integer DEFAULT 1 NOT NULL
);
ALTER TABLE capsules ADD CONSTRAINT capsules_entrypoint_length CHECK ((char_length(entrypoint) <= 500));
ALTER TABLE capsules ADD CONSTRAINT capsules_grace_range CHECK (((grace_seconds >= 0) AND (grace_seconds <= 2592000)));
ALTER TABLE capsules ADD CONSTRAINT capsules_kind_length CHECK (((char_length(kind) >= 1) AND (char_length(kind) <= 50)));
ALTER TABLE capsules ADD CONSTRAINT capsules_max_runtime_range CHECK (((max_runtime_seconds >= 1) AND (max_runtime_seconds <= 2592000)));
ALTER TABLE capsules ADD CONSTRAINT capsules_mode_length CHECK (((char_length(mode) >= 1) AND (char_length(mode) <= 50)));
ALTER TABLE capsules ADD CONSTRAINT capsules_pkey PRIMARY KEY (id);
ALTER TABLE capsules ADD CONSTRAINT capsules_schedule_length CHECK (((char_length(schedule) >= 1) AND (char_length(schedule) <= 120)));
ALTER TABLE capsules ADD CONSTRAINT capsules_slug_format CHECK ((slug ~ '^[a-z0-9-]{1,120}$'::text));
ALTER TABLE capsules ADD CONSTRAINT capsules_slug_key UNIQUE (slug);
ALTER TABLE capsules ADD CONSTRAINT capsules_status_valid CHECK ((status = ANY (ARRAY['active'::text, 'archived'::text])));
ALTER TABLE capsules ADD CONSTRAINT capsules_tags_count CHECK ((cardinality(tags) <= 20));
ALTER TABLE capsules ADD CONSTRAINT capsules_timezone_length CHECK (((char_length(timezone) >= 1) AND (char_length(timezone) <= 64)));
ALTER TABLE capsules ADD CONSTRAINT capsules_title_length CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200)));
ALTER TABLE capsules ADD CONSTRAINT capsules_version_length CHECK (((char_length(version) >= 1) AND (char_length(version) <= 50)));

CREATE TABLE ledger_changes (
  part text NOT NULL,
  stripe smallint NOT NULL,
  changes bigint DEFAULT 0 NOT NULL
);
ALTER TABLE ledger_changes ADD CONSTRAINT ledger_changes_pkey PRIMARY KEY (part, stripe);

CREATE TABLE notification_attempts (
  notification_id bigint NOT NULL,
  attempt integer NOT NULL,
  at timestamp(3) with time zone DEFAULT now() NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  error text
);
ALTER TABLE notification_attempts ADD CONSTRAINT notification_attempts_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES notifications(id) ON DELETE CASCADE;
ALTER TABLE notification_attempts ADD CONSTRAINT notification_attempts_pkey PRIMARY KEY (notification_id, attempt);

CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  message_id uuid DEFAULT gen_random_uuid() NOT NULL,
  flip_id bigint,
  channel_id integer NOT NULL,
  capsule_id integer,
  type text NOT NULL,
  payload jsonb NOT NULL,
  status text DEFAULT 'pending'::text NOT NULL,
  attempts integer DEFAULT 0 NOT NULL,
  next_attempt_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  last_error text,
  created_at timestamp(3) with time zone DEFAULT now() NOT NULL,
  delivered_at timestamp(3) with time zone
);
ALTER TABLE notifications ADD CONSTRAINT notifications_capsule_id_fkey FOREIGN KEY (capsule_id) REFERENCES capsules(id) ON DELETE CASCADE;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES alert_channels(id) ON DELETE CASCADE;
ALTER TABLE notifications ADD CONSTRAINT notifications_flip_id_fkey FOREIGN KEY (flip_id) REFERENCES capsule_flips(id) ON DELETE CASCADE;
ALTER TABLE notifications ADD CONSTRAINT notifications_message_id_unique UNIQUE (message_id);
ALTER TABLE notifications ADD CONSTRAINT notifications_once_per_flip_and_channel UNIQUE (flip_id, channel_id);
ALTER TABLE notifications ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);
ALTER TABLE notifications ADD CONSTRAINT notifications_status CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])));
CREATE INDEX notifications_due ON public.notifications USING btree (next_attempt_at) WHERE (status = 'pending'::text);
CREATE INDEX notifications_newest ON public.notifications USING btree (created_at DESC, id DESC);

CREATE TABLE readiness_probe (
  replica text NOT NULL,
  checked_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE readiness_probe ADD CONSTRAINT readiness_probe_pkey PRIMARY KEY (replica);
ALTER TABLE readiness_probe ADD CONSTRAINT readiness_probe_replica_check CHECK (((char_length(replica) >= 1) AND (char_length(replica) <= 64)));

CREATE TABLE schema_migrations (
  id integer DEFAULT nextval('schema_migrations_id_seq'::regclass) NOT NULL,
  "timestamp" bigint NOT NULL,
  name character varying NOT NULL
);
ALTER TABLE schema_migrations ADD CONSTRAINT PK_62441bec32630ced9e4cccae336 PRIMARY KEY (id);

CREATE VIEW capsule_performance AS
 SELECT c.id AS capsule_id,
    c.slug AS capsule_slug,
    c.title AS capsule_title,
    c.kind,
    COALESCE(a.total_runs, 0) AS total_runs,
    COALESCE(a.successful_runs, 0) AS successful_runs,
    COALESCE(a.error_runs + a.timeout_runs, 0) AS failed_runs,
    a.successful_runs::double precision / NULLIF(a.successful_runs + a.error_runs + a.timeout_runs, 0)::double precision AS success_rate,
    a.runtime_sum_ms::double precision / NULLIF(a.runtime_count, 0)::double precision / 1000.0::double precision AS avg_runtime_seconds,
    a.runtime_histogram,
    a.last_run_at,
    a.last_success_at,
    a.last_failure_at
   FROM capsules c
     LEFT JOIN LATERAL ( SELECT capsule_run_rollups.capsule_id,
            capsule_run_rollups.grain,
            capsule_run_rollups.bucket_start,
            capsule_run_rollups.total_runs,
            capsule_run_rollups.running_runs,
            capsule_run_rollups.successful_runs,
            capsule_run_rollups.error_runs,
            capsule_run_rollups.timeout_runs,
            capsule_run_rollups.cancelled_runs,
            capsule_run_rollups.runtime_count,
            capsule_run_rollups.runtime_sum_ms,
            capsule_run_rollups.runtime_histogram,
            capsule_run_rollups.last_run_at,
            capsule_run_rollups.last_success_at,
            capsule_run_rollups.last_failure_at
           FROM capsule_run_rollups
          WHERE capsule_run_rollups.capsule_id = c.id AND capsule_run_rollups.grain = 'all'::text AND capsule_run_rollups.bucket_start = '-infinity'::timestamp with time zone
         LIMIT 1) a ON true;

CREATE VIEW capsule_run_summary AS
 SELECT c.id AS capsule_id,
    latest.started_at AS last_run_at,
    latest.status AS last_run_status,
    finished.status AS last_finished_status,
    running.oldest_started_at AS oldest_running_started_at
   FROM capsules c
     LEFT JOIN LATERAL ( SELECT r.started_at,
            r.status
           FROM capsule_runs r
          WHERE r.capsule_id = c.id
          ORDER BY r.started_at DESC, r.id DESC
         LIMIT 1) latest ON true
     LEFT JOIN LATERAL ( SELECT r.status
           FROM capsule_runs r
          WHERE r.capsule_id = c.id AND r.status <> 'running'::text
          ORDER BY r.started_at DESC, r.id DESC
         LIMIT 1) finished ON true
     LEFT JOIN LATERAL ( SELECT min(r.started_at) AS oldest_started_at
           FROM capsule_runs r
          WHERE r.capsule_id = c.id AND r.status = 'running'::text) running ON true;

CREATE VIEW scheduled_capsules AS
 SELECT c.id AS capsule_id,
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
    ( SELECT count(*)::integer AS count
           FROM capsule_runs r
          WHERE r.capsule_id = c.id AND r.started_at >= local_day_start(now(), c.timezone) AND r.started_at <= now()) AS runs_today
   FROM capsules c
     JOIN capsule_run_summary s ON s.capsule_id = c.id
  WHERE c.status = 'active'::text AND c.schedule IS NOT NULL;

CREATE OR REPLACE FUNCTION public.capsule_definition(c capsules)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
        SELECT jsonb_build_object(
          'title', c.title, 'kind', c.kind, 'mode', c.mode, 'version', c.version, 'status', c.status,
          'entrypoint', c.entrypoint, 'schedule', c.schedule, 'timezone', c.timezone,
          'grace_seconds', c.grace_seconds, 'max_runtime_seconds', c.max_runtime_seconds, 'tags', to_jsonb(c.tags))
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_run_rollups_recompute_last(capsule_ids integer[])
 RETURNS void
 LANGUAGE sql
AS $function$
        UPDATE capsule_run_rollups AS t SET
          last_run_at = (SELECT max(r.started_at) FROM capsule_runs r WHERE r.capsule_id = t.capsule_id),
          last_success_at = (SELECT max(r.completed_at) FROM capsule_runs r
                             WHERE r.capsule_id = t.capsule_id AND r.status = 'success'),
          last_failure_at = (SELECT max(r.completed_at) FROM capsule_runs r
                             WHERE r.capsule_id = t.capsule_id AND r.status IN ('error', 'timeout'))
        WHERE t.grain = 'all' AND t.capsule_id = ANY (capsule_ids)
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_runs_maintain_revision_rollups()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          
      PERFORM 1 FROM capsule_revision_rollups t
      WHERE (t.capsule_id, t.revision) IN (SELECT capsule_id, COALESCE(capsule_revision, 0) FROM old_rows)
      ORDER BY t.capsule_id, t.revision FOR UPDATE;
        ELSIF TG_OP = 'UPDATE' THEN
          
      PERFORM 1 FROM capsule_revision_rollups t
      WHERE (t.capsule_id, t.revision) IN (SELECT capsule_id, COALESCE(capsule_revision, 0) FROM old_rows UNION SELECT capsule_id, COALESCE(capsule_revision, 0) FROM new_rows)
      ORDER BY t.capsule_id, t.revision FOR UPDATE;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE capsule_revision_rollups AS t SET
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
      SELECT s.capsule_id, COALESCE(s.capsule_revision, 0) AS revision,
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
      FROM old_rows s
      GROUP BY s.capsule_id, COALESCE(s.capsule_revision, 0)) d
          WHERE t.capsule_id = d.capsule_id AND t.revision = d.revision;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          
      INSERT INTO capsule_revision_rollups AS t
        (capsule_id, revision, total_runs, running_runs, successful_runs, error_runs, timeout_runs,
         cancelled_runs, runtime_count, runtime_sum_ms, runtime_histogram)
      SELECT * FROM (
      SELECT s.capsule_id, COALESCE(s.capsule_revision, 0) AS revision,
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
      FROM new_rows s
      GROUP BY s.capsule_id, COALESCE(s.capsule_revision, 0)) a ORDER BY a.capsule_id, a.revision
      ON CONFLICT (capsule_id, revision) DO UPDATE SET
        total_runs = t.total_runs + EXCLUDED.total_runs,
        running_runs = t.running_runs + EXCLUDED.running_runs,
        successful_runs = t.successful_runs + EXCLUDED.successful_runs,
        error_runs = t.error_runs + EXCLUDED.error_runs,
        timeout_runs = t.timeout_runs + EXCLUDED.timeout_runs,
        cancelled_runs = t.cancelled_runs + EXCLUDED.cancelled_runs,
        runtime_count = t.runtime_count + EXCLUDED.runtime_count,
        runtime_sum_ms = t.runtime_sum_ms + EXCLUDED.runtime_sum_ms,
        runtime_histogram = int_array_add(t.runtime_histogram, EXCLUDED.runtime_histogram);
        END IF;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_runs_maintain_rollups()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_runs_maintain_window_bases()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          
      UPDATE capsule_run_window_bases AS t SET
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
      SELECT b.capsule_id, b.grain, b.bucket_start,
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
      FROM old_rows s
      JOIN capsule_run_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.started_at
      GROUP BY b.capsule_id, b.grain, b.bucket_start) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          
      UPDATE capsule_run_window_bases AS t SET
        total_runs = t.total_runs + d.total_runs,
        running_runs = t.running_runs + d.running_runs,
        successful_runs = t.successful_runs + d.successful_runs,
        error_runs = t.error_runs + d.error_runs,
        timeout_runs = t.timeout_runs + d.timeout_runs,
        cancelled_runs = t.cancelled_runs + d.cancelled_runs,
        runtime_count = t.runtime_count + d.runtime_count,
        runtime_sum_ms = t.runtime_sum_ms + d.runtime_sum_ms,
        runtime_histogram = int_array_add(t.runtime_histogram, d.runtime_histogram)
      FROM (
      SELECT b.capsule_id, b.grain, b.bucket_start,
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
      FROM new_rows s
      JOIN capsule_run_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.started_at
      GROUP BY b.capsule_id, b.grain, b.bucket_start) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start;
        END IF;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_runs_mark_stale_slots()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(1011, capsule_id)
        FROM (SELECT DISTINCT capsule_id FROM new_rows ORDER BY capsule_id) n;
        UPDATE capsule_slot_marks m SET stale_from = LEAST(m.stale_from, n.first_start)
        FROM (SELECT capsule_id, min(started_at) AS first_start FROM new_rows GROUP BY capsule_id) n
        WHERE m.capsule_id = n.capsule_id
          AND (n.first_start < m.closed_until OR n.first_start < m.open_run_at)
          AND (m.stale_from IS NULL OR n.first_start < m.stale_from);
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_slots_maintain_rollups()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN 
      INSERT INTO capsule_slot_rollups AS t (capsule_id, grain, bucket_start, on_time, late, missed, paused)
      SELECT s.capsule_id, g.grain, rollup_bucket(g.grain, s.at) AS bucket,
             -1 * count(*) FILTER (WHERE s.outcome = 'on_time'), -1 * count(*) FILTER (WHERE s.outcome = 'late'),
             -1 * count(*) FILTER (WHERE s.outcome = 'missed'), -1 * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM old_rows s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
      GROUP BY s.capsule_id, g.grain, bucket
      ORDER BY s.capsule_id, g.grain, bucket
      ON CONFLICT (capsule_id, grain, bucket_start) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused;
      INSERT INTO capsule_slot_revision_rollups AS t (capsule_id, revision, on_time, late, missed, paused)
      SELECT s.capsule_id, s.revision,
             -1 * count(*) FILTER (WHERE s.outcome = 'on_time'), -1 * count(*) FILTER (WHERE s.outcome = 'late'),
             -1 * count(*) FILTER (WHERE s.outcome = 'missed'), -1 * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM old_rows s
      GROUP BY s.capsule_id, s.revision
      ORDER BY s.capsule_id, s.revision
      ON CONFLICT (capsule_id, revision) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN 
      INSERT INTO capsule_slot_rollups AS t (capsule_id, grain, bucket_start, on_time, late, missed, paused)
      SELECT s.capsule_id, g.grain, rollup_bucket(g.grain, s.at) AS bucket,
             1 * count(*) FILTER (WHERE s.outcome = 'on_time'), 1 * count(*) FILTER (WHERE s.outcome = 'late'),
             1 * count(*) FILTER (WHERE s.outcome = 'missed'), 1 * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM new_rows s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
      GROUP BY s.capsule_id, g.grain, bucket
      ORDER BY s.capsule_id, g.grain, bucket
      ON CONFLICT (capsule_id, grain, bucket_start) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused;
      INSERT INTO capsule_slot_revision_rollups AS t (capsule_id, revision, on_time, late, missed, paused)
      SELECT s.capsule_id, s.revision,
             1 * count(*) FILTER (WHERE s.outcome = 'on_time'), 1 * count(*) FILTER (WHERE s.outcome = 'late'),
             1 * count(*) FILTER (WHERE s.outcome = 'missed'), 1 * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM new_rows s
      GROUP BY s.capsule_id, s.revision
      ORDER BY s.capsule_id, s.revision
      ON CONFLICT (capsule_id, revision) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused; END IF;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_slots_maintain_window_bases()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          
      UPDATE capsule_slot_window_bases AS t SET
        on_time = t.on_time - d.on_time, late = t.late - d.late,
        missed = t.missed - d.missed, paused = t.paused - d.paused
      FROM (
        SELECT b.capsule_id, b.grain, b.bucket_start,
               count(*) FILTER (WHERE s.outcome = 'on_time') AS on_time,
               count(*) FILTER (WHERE s.outcome = 'late') AS late,
               count(*) FILTER (WHERE s.outcome = 'missed') AS missed,
               count(*) FILTER (WHERE s.outcome = 'paused') AS paused
        FROM old_rows s
        JOIN capsule_slot_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.at
        GROUP BY b.capsule_id, b.grain, b.bucket_start
      ) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          
      UPDATE capsule_slot_window_bases AS t SET
        on_time = t.on_time + d.on_time, late = t.late + d.late,
        missed = t.missed + d.missed, paused = t.paused + d.paused
      FROM (
        SELECT b.capsule_id, b.grain, b.bucket_start,
               count(*) FILTER (WHERE s.outcome = 'on_time') AS on_time,
               count(*) FILTER (WHERE s.outcome = 'late') AS late,
               count(*) FILTER (WHERE s.outcome = 'missed') AS missed,
               count(*) FILTER (WHERE s.outcome = 'paused') AS paused
        FROM new_rows s
        JOIN capsule_slot_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.at
        GROUP BY b.capsule_id, b.grain, b.bucket_start
      ) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start;
        END IF;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsule_versions_immutable()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        RAISE EXCEPTION 'capsule versions are immutable';
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsules_next_revision()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF capsule_definition(NEW) IS DISTINCT FROM capsule_definition(OLD) THEN
          NEW.revision := OLD.revision + 1;
        ELSE
          NEW.revision := OLD.revision;
        END IF;
        RETURN NEW;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.capsules_record_version()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP = 'INSERT' OR NEW.revision <> OLD.revision THEN
          INSERT INTO capsule_versions (capsule_id, revision, definition, changed_by, changed_at)
          VALUES (NEW.id, NEW.revision, capsule_definition(NEW),
                  NULLIF(current_setting('capsules.changed_by', true), ''), NEW.updated_at);
        END IF;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.checksum_key(checksum text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$ SELECT CASE WHEN checksum ~ '^[A-Za-z0-9-]+:[0-9A-Fa-f]+$' THEN lower(checksum) ELSE checksum END $function$;

CREATE OR REPLACE FUNCTION public.int_array_add(a integer[], b integer[])
 RETURNS integer[]
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
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
      $function$;

CREATE OR REPLACE FUNCTION public.int_array_sub(a integer[], b integer[])
 RETURNS integer[]
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
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
      $function$;

CREATE OR REPLACE FUNCTION public.ledger_changes_bump()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
        ELSIF TG_OP IN ('INSERT', 'UPDATE') THEN
          IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
        END IF;
        UPDATE ledger_changes SET changes = changes + 1
        WHERE part = TG_ARGV[0] AND stripe = (txid_current() % 64)::smallint;
        RETURN NULL;
      END
      $function$;

CREATE OR REPLACE FUNCTION public.local_day_start(at timestamp with time zone, tz text)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
        WITH d AS (SELECT date_trunc('day', at AT TIME ZONE tz) AS midnight)
        SELECT coalesce(min(c.at), min(d.midnight AT TIME ZONE tz))
        FROM d CROSS JOIN LATERAL (VALUES
          (d.midnight AT TIME ZONE tz),
          ((d.midnight - interval '3 hours') AT TIME ZONE tz + interval '3 hours')
        ) AS c(at)
        WHERE (c.at AT TIME ZONE tz)::date = d.midnight::date
      $function$;

CREATE OR REPLACE FUNCTION public.rollup_bucket(grain text, started_at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
        SELECT CASE grain WHEN 'hour' THEN date_trunc('hour', started_at, 'UTC')
                          WHEN 'day' THEN date_trunc('day', started_at, 'UTC')
                          ELSE '-infinity'::timestamptz END
      $function$;

CREATE OR REPLACE FUNCTION public.runtime_bucket(ms bigint)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
        SELECT CASE WHEN ms IS NULL THEN NULL
                    WHEN ms <= 0 THEN 0
                    ELSE LEAST(127, floor(4 * ln(ms::float8) / ln(2::float8) + 1e-9)::integer + 1) END
      $function$;

CREATE OR REPLACE FUNCTION public.runtime_histogram_of(durations bigint[])
 RETURNS integer[]
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
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
      $function$;

CREATE AGGREGATE int_array_sum(integer[]) (SFUNC = int_array_add, STYPE = integer[]);

CREATE TRIGGER capsule_runs_changes_delete AFTER DELETE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('runs');
CREATE TRIGGER capsule_runs_changes_insert AFTER INSERT ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('runs');
CREATE TRIGGER capsule_runs_changes_truncate AFTER TRUNCATE ON public.capsule_runs FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('runs');
CREATE TRIGGER capsule_runs_changes_update AFTER UPDATE ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('runs');
CREATE TRIGGER capsule_runs_revision_rollups_delete AFTER DELETE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups();
CREATE TRIGGER capsule_runs_revision_rollups_insert AFTER INSERT ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups();
CREATE TRIGGER capsule_runs_revision_rollups_update AFTER UPDATE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups();
CREATE TRIGGER capsule_runs_rollups_delete AFTER DELETE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups();
CREATE TRIGGER capsule_runs_rollups_insert AFTER INSERT ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups();
CREATE TRIGGER capsule_runs_rollups_update AFTER UPDATE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_rollups();
CREATE TRIGGER capsule_runs_stale_slots AFTER INSERT ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_mark_stale_slots();
CREATE TRIGGER capsule_runs_window_bases_delete AFTER DELETE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases();
CREATE TRIGGER capsule_runs_window_bases_insert AFTER INSERT ON public.capsule_runs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases();
CREATE TRIGGER capsule_runs_window_bases_update AFTER UPDATE ON public.capsule_runs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases();
CREATE TRIGGER capsule_slots_changes_delete AFTER DELETE ON public.capsule_slots REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('slots');
CREATE TRIGGER capsule_slots_changes_insert AFTER INSERT ON public.capsule_slots REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('slots');
CREATE TRIGGER capsule_slots_changes_truncate AFTER TRUNCATE ON public.capsule_slots FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('slots');
CREATE TRIGGER capsule_slots_changes_update AFTER UPDATE ON public.capsule_slots REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('slots');
CREATE TRIGGER capsule_slots_rollups_delete AFTER DELETE ON public.capsule_slots REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups();
CREATE TRIGGER capsule_slots_rollups_insert AFTER INSERT ON public.capsule_slots REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups();
CREATE TRIGGER capsule_slots_rollups_update AFTER UPDATE ON public.capsule_slots REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups();
CREATE TRIGGER capsule_slots_window_bases_delete AFTER DELETE ON public.capsule_slots REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases();
CREATE TRIGGER capsule_slots_window_bases_insert AFTER INSERT ON public.capsule_slots REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases();
CREATE TRIGGER capsule_slots_window_bases_update AFTER UPDATE ON public.capsule_slots REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases();
CREATE TRIGGER capsule_versions_changes_delete AFTER DELETE ON public.capsule_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsule_versions_changes_insert AFTER INSERT ON public.capsule_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsule_versions_changes_truncate AFTER TRUNCATE ON public.capsule_versions FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsule_versions_changes_update AFTER UPDATE ON public.capsule_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsule_versions_immutable BEFORE UPDATE ON public.capsule_versions FOR EACH ROW EXECUTE FUNCTION capsule_versions_immutable();
CREATE TRIGGER capsules_changes_delete AFTER DELETE ON public.capsules REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsules_changes_insert AFTER INSERT ON public.capsules REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsules_changes_truncate AFTER TRUNCATE ON public.capsules FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsules_changes_update AFTER UPDATE ON public.capsules REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_changes_bump('registry');
CREATE TRIGGER capsules_next_revision BEFORE UPDATE ON public.capsules FOR EACH ROW EXECUTE FUNCTION capsules_next_revision();
CREATE TRIGGER capsules_record_version AFTER INSERT OR UPDATE ON public.capsules FOR EACH ROW EXECUTE FUNCTION capsules_record_version();
