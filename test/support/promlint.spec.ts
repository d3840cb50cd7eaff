import { promlint } from './promlint';

const family = (name: string, type: string, sample = `${name} 1`) =>
  `# HELP ${name} Help.\n# TYPE ${name} ${type}\n${sample}\n`;

describe('promlint (the rules of promtool check metrics)', () => {
  it('passes well-named families of every type', () => {
    const text = [
      family('app_requests_total', 'counter', 'app_requests_total{method="GET",route="/x"} 3'),
      family('app_pool_connections', 'gauge', 'app_pool_connections{state="idle"} 2'),
      family(
        'app_duration_seconds',
        'histogram',
        'app_duration_seconds_bucket{le="0.1"} 1\napp_duration_seconds_bucket{le="+Inf"} 2\napp_duration_seconds_sum 0.3\napp_duration_seconds_count 2',
      ),
    ].join('');
    expect(promlint(text)).toEqual([]);
  });

  it.each([
    [
      'a gauge ending in _total',
      family('app_active_handles_total', 'gauge'),
      'non-counter metrics should not have "_total" suffix',
    ],
    ['a counter without _total', family('app_requests', 'counter'), 'counter metrics should have "_total" suffix'],
    [
      'a non-base unit',
      family('app_latency_milliseconds', 'gauge'),
      'use base unit "seconds" instead of "milliseconds"',
    ],
    [
      'an abbreviated unit',
      family('app_latency_ms', 'gauge'),
      'metric names should not contain abbreviated units ("ms")',
    ],
    ['the type in the name', family('app_queue_gauge', 'gauge'), "metric name should not include type 'gauge'"],
    ['camelCase', family('app_queueDepth', 'gauge'), "metric names should be written in 'snake_case' not 'camelCase'"],
    ['a colon', family('app:queue', 'gauge'), 'metric names should not contain ":"'],
    [
      'le on a gauge',
      family('app_queue', 'gauge', 'app_queue{le="1"} 1'),
      'non-histogram metrics should not have "le" label',
    ],
    ['no help', '# TYPE app_queue gauge\napp_queue 1\n', 'no help text'],
    ['a family declared twice', family('app_queue', 'gauge') + family('app_queue', 'gauge'), 'metric declared twice'],
  ])('reports %s', (_, text, problem) => {
    expect(promlint(text).map((p) => p.text)).toContain(problem);
  });
});
