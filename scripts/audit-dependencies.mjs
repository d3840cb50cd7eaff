#!/usr/bin/env node
// `npm audit --omit=dev` as a CI gate: exit 1 when a production dependency has a high or
// critical advisory. Where the registry answers that it does not serve audits at all
// (404, 405 or 501: the registry these build machines reach answers 405), it says so on
// stderr and exits 0: an audit that cannot run is reported, not passed off as clean. Any
// other failure (no network, a 5xx, bad credentials, no lockfile) fails the step.
//
//   node scripts/audit-dependencies.mjs [more npm audit options, e.g. --registry=URL]
import { spawnSync } from 'node:child_process';

const args = ['audit', '--omit=dev', '--json', ...process.argv.slice(2)];
const result = spawnSync('npm', args, { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(result.stdout);
} catch {
  console.error(`audit: npm printed no JSON report (exit ${result.status})\n${result.stderr}`);
  process.exit(1);
}

/** Answers of a registry that has no audit endpoint (as opposed to one that failed). */
const NO_AUDIT_SERVICE = [404, 405, 501];

const counts = report.metadata?.vulnerabilities;
if (counts === undefined) {
  if (NO_AUDIT_SERVICE.includes(report.statusCode)) {
    console.error(`audit: NOT RUN, the registry does not serve audits (${report.statusCode} from ${report.uri})`);
    process.exit(0);
  }
  console.error(`audit: FAILED, ${report.message ?? report.error?.summary ?? JSON.stringify(report)}`);
  process.exit(1);
}

const serious = Object.values(report.vulnerabilities ?? {}).filter((v) => ['high', 'critical'].includes(v.severity));
for (const v of serious) console.error(`audit: ${v.severity} ${v.name} ${v.range}`);
console.log(
  `audit: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low ` +
    `in ${report.metadata.dependencies?.prod ?? '?'} production dependencies`,
);
process.exit(serious.length > 0 ? 1 : 0);
