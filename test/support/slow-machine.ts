/**
 * How long a test lets the usage ledger wait on DynamoDB Local before it counts as unreachable. The production default
 * (1.5 s) is about a Lambda not waiting on its quota; a cold DynamoDB Local JVM on a loaded CI machine can take longer
 * on its first writes, and a test about degrading, deferring or throttling must not turn into a test of the machine's
 * speed. Tests of the timeout itself set it short on purpose.
 */
export const SLOW_MACHINE_TIMEOUT_MS = 30_000;
