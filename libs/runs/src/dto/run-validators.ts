import { Matches } from 'class-validator';

/** URI schemes an artifact may live at. Anything else (javascript:, data:, …) is rejected. */
export const ARTIFACT_SCHEMES = ['gs', 's3', 'https', 'http', 'file', 'az', 'oci'] as const;

const ARTIFACT_URI = new RegExp(`^(${ARTIFACT_SCHEMES.join('|')}):\\/\\/[^\\s\\u0000-\\u001f]+$`, 'i');

/** Longest checksum stored (the column's CHECK says the same). */
export const CHECKSUM_MAX_LENGTH = 200;

/**
 * Any text up to 200 characters (the empty string too) without control
 * characters (C0, DEL, C1, NUL included) or lone surrogates, stored and
 * returned exactly as sent: the old service took any string, and its clients
 * send `sha256:abc123...` and `sha256:` + 7 digits.
 * `sha256:` and 64 hex digits is the documented form. Lookups fold the case of
 * `algo:hex` values (see migration FoldChecksumLookups), so PowerShell's
 * upper-case Get-FileHash finds what sha256sum recorded.
 */
const CHECKSUM = /^[^\p{Cc}\p{Cs}]*$/u;

export const CHECKSUM_DESCRIPTION =
  'Any text of at most 200 characters without control characters, stored and returned exactly as sent. ' +
  'Documented form: "sha256:" and 64 hex digits. GET /api/artifacts?checksum= finds it (folding the case of hex digests).';

export const IsArtifactUri = () =>
  Matches(ARTIFACT_URI, {
    message: `artifact_uri must be an absolute URI with one of the schemes ${ARTIFACT_SCHEMES.join(', ')} (e.g. gs://bucket/path)`,
  });

export const IsChecksum = () =>
  Matches(CHECKSUM, {
    message: `checksum must be at most ${CHECKSUM_MAX_LENGTH} characters without control characters (documented form: "sha256:" and 64 hex digits)`,
  });

/** run_key and the Idempotency-Key header: 1-200 printable characters without spaces. */
export const RUN_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export const IsRunKey = () =>
  Matches(RUN_KEY_PATTERN, { message: 'run_key must be 1-200 printable ASCII characters without spaces' });
