import { CronSchedule, formatLocal, InvalidCronError, isValidTimeZone } from './cron';

const NEW_YORK = 'America/New_York';
const SYDNEY = 'Australia/Sydney';
const LORD_HOWE = 'Australia/Lord_Howe';
const LONDON = 'Europe/London';
const KOLKATA = 'Asia/Kolkata';

/** The next `count` fire instants of `expression` after `after`, as ISO strings in UTC. */
function fires(expression: string, after: string, timeZone: string, count: number): string[] {
  return CronSchedule.parse(expression)
    .nextN(new Date(after), timeZone, count)
    .map((instant) => instant.toISOString());
}

/** Same, as local wall times with offsets. */
function firesLocal(expression: string, after: string, timeZone: string, count: number): string[] {
  return CronSchedule.parse(expression)
    .nextN(new Date(after), timeZone, count)
    .map((instant) => formatLocal(instant, timeZone));
}

function parseError(expression: string): InvalidCronError {
  try {
    CronSchedule.parse(expression);
  } catch (error) {
    if (error instanceof InvalidCronError) return error;
    throw error;
  }
  throw new Error(`expected "${expression}" to be rejected`);
}

describe('CronSchedule', () => {
  describe('parse', () => {
    it('keeps the trimmed expression', () => {
      expect(CronSchedule.parse('  */5 * * * *\n').expression).toBe('*/5 * * * *');
      expect(CronSchedule.parse(' @daily ').expression).toBe('@daily');
    });

    it('accepts tabs and repeated spaces between fields', () => {
      expect(fires('0\t12  *   * *', '2025-01-01T00:00:00Z', 'UTC', 1)).toEqual(['2025-01-01T12:00:00.000Z']);
    });

    it.each([
      ['@yearly', '2026-01-01T00:00:00.000Z'],
      ['@annually', '2026-01-01T00:00:00.000Z'],
      ['@monthly', '2025-07-01T00:00:00.000Z'],
      ['@weekly', '2025-06-08T00:00:00.000Z'],
      ['@daily', '2025-06-02T00:00:00.000Z'],
      ['@midnight', '2025-06-02T00:00:00.000Z'],
      ['@hourly', '2025-06-01T01:00:00.000Z'],
      ['@DAILY', '2025-06-02T00:00:00.000Z'],
    ])('expands the macro %s', (macro, expected) => {
      // 2025-06-01 is a Sunday.
      expect(fires(macro, '2025-06-01T00:00:00Z', 'UTC', 1)).toEqual([expected]);
    });

    it.each([
      ['', /empty/],
      ['   ', /empty/],
      ['* * * *', /expected 5 fields.*got 4/],
      ['0 * * * * *', /expected 5 fields.*got 6.*seconds/],
      ['0 0 * * * * 2025', /expected 5 fields.*got 7/],
      ['61 * * * *', /^schedule: minute field "61" is out of range 0-59$/],
      ['* 24 * * *', /hour field "24" is out of range 0-23/],
      ['* * 0 * *', /day-of-month field "0" is out of range 1-31/],
      ['* * 32 * *', /day-of-month field "32" is out of range 1-31/],
      ['* * * 0 *', /month field "0" is out of range 1-12/],
      ['* * * 13 *', /month field "13" is out of range 1-12/],
      ['* * * * 8', /day-of-week field "8" is out of range 0-7/],
      ['1,99 * * * *', /minute field "99" is out of range/],
      ['5-2 * * * *', /minute field range "5-2" is reversed/],
      ['* * * * fri-mon', /day-of-week field range "fri-mon" is reversed/],
      ['*/0 * * * *', /minute field step "0" must be a positive integer/],
      ['0 1-5/0 * * *', /hour field step "0"/],
      ['*/ * * * *', /minute field step ""/],
      ['*/x * * * *', /minute field step "x"/],
      ['*/2/3 * * * *', /minute field has an invalid item "\*\/2\/3"/],
      ['1,,2 * * * *', /minute field "1,,2" has an empty list item/],
      [',1 * * * *', /minute field ",1" has an empty list item/],
      ['0 1, * * *', /hour field "1," has an empty list item/],
      ['-1 * * * *', /minute field has an invalid item "-1"/],
      ['1- * * * *', /minute field has an invalid item "1-"/],
      ['1-2-3 * * * *', /minute field has an invalid range "1-2-3"/],
      ['1.5 * * * *', /minute field has an invalid value "1.5"/],
      ['a * * * *', /minute field has an invalid value "a"/],
      ['0 0 * foo *', /month field has an invalid value "foo"/],
      ['0 0 * * monday', /day-of-week field has an invalid value "monday"/],
      ['0 0 * mon *', /month field has an invalid value "mon"/],
      ['0 0 L * *', /day-of-month field has an invalid value "L".*not supported/],
      ['0 0 15W * *', /day-of-month field has an invalid value "15W".*not supported/],
      ['0 0 LW * *', /day-of-month field.*not supported/],
      ['0 0 * * 5L', /day-of-week field has an invalid value "5L".*not supported/],
      ['0 0 * * 5#3', /day-of-week field has an invalid value "5#3".*not supported/],
      ['0 0 ? * *', /day-of-month field has an invalid value "\?".*not supported/],
      ['0 0 * * ?', /day-of-week field.*not supported/],
      ['@reboot', /unknown macro "@reboot"/],
      ['@every 5m', /unknown macro/],
      [`0 0 1 1 *${' '.repeat(100)}1`, /expected 5 fields/],
      [`${'0,'.repeat(60)}0 * * * *`, /longer than 120 characters/],
    ])('rejects %j', (expression, message) => {
      expect(parseError(expression).message).toMatch(message);
    });

    it.each(['0 0 30 2 *', '0 0 31 4 *', '0 0 31 4,6,9,11 *', '* * 31 2 *', '0 0 30-31 feb *'])(
      'rejects %j, which never fires',
      (expression) => {
        expect(parseError(expression).message).toBe(
          `schedule: "${expression}" never fires (no date matches its day and month fields)`,
        );
      },
    );

    it('throws InvalidCronError, an Error with its own name', () => {
      const error = parseError('61 * * * *');
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('InvalidCronError');
    });

    it('accepts an impossible day-of-month when the day-of-week is restricted too (OR)', () => {
      // Debian cron: both day fields restricted => "30th of February OR Monday" fires every Monday in February.
      expect(fires('0 0 30 2 mon', '2025-01-01T00:00:00Z', 'UTC', 2)).toEqual([
        '2025-02-03T00:00:00.000Z',
        '2025-02-10T00:00:00.000Z',
      ]);
    });

    it('accepts an expression of exactly 120 characters', () => {
      const expression = `${'0,'.repeat(55)}10 * * * *`;
      expect(expression).toHaveLength(120);
      expect(CronSchedule.parse(expression).expression).toBe(expression);
    });
  });

  describe('fields (UTC)', () => {
    const after = '2025-01-01T00:00:00Z';

    it.each([
      ['*/15 * * * *', ['00:15', '00:30', '00:45', '01:00', '01:15']],
      ['5-20/5 * * * *', ['00:05', '00:10', '00:15', '00:20', '01:05']],
      ['1,15,30 * * * *', ['00:01', '00:15', '00:30', '01:01', '01:15']],
      ['10/20 * * * *', ['00:10', '00:30', '00:50', '01:10', '01:30']],
      ['0,30 9-10 * * *', ['09:00', '09:30', '10:00', '10:30', '09:00']],
      ['58-59,0-1 * * * *', ['00:01', '00:58', '00:59', '01:00', '01:01']],
      ['0 */6 * * *', ['06:00', '12:00', '18:00', '00:00', '06:00']],
      ['* * * * *', ['00:01', '00:02', '00:03', '00:04', '00:05']],
    ])('%s', (expression, times) => {
      const result = fires(expression, after, 'UTC', times.length);
      expect(result.map((iso) => iso.slice(11, 16))).toEqual(times);
    });

    it('accepts month and weekday names in any case, alone and in ranges', () => {
      // 2025-01-03 is a Friday.
      expect(fires('0 9 * * mon-fri', '2025-01-03T12:00:00Z', 'UTC', 3)).toEqual([
        '2025-01-06T09:00:00.000Z',
        '2025-01-07T09:00:00.000Z',
        '2025-01-08T09:00:00.000Z',
      ]);
      expect(fires('0 0 1 jan,jul *', after, 'UTC', 3)).toEqual([
        '2025-07-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
        '2026-07-01T00:00:00.000Z',
      ]);
      expect(fires('0 0 1 JAN,Jul *', after, 'UTC', 3)).toEqual(fires('0 0 1 1,7 *', after, 'UTC', 3));
      expect(fires('0 0 * * SAT,sun', after, 'UTC', 4)).toEqual(fires('0 0 * * 6,0', after, 'UTC', 4));
    });

    it('treats day-of-week 7 as Sunday', () => {
      const sundays = ['2025-01-05T00:00:00.000Z', '2025-01-12T00:00:00.000Z'];
      expect(fires('0 0 * * 7', after, 'UTC', 2)).toEqual(sundays);
      expect(fires('0 0 * * 0', after, 'UTC', 2)).toEqual(sundays);
      expect(fires('0 0 * * sun', after, 'UTC', 2)).toEqual(sundays);
      // Fri-Sun through 7.
      expect(fires('0 0 * * 5-7', after, 'UTC', 3)).toEqual([
        '2025-01-03T00:00:00.000Z',
        '2025-01-04T00:00:00.000Z',
        '2025-01-05T00:00:00.000Z',
      ]);
    });

    it('matches either day field when both are restricted (13th OR Friday)', () => {
      // January 2025: Fridays are 3, 10, 17, 24, 31; the 13th is a Monday.
      expect(fires('0 0 13 * 5', after, 'UTC', 5)).toEqual([
        '2025-01-03T00:00:00.000Z',
        '2025-01-10T00:00:00.000Z',
        '2025-01-13T00:00:00.000Z',
        '2025-01-17T00:00:00.000Z',
        '2025-01-24T00:00:00.000Z',
      ]);
    });

    it('matches both day fields when one starts with * (odd days AND Friday)', () => {
      expect(fires('0 0 */2 * 5', after, 'UTC', 5)).toEqual([
        '2025-01-03T00:00:00.000Z',
        '2025-01-17T00:00:00.000Z',
        '2025-01-31T00:00:00.000Z',
        '2025-02-07T00:00:00.000Z',
        '2025-02-21T00:00:00.000Z',
      ]);
      // Day-of-week `*`: every 13th only.
      expect(fires('0 0 13 * *', after, 'UTC', 2)).toEqual(['2025-01-13T00:00:00.000Z', '2025-02-13T00:00:00.000Z']);
      // Day-of-month `*`: every Friday only.
      expect(fires('0 0 * * 5', after, 'UTC', 2)).toEqual(['2025-01-03T00:00:00.000Z', '2025-01-10T00:00:00.000Z']);
    });

    it('finds leap days years ahead', () => {
      expect(fires('0 0 29 2 *', after, 'UTC', 3)).toEqual([
        '2028-02-29T00:00:00.000Z',
        '2032-02-29T00:00:00.000Z',
        '2036-02-29T00:00:00.000Z',
      ]);
      // AND (day-of-week starts with *): a 29th of February that is a Sunday.
      expect(fires('0 0 29 2 */7', after, 'UTC', 1)).toEqual(['2032-02-29T00:00:00.000Z']);
    });

    it('skips months that are too short for the day', () => {
      expect(fires('0 0 31 * *', after, 'UTC', 3)).toEqual([
        '2025-01-31T00:00:00.000Z',
        '2025-03-31T00:00:00.000Z',
        '2025-05-31T00:00:00.000Z',
      ]);
    });

    it('expands @daily and @hourly like their 5-field forms', () => {
      expect(fires('@daily', after, 'UTC', 2)).toEqual(['2025-01-02T00:00:00.000Z', '2025-01-03T00:00:00.000Z']);
      expect(fires('@hourly', after, 'UTC', 2)).toEqual(['2025-01-01T01:00:00.000Z', '2025-01-01T02:00:00.000Z']);
    });
  });

  describe('next', () => {
    const hourly = CronSchedule.parse('0 * * * *');

    it('fires in years 1-99 as themselves, not 1900 + year', () => {
      expect(fires('0 12 * * *', '0050-06-01T00:00:00Z', 'UTC', 2)).toEqual([
        '0050-06-01T12:00:00.000Z',
        '0050-06-02T12:00:00.000Z',
      ]);
      expect(fires('0 0 29 2 *', '0001-01-01T00:00:00Z', 'UTC', 1)).toEqual(['0004-02-29T00:00:00.000Z']);
    });

    it('is strictly after `after`, even when `after` is a fire time', () => {
      expect(hourly.next(new Date('2025-01-01T06:00:00.000Z'), 'UTC')).toEqual(new Date('2025-01-01T07:00:00.000Z'));
    });

    it('ignores the seconds of `after` and returns whole minutes', () => {
      const every = CronSchedule.parse('* * * * *');
      expect(every.next(new Date('2025-01-01T06:00:59.999Z'), 'UTC')).toEqual(new Date('2025-01-01T06:01:00.000Z'));
      expect(hourly.next(new Date('2025-01-01T05:59:30.500Z'), NEW_YORK)).toEqual(new Date('2025-01-01T06:00:00.000Z'));
    });

    it('evaluates UTC wall time without any shift', () => {
      expect(fires('30 2 * * *', '2025-03-08T12:00:00Z', 'UTC', 2)).toEqual([
        '2025-03-09T02:30:00.000Z',
        '2025-03-10T02:30:00.000Z',
      ]);
      expect(fires('0 * * * *', '2025-11-02T04:10:00Z', 'UTC', 3)).toEqual([
        '2025-11-02T05:00:00.000Z',
        '2025-11-02T06:00:00.000Z',
        '2025-11-02T07:00:00.000Z',
      ]);
    });

    it('rejects an invalid date or time zone', () => {
      expect(() => hourly.next(new Date('nope'), 'UTC')).toThrow(RangeError);
      expect(() => hourly.next(new Date(), 'Mars/Base')).toThrow(/unknown time zone "Mars\/Base"/);
    });
  });

  describe('America/New_York', () => {
    describe('fixed-time schedules follow the wall clock', () => {
      it('fires a time skipped by spring forward once, when the gap ends (contract)', () => {
        expect(fires('30 2 * * *', '2025-03-08T12:00:00Z', NEW_YORK, 2)).toEqual([
          '2025-03-09T07:00:00.000Z',
          '2025-03-10T06:30:00.000Z',
        ]);
      });

      it('fires a time repeated by fall back once, at its first occurrence (contract)', () => {
        expect(fires('30 1 * * *', '2025-11-01T12:00:00Z', NEW_YORK, 2)).toEqual([
          '2025-11-02T05:30:00.000Z',
          '2025-11-03T06:30:00.000Z',
        ]);
      });

      it('does not fire the repeated time again when asked from inside the second occurrence', () => {
        // 06:10Z is 01:10 EST, the second 01:10 of the night.
        expect(fires('30 1 * * *', '2025-11-02T06:10:00Z', NEW_YORK, 1)).toEqual(['2025-11-03T06:30:00.000Z']);
        expect(fires('30 1 * * *', '2025-11-02T05:30:00Z', NEW_YORK, 1)).toEqual(['2025-11-03T06:30:00.000Z']);
      });

      it('fires 01:00 and the skipped 02:00 on the spring day', () => {
        expect(firesLocal('0 1,2 * * *', '2025-03-08T12:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-03-09T01:00:00-05:00',
          '2025-03-09T03:00:00-04:00',
          '2025-03-10T01:00:00-04:00',
        ]);
      });

      it('fires 01:00 (first occurrence) and 02:00 on the autumn day', () => {
        expect(fires('0 1,2 * * *', '2025-11-01T12:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-11-02T05:00:00.000Z',
          '2025-11-02T07:00:00.000Z',
          '2025-11-03T06:00:00.000Z',
        ]);
      });

      it('fires several skipped times once, at the end of the gap', () => {
        expect(firesLocal('0,30 2,3 * * *', '2025-03-09T05:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-03-09T03:00:00-04:00',
          '2025-03-09T03:30:00-04:00',
          '2025-03-10T02:00:00-04:00',
        ]);
      });

      it('fires an hour range once per wall time across both transitions', () => {
        expect(firesLocal('15 1-3 * * *', '2025-03-09T05:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-03-09T01:15:00-05:00',
          '2025-03-09T03:00:00-04:00',
          '2025-03-09T03:15:00-04:00',
        ]);
        expect(firesLocal('15 1-3 * * *', '2025-11-02T04:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-11-02T01:15:00-04:00',
          '2025-11-02T02:15:00-05:00',
          '2025-11-02T03:15:00-05:00',
        ]);
      });
    });

    describe('other schedules follow real time', () => {
      it('fires the repeated 01:00 twice (contract)', () => {
        expect(fires('0 * * * *', '2025-11-02T04:10:00Z', NEW_YORK, 3)).toEqual([
          '2025-11-02T05:00:00.000Z',
          '2025-11-02T06:00:00.000Z',
          '2025-11-02T07:00:00.000Z',
        ]);
      });

      it('skips the nonexistent 02:00 in spring', () => {
        expect(firesLocal('0 * * * *', '2025-03-09T05:30:00Z', NEW_YORK, 3)).toEqual([
          '2025-03-09T01:00:00-05:00',
          '2025-03-09T03:00:00-04:00',
          '2025-03-09T04:00:00-04:00',
        ]);
        expect(fires('0 * * * *', '2025-03-09T05:30:00Z', NEW_YORK, 2)).toEqual([
          '2025-03-09T06:00:00.000Z',
          '2025-03-09T07:00:00.000Z',
        ]);
      });

      it('fires 01:00 and 01:30 twice across the autumn overlap, in real-time order', () => {
        expect(firesLocal('*/30 * * * *', '2025-11-02T04:10:00Z', NEW_YORK, 6)).toEqual([
          '2025-11-02T00:30:00-04:00',
          '2025-11-02T01:00:00-04:00',
          '2025-11-02T01:30:00-04:00',
          '2025-11-02T01:00:00-05:00',
          '2025-11-02T01:30:00-05:00',
          '2025-11-02T02:00:00-05:00',
        ]);
        expect(fires('*/30 * * * *', '2025-11-02T04:10:00Z', NEW_YORK, 6)).toEqual([
          '2025-11-02T04:30:00.000Z',
          '2025-11-02T05:00:00.000Z',
          '2025-11-02T05:30:00.000Z',
          '2025-11-02T06:00:00.000Z',
          '2025-11-02T06:30:00.000Z',
          '2025-11-02T07:00:00.000Z',
        ]);
      });

      it('continues correctly when asked from inside the overlap', () => {
        // 05:40Z is 01:40 EDT; the next :00 is the second 01:00 (EST).
        expect(fires('0 * * * *', '2025-11-02T05:40:00Z', NEW_YORK, 1)).toEqual(['2025-11-02T06:00:00.000Z']);
        // 06:10Z is 01:10 EST.
        expect(fires('*/30 * * * *', '2025-11-02T06:10:00Z', NEW_YORK, 1)).toEqual(['2025-11-02T06:30:00.000Z']);
      });

      it('skips a nonexistent time in an hour step (30 */2)', () => {
        expect(firesLocal('30 */2 * * *', '2025-03-09T04:00:00Z', NEW_YORK, 3)).toEqual([
          '2025-03-09T00:30:00-05:00',
          '2025-03-09T04:30:00-04:00',
          '2025-03-09T06:30:00-04:00',
        ]);
      });

      it('fires every real minute across both transitions', () => {
        const spring = fires('* * * * *', '2025-03-09T06:58:00Z', NEW_YORK, 3);
        expect(spring).toEqual(['2025-03-09T06:59:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-09T07:01:00.000Z']);
        const autumn = fires('* * * * *', '2025-11-02T05:58:00Z', NEW_YORK, 3);
        expect(autumn).toEqual(['2025-11-02T05:59:00.000Z', '2025-11-02T06:00:00.000Z', '2025-11-02T06:01:00.000Z']);
      });
    });
  });

  describe('Australia/Sydney (southern hemisphere)', () => {
    it('fires the skipped 02:30 at 03:00 AEDT when DST starts (2025-10-05)', () => {
      expect(firesLocal('30 2 * * *', '2025-10-04T00:00:00Z', SYDNEY, 2)).toEqual([
        '2025-10-05T03:00:00+11:00',
        '2025-10-06T02:30:00+11:00',
      ]);
      expect(fires('30 2 * * *', '2025-10-04T00:00:00Z', SYDNEY, 1)).toEqual(['2025-10-04T16:00:00.000Z']);
    });

    it('fires the repeated 02:30 once, in AEDT, when DST ends (2025-04-06)', () => {
      expect(fires('30 2 * * *', '2025-04-05T00:00:00Z', SYDNEY, 2)).toEqual([
        '2025-04-05T15:30:00.000Z',
        '2025-04-06T16:30:00.000Z',
      ]);
    });

    it('fires hourly at both 02:00s in April and skips 02:00 in October', () => {
      expect(firesLocal('0 * * * *', '2025-04-05T13:30:00Z', SYDNEY, 4)).toEqual([
        '2025-04-06T01:00:00+11:00',
        '2025-04-06T02:00:00+11:00',
        '2025-04-06T02:00:00+10:00',
        '2025-04-06T03:00:00+10:00',
      ]);
      expect(firesLocal('0 * * * *', '2025-10-04T14:30:00Z', SYDNEY, 2)).toEqual([
        '2025-10-05T01:00:00+10:00',
        '2025-10-05T03:00:00+11:00',
      ]);
    });
  });

  describe('half-hour offsets', () => {
    it('applies the +05:30 offset of Asia/Kolkata', () => {
      expect(fires('0 9 * * *', '2025-06-01T00:00:00Z', KOLKATA, 2)).toEqual([
        '2025-06-01T03:30:00.000Z',
        '2025-06-02T03:30:00.000Z',
      ]);
      expect(fires('0 * * * *', '2025-06-01T00:00:00Z', KOLKATA, 2)).toEqual([
        '2025-06-01T00:30:00.000Z',
        '2025-06-01T01:30:00.000Z',
      ]);
    });

    describe('Australia/Lord_Howe (30-minute DST shift)', () => {
      it('fires the skipped 02:15 at 02:30 when DST starts (2025-10-05, 02:00 -> 02:30)', () => {
        expect(firesLocal('15 2 * * *', '2025-10-04T00:00:00Z', LORD_HOWE, 2)).toEqual([
          '2025-10-05T02:30:00+11:00',
          '2025-10-06T02:15:00+11:00',
        ]);
        expect(fires('15 2 * * *', '2025-10-04T00:00:00Z', LORD_HOWE, 1)).toEqual(['2025-10-04T15:30:00.000Z']);
      });

      it('fires the repeated 01:45 once when DST ends (2025-04-06, 02:00 -> 01:30)', () => {
        expect(firesLocal('45 1 * * *', '2025-04-05T00:00:00Z', LORD_HOWE, 2)).toEqual([
          '2025-04-06T01:45:00+11:00',
          '2025-04-07T01:45:00+10:30',
        ]);
      });

      it('fires */30 at every real half hour, 01:30 twice', () => {
        expect(firesLocal('*/30 * * * *', '2025-04-05T13:45:00Z', LORD_HOWE, 5)).toEqual([
          '2025-04-06T01:00:00+11:00',
          '2025-04-06T01:30:00+11:00',
          '2025-04-06T01:30:00+10:30',
          '2025-04-06T02:00:00+10:30',
          '2025-04-06T02:30:00+10:30',
        ]);
      });

      it('fires hourly at local :00, which moves by half an hour in real time', () => {
        expect(fires('0 * * * *', '2025-04-05T13:30:00Z', LORD_HOWE, 3)).toEqual([
          '2025-04-05T14:00:00.000Z',
          '2025-04-05T15:30:00.000Z',
          '2025-04-05T16:30:00.000Z',
        ]);
        expect(firesLocal('0 * * * *', '2025-10-04T14:00:00Z', LORD_HOWE, 2)).toEqual([
          '2025-10-05T01:00:00+10:30',
          '2025-10-05T03:00:00+11:00',
        ]);
      });
    });
  });

  describe('Europe/London', () => {
    it('fires the skipped 01:30 at 02:00 BST (2025-03-30)', () => {
      expect(firesLocal('30 1 * * *', '2025-03-29T12:00:00Z', LONDON, 2)).toEqual([
        '2025-03-30T02:00:00+01:00',
        '2025-03-31T01:30:00+01:00',
      ]);
    });

    it('fires the repeated 01:30 once, in BST (2025-10-26)', () => {
      expect(fires('30 1 * * *', '2025-10-25T12:00:00Z', LONDON, 2)).toEqual([
        '2025-10-26T00:30:00.000Z',
        '2025-10-27T01:30:00.000Z',
      ]);
    });

    it('fires */30 twice at 01:00 and 01:30 (2025-10-26)', () => {
      expect(firesLocal('*/30 * * * *', '2025-10-26T00:00:00Z', LONDON, 4)).toEqual([
        '2025-10-26T01:30:00+01:00',
        '2025-10-26T01:00:00+00:00',
        '2025-10-26T01:30:00+00:00',
        '2025-10-26T02:00:00+00:00',
      ]);
    });
  });

  describe('nextN', () => {
    it.each([
      ['0 * * * *', NEW_YORK],
      ['*/30 * * * *', LONDON],
      ['30 2 * * *', NEW_YORK],
      ['0 1,2 * * *', SYDNEY],
      ['15 1-3 * * *', LORD_HOWE],
      ['*/20 1-2 * * *', LORD_HOWE],
    ])(
      'returns strictly ascending, distinct whole minutes for %s in %s around a year of transitions',
      (expression, zone) => {
        const schedule = CronSchedule.parse(expression);
        // Sample days around every transition of 2025 in both hemispheres.
        for (const start of ['2025-03-08', '2025-03-29', '2025-04-04', '2025-10-03', '2025-10-25', '2025-11-01']) {
          const instants = schedule.nextN(new Date(`${start}T00:00:00Z`), zone, 60).map((instant) => instant.getTime());
          expect(instants).toHaveLength(60);
          instants.slice(1).forEach((instant, index) => expect(instant).toBeGreaterThan(instants[index]));
          instants.forEach((instant) => expect(instant % 60_000).toBe(0));
        }
      },
    );

    it('returns nothing for count 0 and rejects a bad count', () => {
      const schedule = CronSchedule.parse('@daily');
      expect(schedule.nextN(new Date('2025-01-01T00:00:00Z'), 'UTC', 0)).toEqual([]);
      expect(() => schedule.nextN(new Date('2025-01-01T00:00:00Z'), 'UTC', -1)).toThrow(RangeError);
      expect(() => schedule.nextN(new Date('2025-01-01T00:00:00Z'), 'UTC', 1.5)).toThrow(RangeError);
    });

    it('chains next()', () => {
      const schedule = CronSchedule.parse('*/30 * * * *');
      const [first, second] = schedule.nextN(new Date('2025-11-02T05:10:00Z'), NEW_YORK, 2);
      expect(schedule.next(first, NEW_YORK)).toEqual(second);
    });
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'utc', 'Etc/UTC', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe'])(
    'accepts %j',
    (name) => expect(isValidTimeZone(name)).toBe(true),
  );

  it.each(['', ' ', 'Mars/Base', 'EST5EDT,M3', '+05:30', 'America/New York', 'Europe/London\n', 'America/'])(
    'rejects %j',
    (name) => expect(isValidTimeZone(name)).toBe(false),
  );
});

describe('formatLocal', () => {
  it.each([
    ['2025-03-09T07:00:00Z', NEW_YORK, '2025-03-09T03:00:00-04:00'],
    ['2025-03-09T06:59:00Z', NEW_YORK, '2025-03-09T01:59:00-05:00'],
    ['2025-11-02T05:30:00Z', NEW_YORK, '2025-11-02T01:30:00-04:00'],
    ['2025-11-02T06:30:00Z', NEW_YORK, '2025-11-02T01:30:00-05:00'],
    ['2025-01-01T00:00:00Z', 'UTC', '2025-01-01T00:00:00+00:00'],
    ['2025-01-01T00:00:00Z', KOLKATA, '2025-01-01T05:30:00+05:30'],
    ['2025-01-01T00:00:00Z', 'Asia/Kathmandu', '2025-01-01T05:45:00+05:45'],
    ['2025-01-01T00:00:00Z', 'America/St_Johns', '2024-12-31T20:30:00-03:30'],
    ['2025-10-04T16:00:00Z', SYDNEY, '2025-10-05T03:00:00+11:00'],
    ['2025-06-30T23:59:59.999Z', LONDON, '2025-07-01T00:59:59+01:00'],
    ['2025-12-31T23:00:00Z', LONDON, '2025-12-31T23:00:00+00:00'],
  ])('formats %s in %s as %s', (instant, zone, expected) => {
    expect(formatLocal(new Date(instant), zone)).toBe(expected);
  });

  it('rejects an invalid date or time zone', () => {
    expect(() => formatLocal(new Date('nope'), 'UTC')).toThrow(RangeError);
    expect(() => formatLocal(new Date(), 'Mars/Base')).toThrow(RangeError);
  });
});

describe('following', () => {
  it.each([
    ['30 2 * * *', 'America/New_York', '2026-03-06T00:00:00Z'],
    ['0 * * * *', 'America/New_York', '2026-10-31T20:00:00Z'],
    ['*/15 * * * *', 'Europe/Paris', '2026-03-29T00:00:00Z'],
    ['0 9 * * 1-5', 'Asia/Tokyo', '2026-12-01T00:00:00Z'],
  ])('walks %s in %s exactly like next() does', (expression, zone, after) => {
    const schedule = CronSchedule.parse(expression);
    const walked: Date[] = [];
    for (const at of schedule.following(new Date(after), zone)) {
      walked.push(at);
      if (walked.length === 50) break;
    }
    expect(walked).toEqual(schedule.nextN(new Date(after), zone, 50));
  });
});
