#!/usr/bin/env node
// `npm audit --omit=dev` as a CI gate: exit 1 when a production dependency has a high or
// critical advisory. Where the registry does not serve the audit endpoint (the registry
// these build machines reach answers it with 405), it says so on stderr and exits 0: an
// audit that cannot run is reported, not passed off as clean.
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

const counts = report.metadata?.vulnerabilities;
if (counts === undefined) {
  const reason = report.statusCode ? `${report.statusCode} from ${report.uri}` : (report.message ?? 'unknown error');
  console.error(`audit: NOT RUN, the registry's audit endpoint is unavailable (${reason})`);
  process.exit(0);
}

const serious = Object.values(report.vulnerabilities ?? {}).filter((v) => ['high', 'critical'].includes(v.severity));
for (const v of serious) console.error(`audit: ${v.severity} ${v.name} ${v.range}`);
console.log(
  `audit: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low ` +
    `in ${report.metadata.dependencies?.prod ?? '?'} production dependencies`,
);
process.exit(serious.length > 0 ? 1 : 0);
