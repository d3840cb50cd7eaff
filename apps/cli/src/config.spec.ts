import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, resolveConfig } from './config';

describe('capsule configuration', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'capsule-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('flags win over the environment, which wins over the config file, then the defaults', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ url: 'http://file:1', api_key: 'from-file', spool_dir: '/file/spool' }));
    const env = { CAPSULES_CONFIG: file, CAPSULES_URL: 'http://env:2/', XDG_STATE_HOME: '/state' };
    expect(resolveConfig({}, env)).toMatchObject({ url: 'http://env:2', apiKey: 'from-file', spoolDir: '/file/spool' });
    expect(resolveConfig({ url: 'https://flag:3', apiKey: 'k' }, env)).toMatchObject({
      url: 'https://flag:3',
      apiKey: 'k',
    });
    expect(resolveConfig({}, { XDG_CONFIG_HOME: dir, XDG_STATE_HOME: '/state' })).toEqual({
      url: 'http://127.0.0.1:8080',
      apiKey: undefined,
      spoolDir: '/state/capsules/spool',
      requestTimeoutMs: 5000,
    });
  });

  it('says plainly what is wrong with a URL or a config file', () => {
    expect(() => resolveConfig({ url: 'not a url' }, {})).toThrow(
      new ConfigError('the API URL "not a url" is not a URL (set CAPSULES_URL or --url)'),
    );
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => resolveConfig({ config: bad }, {})).toThrow(`the config file ${bad} is not JSON`);
    writeFileSync(bad, JSON.stringify({ url: 42 }));
    expect(() => resolveConfig({ config: bad }, {})).toThrow(`url in ${bad} must be a string`);
    expect(() => resolveConfig({ config: path.join(dir, 'missing.json') }, {})).toThrow(ConfigError);
  });
});
