/**
 * A clock for tests that count requests in a limit's window (minute, hour, day) through the real handler: it starts
 * at a fixed instant half a second into a minute, in the middle of an hour, and runs at real speed from there. On the
 * real clock, a test's requests could straddle a window's end and see its count start again (for a minute window, a
 * few percent of runs of a three-request test); here the nearest end is about a minute away, while timeouts and
 * deadlines still run. The day is fixed too, so nothing depends on today's date.
 */
export const WINDOW_CLOCK_START = Date.UTC(2036, 2, 15, 12, 30, 0) + 500;

/** Makes `Date.now` run from {@link WINDOW_CLOCK_START}; undo with `jest.restoreAllMocks()` (or the spy's `mockRestore`). */
export function startWindowClock(): jest.SpyInstance<number, []> {
  const realNow = Date.now.bind(Date);
  const startedAt = realNow();
  return jest.spyOn(Date, 'now').mockImplementation(() => WINDOW_CLOCK_START + (realNow() - startedAt));
}
