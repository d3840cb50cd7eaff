import { OpenApiViolationError, unclaimedViolations } from './openapi-violations';

// Jest setupFilesAfterEnv of the db and e2e tiers: an answer of a test app that broke the
// committed openapi.json and that no supertest request claimed fails the test that just ran.
afterEach(() => {
  const violations = unclaimedViolations();
  if (violations.length > 0) throw new OpenApiViolationError(violations);
});
