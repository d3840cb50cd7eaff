import { isDatabaseUnavailable } from './database-unavailable';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['connection lost', new Error('Connection terminated unexpectedly')],
    ['admin shutdown', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['statement timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    ['connection class 08', Object.assign(new Error('x'), { code: '08006' })],
    ['a rotated password (28P01)', Object.assign(new Error('x'), { code: '28P01' })],
    ['a role not allowed (28000)', Object.assign(new Error('x'), { code: '28000' })],
    ['a full disk (53100)', Object.assign(new Error('x'), { code: '53100' })],
    ['out of memory (53200)', Object.assign(new Error('x'), { code: '53200' })],
    ['too many connections (53300)', Object.assign(new Error('x'), { code: '53300' })],
    ['crash shutdown (57P02)', Object.assign(new Error('x'), { code: '57P02' })],
    ['an I/O error (58030)', Object.assign(new Error('x'), { code: '58030' })],
    ['a read-only node (25006)', Object.assign(new Error('x'), { code: '25006' })],
    ['a database not accepting connections (55000)', Object.assign(new Error('x'), { code: '55000' })],
    ['a missing database (3D000)', Object.assign(new Error('x'), { code: '3D000' })],
    ['wrapped by TypeORM', { message: 'query failed', driverError: { code: '57P01' } }],
    ['wrapped as a cause', new Error('outer', { cause: { code: 'ECONNRESET' } })],
    ['inside an AggregateError', new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])],
  ])('%s → unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['check violation', Object.assign(new Error('x'), { code: '23514' })],
    ['another class 25 state (25P02)', Object.assign(new Error('x'), { code: '25P02' })],
    ['a numeric out of range (22003)', Object.assign(new Error('x'), { code: '22003' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an error', 'boom'],
  ])('%s → not unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
