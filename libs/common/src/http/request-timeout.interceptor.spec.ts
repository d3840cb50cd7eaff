import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, NEVER, of } from 'rxjs';
import { ServiceUnavailableError } from '../errors/domain-error';
import { RequestTimeoutInterceptor } from './request-timeout.interceptor';

describe('RequestTimeoutInterceptor', () => {
  const context = {} as ExecutionContext;
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('turns a handler that runs past the limit into a 503 REQUEST_TIMEOUT', async () => {
    const answer = firstValueFrom(new RequestTimeoutInterceptor(1000).intercept(context, { handle: () => NEVER }));
    jest.advanceTimersByTime(1000);
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'REQUEST_TIMEOUT', headers: { 'retry-after': '5' } });
  });

  it('lets a prompt handler and its errors through unchanged', async () => {
    const handler: CallHandler = { handle: () => of('ok') };
    await expect(firstValueFrom(new RequestTimeoutInterceptor(1000).intercept(context, handler))).resolves.toBe('ok');
  });
});
