import { BadRequestError } from '../errors/domain-error';

/** Deepest nesting of arrays and objects a JSON body may have (the API's bodies nest two or three). */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const malformedUtf8 = () =>
  new BadRequestError('The body is not valid UTF-8: send JSON encoded as UTF-8', 'MALFORMED_UTF8');

export const jsonTooDeep = () =>
  new BadRequestError(`The JSON body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, 'JSON_TOO_DEEP');

/**
 * The text of a JSON body, checked before it is parsed: valid UTF-8 (a
 * malformed byte would otherwise become U+FFFD and be stored without a word)
 * and no deeper than MAX_JSON_DEPTH (5,000 nested arrays overflowed the stack
 * of the validation that walks the parsed body). One pass over the bytes.
 */
export function checkedJsonText(body: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw malformedUtf8();
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) throw jsonTooDeep();
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return text;
}
