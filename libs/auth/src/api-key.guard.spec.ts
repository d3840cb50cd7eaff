import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { FixedClock, loadConfig } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { generateApiKey } from './api-key-format';
import { ApiKeyGuard } from './api-key.guard';
import type { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { TooManyRequestsError, UnauthorizedError } from './auth.errors';

function context(request: Partial<FastifyRequest>): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => undefined,
    getClass: () => undefined,
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard', () => {
  it('does not read the database for guessed keys once the address is over its limit', async () => {
    const clock = new FixedClock(new Date('2026-11-24T08:00:00Z'));
    const findById = jest.fn(() => Promise.resolve(null));
    const repository = { findById, countActive: () => Promise.resolve(1) } as unknown as ApiKeysRepository;
    const config = { ...loadConfig({}), rateLimitPerIp: 2 };
    const guard = new ApiKeyGuard(
      { getAllAndOverride: () => undefined } as unknown as Reflector,
      new ApiKeysService(config, repository, clock),
      config,
      clock,
    );
    const attempt = () =>
      guard.canActivate(context({ method: 'GET', ip: '198.51.100.7', headers: { 'x-api-key': generateApiKey().key } }));
    await expect(attempt()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(attempt()).rejects.toBeInstanceOf(UnauthorizedError);
    for (let i = 0; i < 20; i++) await expect(attempt()).rejects.toBeInstanceOf(TooManyRequestsError);
    expect(findById).toHaveBeenCalledTimes(2);
  });
});
