import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const CAPSULE_STATUSES = ['active', 'archived'] as const;
export type CapsuleStatus = (typeof CAPSULE_STATUSES)[number];

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
