/**
 * The request bodies the old service's clients send, as they write them: the e2e replay
 * (old-clients.e2e-spec.ts) serialises them byte for byte, and `npm run typecheck:client`
 * builds them with the typed client generated from openapi.json. One copy for both.
 */

/** codex_capsules/test_api.py, test 1: the capsule it registers. */
export const SMOKE_CAPSULE = {
  slug: 'test-ceremony',
  title: 'Test Ceremonial Operation',
  kind: 'ceremony',
  mode: 'manual',
  version: '1.0.0',
  status: 'active',
  entrypoint: 'python ceremony_test.py',
  schedule: '0 9 * * *',
} as const;

/** codex_capsules/test_api.py, test 3: the run it records (the dots are the script's). */
export const SMOKE_RUN = {
  capsule_slug: 'test-ceremony',
  actor: 'test-user',
  status: 'success',
  artifact_uri: 'https://storage.googleapis.com/codex-artifacts/test-ceremony-123.tar.gz',
  checksum: 'sha256:abc123...',
} as const;

/** The PowerShell demo, step 2: the capsule it registers. */
export const DEMO_CAPSULE = {
  slug: 'signals-daily',
  title: 'Daily Signals Engine',
  kind: 'engine',
  mode: 'custodian',
  entrypoint: 'POST https://codex-signals.run.app/signals/daily',
  schedule: '0 6 * * *',
  version: '2.0.0',
  status: 'active',
} as const;

/** The PowerShell demo, step 3: the run it records (an artifact of the day, a random checksum). */
export function demoRun(artifactUri: string, checksum: string) {
  return {
    capsule_slug: 'signals-daily',
    actor: 'system-scheduler',
    status: 'success',
    artifact_uri: artifactUri,
    checksum,
  } as const;
}
