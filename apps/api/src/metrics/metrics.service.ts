import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AlertsMetrics, type AlertsSnapshot } from '@app/alerts';
import { AnalyticsService } from '@app/analytics';
import { RunsService } from '@app/runs';
import { pgPool } from '@app/database';
import { DataSource } from 'typeorm';

/** Latency buckets (seconds): 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus registry of this process (one per app, so tests can run
 * several): HTTP requests by route template, method and status; the
 * database pool; and, read from the database at scrape time, runs in the
 * ledger by status and scheduled capsules by schedule state.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly analytics: AnalyticsService,
    alerts: AlertsMetrics,
    runs: RunsService,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'capsules_' });
    // prom-client's three `_total` gauges break Prometheus' naming rule (`promtool check metrics`:
    // only counters end in _total); each is the sum of the per-type gauge of the same name, kept.
    for (const gauge of ['active_handles', 'active_requests', 'active_resources']) {
      this.registry.removeSingleMetric(`capsules_nodejs_${gauge}_total`);
    }
    this.requests = new Counter({
      name: 'capsules_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'capsules_http_request_duration_seconds',
      help: 'Time from request to response, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const pool = () => pgPool(this.dataSource);
    new Gauge({
      name: 'capsules_db_pool_connections',
      help: 'Database pool connections by state (in_use, idle) and requests waiting for one (waiting)',
      labelNames: ['state'],
      registers,
      collect() {
        const p = pool();
        this.set({ state: 'in_use' }, p ? p.totalCount - p.idleCount : 0);
        this.set({ state: 'idle' }, p?.idleCount ?? 0);
        this.set({ state: 'waiting' }, p?.waitingCount ?? 0);
      },
    });
    const ledger = this.analytics;
    new Gauge({
      name: 'capsules_runs',
      help: 'Runs in the ledger by status (read from the rollups at scrape time)',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const totals = await ledger.runTotalsByStatus().catch(() => undefined);
        for (const [status, count] of Object.entries(totals ?? {})) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'capsules_scheduled',
      help: 'Capsules with a schedule by schedule state (new, up, late, down; paused: archived) at scrape time',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        const counts = await ledger.scheduleStateCounts().catch(() => undefined);
        for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'capsules_run_reports_pending',
      help: 'Run reports of this process not answered yet: waiting for their group commit, or being written',
      registers,
      collect() {
        this.set(runs.pendingReports);
      },
    });
    this.alertMetrics(alerts, registers);
  }

  /**
   * Flips by reason, notifications by channel type and outcome, the detector's lag and each
   * channel's health: one database read per scrape, shared by the four gauges.
   */
  private alertMetrics(alerts: AlertsMetrics, registers: Registry[]): void {
    let pending: Promise<AlertsSnapshot | undefined> | undefined;
    // The four collect() calls of one scrape share one read.
    const snapshot = () => {
      pending ??= alerts
        .snapshot()
        .catch(() => undefined)
        .finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    new Gauge({
      name: 'capsules_flips',
      help: 'State changes (flips) recorded, by reason (read from the database at scrape time)',
      labelNames: ['reason'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.flipsByReason ?? []) this.set({ reason: row.reason }, row.n);
      },
    });
    new Gauge({
      name: 'capsules_notifications',
      help: 'Notifications by channel type and status (pending, delivered, failed), read at scrape time',
      labelNames: ['channel_type', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.notifications ?? []) {
          this.set({ channel_type: row.channel_type, status: row.status }, row.n);
        }
      },
    });
    new Gauge({
      name: 'capsules_alert_detector_lag_seconds',
      help: 'Now minus the oldest alert deadline no detector has handled yet (0 when none waits)',
      registers,
      async collect() {
        const s = await snapshot();
        if (s) this.set(s.detectorLagSeconds);
      },
    });
    new Gauge({
      name: 'capsules_alert_channel_healthy',
      help: 'Whether a notification channel is healthy (1) or failing (0: 3 failed attempts in a row)',
      labelNames: ['channel', 'type'],
      registers,
      async collect() {
        this.reset();
        for (const c of (await snapshot())?.channels ?? [])
          this.set({ channel: c.name, type: c.type }, c.healthy ? 1 : 0);
      },
    });
  }

  /** Called once per answered request (an onResponse hook). `route` is the template, never the raw path. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }
}
