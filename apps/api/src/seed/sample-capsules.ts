import type { CapsuleStatus } from '@app/capsules';

/** A capsule's definition as `npm run seed` registers it (column names of `capsules`). */
export interface SampleCapsuleDefinition {
  slug: string;
  title: string;
  kind: string;
  mode: string;
  version: string;
  status: CapsuleStatus;
  entrypoint: string;
  /** 5-field cron, evaluated in `timezone`; null for a capsule started by hand. */
  schedule: string | null;
  timezone: string;
  grace_seconds: number;
  max_runtime_seconds: number | null;
  tags: string[];
}

/** How a sample capsule's history behaves: the knobs of the run generator. */
export interface RunProfile {
  /** Who reports the runs: the scheduler host(s), or the people who start a manual capsule. */
  actors: string[];
  /** Typical (median) runtime of a successful run, in seconds. */
  medianSeconds: number;
  /** Spread of runtimes: sigma of the log-normal around the median (0.3 is about ±35 %). */
  spread: number;
  /** Share of runs that fail with an error. */
  errorRate: number;
  /** Share of runs killed at `max_runtime_seconds` (needs one). */
  timeoutRate: number;
  /** Share of runs cancelled by hand. */
  cancelRate: number;
  /** Share of runs that start after the grace period (a busy or restarted scheduler). */
  lateRate: number;
  /** Share of fire times the scheduler missed entirely (no run at all). */
  missRate: number;
  /** Where successful runs put their artifact: `<base>/<yyyy>/<mm>/<dd>/<slug>-<hhmm>.<extension>`. */
  artifactBase: string;
  artifactExtension: string;
  /** What a failing run reports in `message`. */
  errorMessages: string[];
  /** Manual capsules only: chance of a run on a weekday / on a weekend day, and the UTC hours they start in. */
  manual?: { weekdayChance: number; weekendChance: number; fromHour: number; toHour: number };
  /** Archived capsules only: their runs stop this many days before the end of the seed window. */
  pausedDaysAgo?: number;
}

export interface SampleCapsule {
  definition: SampleCapsuleDefinition;
  profile: RunProfile;
}

/**
 * The old Python service's ten sample capsules, with enough behaviour to
 * generate a believable history. `festival-capsule` keeps the definition the
 * old smoke script registers (test/e2e/old-clients.e2e-spec.ts).
 */
export const SAMPLE_CAPSULES: readonly SampleCapsule[] = [
  {
    definition: {
      slug: 'dawn-dispatch',
      title: 'Dawn Dispatch',
      kind: 'dispatch',
      mode: 'automated',
      version: '2.3.1',
      status: 'active',
      entrypoint: 'capsules.dawn_dispatch:run',
      schedule: '30 5 * * *',
      timezone: 'America/New_York',
      grace_seconds: 300,
      max_runtime_seconds: 900,
      tags: ['daily', 'notifications'],
    },
    profile: {
      actors: ['scheduler'],
      medianSeconds: 95,
      spread: 0.35,
      errorRate: 0.04,
      timeoutRate: 0.01,
      cancelRate: 0,
      lateRate: 0.04,
      missRate: 0.01,
      artifactBase: 'gs://codex-capsules-artifacts/dawn-dispatch',
      artifactExtension: 'json',
      errorMessages: [
        'SMTP relay refused the connection: 421 4.7.0 try again later',
        "template render failed: missing variable 'sunrise_local' for 12 recipients",
        'push gateway answered 502 Bad Gateway after 3 retries',
      ],
    },
  },
  {
    definition: {
      slug: 'signals-daily',
      title: 'Signals Daily',
      kind: 'engine',
      mode: 'automated',
      version: '1.8.0',
      status: 'active',
      entrypoint: 'capsules.signals_daily:run',
      schedule: '0 7 * * 1-5',
      timezone: 'America/New_York',
      grace_seconds: 600,
      max_runtime_seconds: 1200,
      tags: ['signals', 'weekdays'],
    },
    profile: {
      actors: ['cron@ops-1', 'cron@ops-2'],
      medianSeconds: 240,
      spread: 0.3,
      errorRate: 0.05,
      timeoutRate: 0.015,
      cancelRate: 0,
      lateRate: 0.05,
      missRate: 0.01,
      artifactBase: 'gs://codex-signals/daily',
      artifactExtension: 'parquet',
      errorMessages: [
        'market data feed answered HTTP 503 after 3 retries',
        'signal score is NaN for 4 instruments; publication aborted',
        'warehouse query cancelled: statement timeout',
      ],
    },
  },
  {
    definition: {
      slug: 'treasury-reconciliation',
      title: 'Treasury Reconciliation',
      kind: 'treasury',
      mode: 'custodian',
      version: '3.1.2',
      status: 'active',
      entrypoint: 'capsules.treasury_reconciliation:run',
      schedule: '15 2 * * *',
      timezone: 'UTC',
      grace_seconds: 900,
      max_runtime_seconds: 3600,
      tags: ['finance', 'ledger', 'daily'],
    },
    profile: {
      actors: ['cron@ops-1'],
      medianSeconds: 1100,
      spread: 0.25,
      errorRate: 0.06,
      timeoutRate: 0.02,
      cancelRate: 0,
      lateRate: 0.03,
      missRate: 0,
      artifactBase: 's3://codex-treasury-ledgers/reconciliation',
      artifactExtension: 'csv',
      errorMessages: [
        'ledger mismatch: 3 entries unreconciled (1,204.17 USD)',
        "bank statement for the previous business day is not available yet (bucket 'statements-in')",
        'custody API rejected the request: 401 token expired',
      ],
    },
  },
  {
    definition: {
      slug: 'great-year-ceremony',
      title: 'Great Year Ceremony',
      kind: 'ceremony',
      mode: 'heir',
      version: '1.0.0',
      status: 'active',
      entrypoint: 'capsules.great_year_ceremony:run',
      schedule: '0 0 1 1 *',
      timezone: 'UTC',
      grace_seconds: 3600,
      max_runtime_seconds: 14400,
      tags: ['yearly', 'ceremony'],
    },
    profile: {
      actors: ['scheduler'],
      medianSeconds: 2700,
      spread: 0.15,
      errorRate: 0,
      timeoutRate: 0,
      cancelRate: 0,
      lateRate: 0,
      missRate: 0,
      artifactBase: 'gs://codex-capsules-artifacts/great-year-ceremony',
      artifactExtension: 'tar.gz',
      errorMessages: ['heir key ceremony aborted: quorum of 3 signers not reached'],
    },
  },
  {
    definition: {
      slug: 'festival-capsule',
      title: 'Festival Capsule',
      kind: 'ceremony',
      mode: 'public',
      version: '1.0.0',
      status: 'active',
      entrypoint: 'capsules/festival.py',
      schedule: '0 12 * * 0',
      timezone: 'UTC',
      grace_seconds: 600,
      max_runtime_seconds: 1800,
      tags: ['weekly', 'public'],
    },
    profile: {
      actors: ['scheduler'],
      medianSeconds: 420,
      spread: 0.3,
      errorRate: 0.05,
      timeoutRate: 0,
      cancelRate: 0,
      lateRate: 0.05,
      missRate: 0,
      artifactBase: 'gs://codex-capsules-artifacts/festival-capsule',
      artifactExtension: 'html',
      errorMessages: [
        'CDN purge failed: 429 Too Many Requests',
        'image renderer crashed (exit code 137, out of memory)',
      ],
    },
  },
  {
    definition: {
      slug: 'portfolio-rebalance',
      title: 'Portfolio Rebalance',
      kind: 'treasury',
      mode: 'customer',
      version: '2.0.4',
      status: 'archived',
      entrypoint: 'capsules.portfolio_rebalance:run',
      schedule: '30 16 * * 1-5',
      timezone: 'America/New_York',
      grace_seconds: 300,
      max_runtime_seconds: 900,
      tags: ['finance', 'customers', 'paused'],
    },
    profile: {
      actors: ['cron@ops-2'],
      medianSeconds: 180,
      spread: 0.5,
      errorRate: 0.08,
      timeoutRate: 0.02,
      cancelRate: 0,
      lateRate: 0.04,
      missRate: 0.01,
      artifactBase: 's3://codex-portfolio/rebalance-orders',
      artifactExtension: 'json',
      errorMessages: [
        'broker API rejected 2 orders: insufficient buying power',
        'drift check failed: target weights do not sum to 1 (0.9987)',
      ],
      pausedDaysAgo: 9,
    },
  },
  {
    definition: {
      slug: 'affiliate-payouts',
      title: 'Affiliate Payouts',
      kind: 'treasury',
      mode: 'customer',
      version: '1.6.0',
      status: 'active',
      entrypoint: 'capsules.affiliate_payouts:run',
      schedule: '0 9 1,15 * *',
      timezone: 'UTC',
      grace_seconds: 1800,
      max_runtime_seconds: 2700,
      tags: ['finance', 'payouts', 'semi-monthly'],
    },
    profile: {
      actors: ['cron@ops-1'],
      medianSeconds: 600,
      spread: 0.3,
      errorRate: 0.1,
      timeoutRate: 0,
      cancelRate: 0,
      lateRate: 0,
      missRate: 0,
      artifactBase: 's3://codex-treasury-ledgers/affiliate-payouts',
      artifactExtension: 'csv',
      errorMessages: ['payout provider answered 409: batch already submitted', 'FX rate for BRL missing'],
    },
  },
  {
    definition: {
      slug: 'education-digest',
      title: 'Education Digest',
      kind: 'education',
      mode: 'public',
      version: '1.2.3',
      status: 'active',
      entrypoint: 'capsules.education_digest:run',
      schedule: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      grace_seconds: 900,
      max_runtime_seconds: 600,
      tags: ['weekly', 'newsletter'],
    },
    profile: {
      actors: ['scheduler'],
      medianSeconds: 60,
      spread: 0.3,
      errorRate: 0.03,
      timeoutRate: 0,
      cancelRate: 0,
      lateRate: 0.05,
      missRate: 0,
      artifactBase: 'gs://codex-capsules-artifacts/education-digest',
      artifactExtension: 'html',
      errorMessages: ['course catalogue API timed out after 30 s'],
    },
  },
  {
    definition: {
      slug: 'sovereignty-metrics',
      title: 'Sovereignty Metrics',
      kind: 'engine',
      mode: 'custodian',
      version: '0.9.2',
      status: 'active',
      entrypoint: 'capsules.sovereignty_metrics:run',
      schedule: '0 * * * *',
      timezone: 'UTC',
      grace_seconds: 120,
      max_runtime_seconds: 300,
      tags: ['hourly', 'metrics'],
    },
    profile: {
      actors: ['cron@ops-1', 'cron@ops-2'],
      medianSeconds: 35,
      spread: 0.4,
      errorRate: 0.03,
      timeoutRate: 0.01,
      cancelRate: 0,
      lateRate: 0.02,
      missRate: 0.01,
      artifactBase: 'gs://codex-metrics/sovereignty',
      artifactExtension: 'parquet',
      errorMessages: [
        'node exporter unreachable: connect ECONNREFUSED 10.0.4.17:9100',
        'metrics write rejected: out-of-order samples for 2 series',
      ],
    },
  },
  {
    definition: {
      slug: 'signals-bulletin',
      title: 'Signals Bulletin',
      kind: 'dispatch',
      mode: 'manual',
      version: '1.1.0',
      status: 'active',
      entrypoint: 'capsules.signals_bulletin:run',
      schedule: null,
      timezone: 'UTC',
      grace_seconds: 300,
      max_runtime_seconds: null,
      tags: ['signals', 'on-demand'],
    },
    profile: {
      actors: ['amara.okafor', 'j.lindqvist', 'r.mehta'],
      medianSeconds: 75,
      spread: 0.4,
      errorRate: 0.08,
      timeoutRate: 0,
      cancelRate: 0.05,
      lateRate: 0,
      missRate: 0,
      artifactBase: 'gs://codex-signals/bulletins',
      artifactExtension: 'pdf',
      errorMessages: ['bulletin draft has no approved signals', 'PDF renderer failed: font "Inter" not found'],
      manual: { weekdayChance: 0.5, weekendChance: 0.05, fromHour: 8, toHour: 17 },
    },
  },
];
