/**
 * Polls a condition (a state of the database or a process, never the clock) until it holds,
 * checking every `intervalMs`; gives up with an error naming `what` after `attempts` checks
 * (by default 30 s: a bound that tells "never" from "slow machine", not a speed requirement).
 */
export async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  { attempts = 600, intervalMs = 50 }: { attempts?: number; intervalMs?: number } = {},
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
