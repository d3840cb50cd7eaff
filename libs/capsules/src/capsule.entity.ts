import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const CAPSULE_STATUSES = ['active', 'archived'] as const;
export type CapsuleStatus = (typeof CAPSULE_STATUSES)[number];

/**
 * The fields of a capsule's definition: what PATCH may change, what a version
 * keeps (the migration's capsule_definition() lists the same), every one but
 * the slug. The first three are required at registration.
 */
export const CAPSULE_DEFINITION_FIELDS = [
  'title',
  'kind',
  'mode',
  'version',
  'status',
  'entrypoint',
  'schedule',
  'timezone',
  'grace_seconds',
  'max_runtime_seconds',
  'tags',
] as const;

/**
 * A row of `capsules` (see the CreateCapsules migration, the schema's only
 * source). Property names are the column names, so raw SQL rows and entities
 * have one shape.
 */
@Entity({ name: 'capsules' })
export class CapsuleEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id!: number;

  @Column('text', { unique: true })
  slug!: string;

  @Column('text')
  title!: string;

  @Column('text')
  kind!: string;

  @Column('text')
  mode!: string;

  @Column('text')
  version!: string;

  @Column('text')
  status!: CapsuleStatus;

  @Column('text')
  entrypoint!: string;

  @Column('text', { nullable: true })
  schedule!: string | null;

  @Column('text')
  timezone!: string;

  @Column('integer')
  grace_seconds!: number;

  @Column('integer', { nullable: true })
  max_runtime_seconds!: number | null;

  @Column('text', { array: true })
  tags!: string[];

  /** Definition revision: 1 at registration, +1 on every change of the definition (kept by triggers). */
  @Column({ type: 'integer', insert: false, update: false })
  revision!: number;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  created_at!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updated_at!: Date;
}
