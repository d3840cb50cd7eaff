import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { RUN_STATUSES, type RunStatus } from '@app/database';

// The vocabulary is declared once, in libs/database (ledger-vocabulary.ts).
export { RUN_STATUSES, type RunStatus };
export type FinalRunStatus = Exclude<RunStatus, 'running'>;

/**
 * A row of `capsule_runs` (see the CreateCapsuleRuns migration). Property
 * names are the column names. This maps the row for TypeORM; the schema (the
 * foreign key to `capsules` and its cascade, the CHECKs, the triggers) is the
 * migrations' alone. `id` and `duration_ms` are bigint columns: the
 * driver hands them over as strings, the mappers turn them into numbers.
 */
@Entity({ name: 'capsule_runs' })
export class RunEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column('integer')
  capsule_id!: number;

  @Column('text')
  actor!: string;

  @Column('text')
  status!: RunStatus;

  @Column({ type: 'timestamptz', precision: 3 })
  started_at!: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  completed_at!: Date | null;

  @Column({ type: 'bigint', nullable: true, insert: false, update: false })
  duration_ms!: string | null;

  @Column('text', { nullable: true })
  artifact_uri!: string | null;

  @Column('text', { nullable: true })
  checksum!: string | null;

  @Column('integer', { nullable: true })
  exit_code!: number | null;

  @Column('text', { nullable: true })
  message!: string | null;

  @Column('text', { nullable: true })
  run_key!: string | null;

  /** Revision of the capsule definition current when the run was recorded. */
  @Column('integer', { nullable: true })
  capsule_revision!: number | null;

  /** Fingerprint of the report that created the run (idempotent retries are compared with it). */
  @Column('text', { nullable: true, select: false })
  request_hash!: string | null;
}

/** A run as read with its capsule's slug. */
export interface RunRow extends Omit<RunEntity, 'request_hash'> {
  capsule_slug: string;
}
