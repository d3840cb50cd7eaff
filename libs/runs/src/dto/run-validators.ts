import { Matches } from 'class-validator';

/** URI schemes an artifact may live at. Anything else (javascript:, data:, …) is rejected. */
export const ARTIFACT_SCHEMES = ['gs', 's3', 'https', 'http', 'file', 'az', 'oci'] as const;

const ARTIFACT_URI = new RegExp(`^(${ARTIFACT_SCHEMES.join('|')}):\\/\\/[^\\s\\u0000-\\u001f]+$`, 'i');

/**
 * `algo:value`. The documented form is `sha256:` and 64 hex digits; other
 * algorithms are accepted as `name:value` (the original service took any string).
 */
const CHECKSUM = /^(sha256:[0-9a-f]{64}|(?!sha256:)[a-z0-9][a-z0-9-]{1,19}:[A-Za-z0-9+/=_.-]{1,180})$/;

export const IsArtifactUri = () =>
  Matches(ARTIFACT_URI, {
    message: `artifact_uri must be an absolute URI with one of the schemes ${ARTIFACT_SCHEMES.join(', ')} (e.g. gs://bucket/path)`,
  });

export const IsChecksum = () =>
  Matches(CHECKSUM, {
    message: 'checksum must be "sha256:" and 64 lowercase hex digits, or another "algo:value" (e.g. md5:…)',
  });

/** run_key and the Idempotency-Key header: 1-200 printable characters without spaces. */
export const RUN_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export const IsRunKey = () =>
  Matches(RUN_KEY_PATTERN, { message: 'run_key must be 1-200 printable ASCII characters without spaces' });
