import { guardedLookup, isForbiddenAddress, literalRefusal } from './destination';

describe('notification destinations (SSRF guard)', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.8',
    '172.16.4.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.1.1.1',
    '::7f00:1',
    '2002:7f00:1::1',
    '192.0.2.10',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.216.34'])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('refuses literal addresses in URLs unless allowed', () => {
    expect(literalRefusal(new URL('http://[::1]:8080/x'), false)?.message).toContain('destination refused');
    expect(literalRefusal(new URL('http://127.0.0.1/x'), true)).toBeNull();
    expect(literalRefusal(new URL('https://hooks.example.com/x'), false)).toBeNull();
  });

  it('refuses a name that resolves to loopback at connect time, and lets it through when allowed', async () => {
    const lookup = (allow: boolean) =>
      new Promise<unknown>((resolve) =>
        guardedLookup(allow)('localhost', { all: true }, (error, addresses) => resolve(error ?? addresses)),
      );
    expect(await lookup(false)).toMatchObject({ code: 'EDESTINATIONREFUSED' });
    expect(await lookup(true)).toEqual(
      expect.arrayContaining([expect.objectContaining({ family: expect.any(Number) })]),
    );
  });
});
