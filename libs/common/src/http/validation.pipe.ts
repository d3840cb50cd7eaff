import {
  type ArgumentMetadata,
  Injectable,
  type PipeTransform,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { RequestValidationError, type FieldError } from '../errors/domain-error';

/**
 * Validates bodies and query strings against their DTO classes and answers
 * 422 listing every invalid field at once. Bodies are strict (an unknown
 * field is an error); query strings drop unknown parameters, so that old
 * clients adding cache-busters keep working.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly strict = new ValidationPipe({
    ...COMMON,
    forbidNonWhitelisted: true,
  });
  private readonly lenient = new ValidationPipe({ ...COMMON, forbidNonWhitelisted: false });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // PostgreSQL text cannot hold NUL, and an unpaired surrogate would be stored as U+FFFD:
    // reject both here (422 naming the field) rather than fail in the driver (500) or alter the data.
    const unstorable = unstorableStrings(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
    if (unstorable.length > 0 && metadata.type !== 'custom') {
      throw new RequestValidationError(
        unstorable.map((field) => ({
          field: field || '(body)',
          message: `${field || 'the value'} must not contain NUL characters or unpaired surrogates`,
        })),
      );
    }
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new RequestValidationError([{ field: '(body)', message: 'the request body must be a JSON object' }]);
      }
      return this.strict.transform(value, metadata);
    }
    if (metadata.type === 'query') return this.lenient.transform(value ?? {}, metadata);
    return value;
  }
}

const COMMON = {
  whitelist: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  validationError: { target: false, value: false },
  exceptionFactory: (errors: ValidationError[]) => new RequestValidationError(flatten(errors)),
};

export function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) {
      const messages = Object.entries(error.constraints).map(([kind, message]) =>
        kind === 'whitelistValidation' ? `${field} is not a known field` : message,
      );
      result.push({ field, message: messages.join('; ') });
    }
    if (error.children?.length) result.push(...flatten(error.children, field));
  }
  return result;
}

const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** Paths of the strings in `value` that contain NUL or an unpaired surrogate. */
function unstorableStrings(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.includes('\u0000') || UNPAIRED_SURROGATE.test(value) ? [path] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => unstorableStrings(item, path ? `${path}.${key}` : key));
}
