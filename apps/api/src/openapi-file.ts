/** The committed spec: what `GET /openapi.json` serves, pretty-printed, with a final newline. */
export const OPENAPI_FILE = 'openapi.json';

export function serializeOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
