import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ApiKeyScope } from './api-key-format';

/** A row of `api_keys` (see the CreateApiKeys migration). Only the key's hash is stored. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  scope!: ApiKeyScope;

  @Column('bytea')
  key_hash!: Buffer;

  @Column('timestamptz')
  created_at!: Date;

  @Column('timestamptz', { nullable: true })
  revoked_at!: Date | null;
}
