import { CliRun, eventFile, runCli } from './run-cli';

// The four recorded events of the handler tests, each through its workflow's bundled handler in a child process.
const CASES = {
  api: ['api', 'api-gateway-proxy'],
  documentEventBridge: ['document', 'eventbridge-object-created'],
  documentS3Notification: ['document', 's3-object-created'],
  scheduled: ['scheduled', 'eventbridge-scheduled'],
} as const;

const runs: Partial<Record<keyof typeof CASES, CliRun>> = {};

beforeAll(async () => {
  // One at a time: each run starts DynamoDB Local's JVM, and four at once on a shared 2-core machine starve it past
  // its start-up wait. The timeouts are ceilings for a loaded machine; a run takes a few seconds.
  for (const [name, [workflow, event]] of Object.entries(CASES)) {
    runs[name as keyof typeof CASES] = await runCli(['local', 'invoke', '--workflow', workflow, '--event', eventFile(event)], 120_000);
  }
}, 500_000);

/** stdout is exactly one JSON document: the handler's result, with no log or metric line mixed in. */
function result(name: keyof typeof CASES): any {
  const run = runs[name]!;
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).not.toContain('"_aws"');
  expect(run.stdout).not.toContain('"level"');
  return JSON.parse(run.stdout);
}

describe('genai-finops local invoke', () => {
  test('api: prints the API Gateway response, and the EMF metrics went to stderr', () => {
    const response = result('api');
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body.model.tier).toBe('simple');
    expect(body.cache.response).toBe('miss');
    expect(body.cost.totalUsd).toBeGreaterThan(0);
    expect(runs.api!.stderr).toContain('"_aws"');
    expect(runs.api!.stderr).toContain('"CostUSD"');
  });

  test('document (EventBridge): processes the uploaded object at the event key and logs to stderr', () => {
    const { results } = result('documentEventBridge');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ key: 'incoming/Ticket 4711 – refund?.txt', status: 'processed' });
    expect(results[0].costUsd).toBeGreaterThan(0);
    expect(runs.documentEventBridge!.stderr).toContain('"message":"document processed"');
  });

  test('document (S3 notification): decodes the key, processes the object, logs to stderr', () => {
    const { results } = result('documentS3Notification');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ key: 'incoming/Ticket 4711 – refund?.txt', status: 'processed' });
    expect(runs.documentS3Notification!.stderr).toContain('"message":"document processed"');
  });

  test('scheduled: processes the seeded records of the day before the schedule time', () => {
    const summary = result('scheduled');
    expect(summary).toMatchObject({ day: '2026-11-27', records: 3, processed: 3, rejected: 0, manifestKey: 'results/2026-11-27/_manifest.json' });
    expect(summary.costUsd).toBeGreaterThan(0);
    expect(runs.scheduled!.stderr).toContain('"message":"scheduled run finished"');
    expect(runs.scheduled!.stderr.match(/"_aws"/g)).toHaveLength(3);
  });
});
