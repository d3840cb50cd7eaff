import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but when present it is validated, null included.
 * (class-validator's IsOptional also skips null, which would let a null reach
 * a NOT NULL column.) Use IsOptional only where null is a meaningful value.
 */
export const OptionalNotNull = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);
