import { FixedClock, loadConfig, RequestValidationError } from '@app/common';
import { databaseKeyId, generateApiKey, hashApiKey } from './api-key-format';
import type { ApiKeyEntity } from './api-key.entity';
import type { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService, scopeCovers } from './api-keys.service';

function setup(rows: ApiKeyEntity[], envKeys?: string) {
  const clock = new FixedClock(new Date('2026-11-24T08:00:00Z'));
  const repository = {
    findById: jest.fn((id: string) => Promise.resolve(rows.find((row) => row.id === id) ?? null)),
    countActive: jest.fn(() => Promise.resolve(rows.filter((row) => !row.revoked_at).length)),
    insert: jest.fn(() => Promise.resolve(true)),
  };
  const config = { ...loadConfig({}), apiKeys: envKeys };
  const service = new ApiKeysService(config, repository as unknown as ApiKeysRepository, clock);
  return { service, repository, clock };
}

function row(key: string, overrides: Partial<ApiKeyEntity> = {}): ApiKeyEntity {
  return {
    id: databaseKeyId(key)!,
    name: 'runner',
    scope: 'write',
    key_hash: hashApiKey(key),
    created_at: new Date(),
    revoked_at: null,
    ...overrides,
  };
}

describe('API key format', () => {
  it('makes cap_<12 id chars>_<43 secret chars> keys whose id can be read back', () => {
    const { id, key } = generateApiKey();
    expect(key).toMatch(/^cap_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(databaseKeyId(key)).toBe(id);
    expect(generateApiKey().key).not.toBe(key);
    expect(databaseKeyId('cap_short_x')).toBeUndefined();
  });
});

describe('ApiKeysService', () => {
  it('authenticates environment keys without touching the database', async () => {
    const { service, repository } = setup([], `dash:read:${'d'.repeat(30)}`);
    expect(await service.authenticate('d'.repeat(30))).toEqual({ name: 'dash', scope: 'read' });
    expect(await service.authenticate('d'.repeat(31))).toBeUndefined();
    expect(repository.findById).not.toHaveBeenCalled();
    expect(service.environmentKeys).toEqual([{ name: 'dash', scope: 'read', hash: hashApiKey('d'.repeat(30)) }]);
  });

  it('refuses to be made with bad API key entries', () => {
    expect(() => setup([], 'dash:root:' + 'd'.repeat(30))).toThrow(
      'API_KEYS entry 1 (dash): the scope must be read, write or admin',
    );
  });

  it('authenticates a database key by its id and hash, and caches the row for 5 s', async () => {
    const { key } = generateApiKey();
    const rows = [row(key)];
    const { service, repository, clock } = setup(rows);
    expect(await service.authenticate(key)).toEqual({ name: 'runner', scope: 'write' });
    rows[0].revoked_at = new Date();
    expect(await service.authenticate(key)).toEqual({ name: 'runner', scope: 'write' });
    expect(repository.findById).toHaveBeenCalledTimes(1);
    clock.set('2026-11-24T08:00:05.001Z');
    expect(await service.authenticate(key)).toBeUndefined();
  });

  it('reads unknown ids only after beforeLookup, but refreshes a good key without it', async () => {
    const { key } = generateApiKey();
    const { service, repository, clock } = setup([row(key)]);
    const refuse = jest.fn(() => {
      throw new Error('over the address limit');
    });
    const unknown = generateApiKey().key;
    await expect(service.authenticate(unknown, refuse)).rejects.toThrow('over the address limit');
    expect(await service.authenticate(key)).toEqual({ name: 'runner', scope: 'write' });
    clock.set('2026-11-24T08:00:05.001Z');
    expect(await service.authenticate(key, refuse)).toEqual({ name: 'runner', scope: 'write' });
    expect(refuse).toHaveBeenCalledTimes(1);
    expect(repository.findById).toHaveBeenCalledTimes(2);
  });

  it('requests that find a key expired at the same time share one database read', async () => {
    const { key } = generateApiKey();
    const { service, repository } = setup([row(key)]);
    const answers = await Promise.all(Array.from({ length: 10 }, () => service.authenticate(key)));
    expect(answers).toEqual(Array(10).fill({ name: 'runner', scope: 'write' }));
    expect(repository.findById).toHaveBeenCalledTimes(1);
  });

  it('refuses a key whose id exists but whose secret differs', async () => {
    const { key } = generateApiKey();
    const { service } = setup([row(key)]);
    const forged = `${key.slice(0, 17)}${'A'.repeat(43)}`;
    expect(databaseKeyId(forged)).toBe(databaseKeyId(key));
    expect(await service.authenticate(forged)).toBeUndefined();
  });

  it('validates names and scopes, and names taken by environment keys', async () => {
    const { service } = setup([], `taken:read:${'t'.repeat(30)}`);
    await expect(service.create('bad name!', 'write')).rejects.toBeInstanceOf(RequestValidationError);
    await expect(service.create('ok', 'root' as never)).rejects.toBeInstanceOf(RequestValidationError);
    await expect(service.create('taken', 'read')).rejects.toThrow(RequestValidationError);
    await expect(service.create('fine', 'admin')).resolves.toMatchObject({ key: expect.stringMatching(/^cap_/) });
  });

  it('orders scopes admin > write > read', () => {
    expect(scopeCovers('admin', 'write')).toBe(true);
    expect(scopeCovers('write', 'read')).toBe(true);
    expect(scopeCovers('write', 'admin')).toBe(false);
    expect(scopeCovers('read', 'write')).toBe(false);
  });
});
