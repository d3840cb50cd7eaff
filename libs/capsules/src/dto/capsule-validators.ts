import { registerDecorator, type ValidationOptions } from 'class-validator';
import { CronSchedule, InvalidCronError, isValidTimeZone } from '@app/schedules';

/** Slugs that are path segments of fixed routes under /api/capsules. */
export const RESERVED_SLUGS = ['run', 'runs', 'performance', 'scheduled', 'vocabulary'];

export const SLUG_PATTERN = /^[a-z0-9-]{1,120}$/;

/** A 5-field cron expression (or a macro such as @daily) that fires at least once. */
export function IsCronExpression(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCronExpression',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate(value: unknown) {
          if (value === null || value === undefined) return true;
          if (typeof value !== 'string') return false;
          try {
            CronSchedule.parse(value);
            return true;
          } catch (error) {
            if (error instanceof InvalidCronError) return false;
            throw error;
          }
        },
        defaultMessage(args) {
          const value: unknown = args?.value;
          if (typeof value !== 'string') return `${args?.property} must be a 5-field cron expression or null`;
          try {
            CronSchedule.parse(value);
          } catch (error) {
            return `${args?.property} is not a valid cron expression: ${(error as Error).message}`;
          }
          return `${args?.property} is not a valid cron expression`;
        },
      },
    });
}

/** An IANA time zone name known to this runtime (e.g. Europe/Paris, UTC). */
export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value.length <= 64 && isValidTimeZone(value),
        defaultMessage: (args) => `${args?.property} must be an IANA time zone name such as UTC or Europe/Paris`,
      },
    });
}
