import { checkedJsonText, MAX_JSON_DEPTH } from './json-body';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('checkedJsonText', () => {
  it('passes UTF-8 JSON through as text', () => {
    const text = '{"actor":"prüfer 😀","tags":[["a"]]}';
    expect(checkedJsonText(Buffer.from(text, 'utf8'))).toBe(text);
  });

  it(`allows ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(() => checkedJsonText(Buffer.from(nested(MAX_JSON_DEPTH)))).not.toThrow();
    expect(() => checkedJsonText(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toThrow(
      expect.objectContaining({ status: 400, code: 'JSON_TOO_DEEP' }),
    );
    expect(() => checkedJsonText(Buffer.from(nested(5000)))).toThrow(
      expect.objectContaining({ code: 'JSON_TOO_DEEP' }),
    );
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ message: '['.repeat(100) + '\\"[[[' + '{'.repeat(100) });
    expect(checkedJsonText(Buffer.from(text))).toBe(text);
  });

  it.each([
    ['a lone continuation byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d])],
    ['a truncated sequence', Buffer.from([0x22, 0xe2, 0x82, 0x22])],
    ['an overlong encoding', Buffer.from([0x22, 0xc0, 0xaf, 0x22])],
    ['a Latin-1 byte', Buffer.from('"café"', 'latin1')],
  ])('refuses %s: 400 MALFORMED_UTF8', (_, body) => {
    expect(() => checkedJsonText(body)).toThrow(expect.objectContaining({ status: 400, code: 'MALFORMED_UTF8' }));
  });
});
