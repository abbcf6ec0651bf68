import { format } from 'node:util';
import { logError, logInfo, logWarn } from '../../../lambda/shared/log';

type ConsoleMethod = 'info' | 'warn' | 'error' | 'log';
const LEVEL_OF: Readonly<Record<ConsoleMethod, string>> = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/**
 * The console as the Node.js Lambda runtime patches it when the function's log format is JSON: each call is one
 * record with the console method's level, whose `message` is the single argument as is, or the formatted arguments
 * (aws-lambda-nodejs-runtime-interface-client, formatJsonMessage). What CloudWatch Logs then stores.
 */
function lambdaJsonConsole(): { readonly records: Array<Record<string, any>>; readonly restore: () => void } {
  const records: Array<Record<string, any>> = [];
  const spies = (Object.keys(LEVEL_OF) as ConsoleMethod[]).map((method) => jest.spyOn(console, method).mockImplementation((message?: unknown, ...params: unknown[]) => {
    const record = { timestamp: '2026-12-01T09:30:15.000Z', level: LEVEL_OF[method], requestId: 'req-1', message: params.length === 0 ? message : format(message, ...params) };
    records.push(JSON.parse(JSON.stringify(record)));
  }));
  return { records, restore: () => spies.forEach((s) => s.mockRestore()) };
}

describe('structured logs', () => {
  const saved = { format: process.env.AWS_LAMBDA_LOG_FORMAT, fn: process.env.AWS_LAMBDA_FUNCTION_NAME };
  afterEach(() => {
    for (const [name, value] of [['AWS_LAMBDA_LOG_FORMAT', saved.format], ['AWS_LAMBDA_FUNCTION_NAME', saved.fn]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  describe('in Lambda with the JSON log format (what GenAiFunction configures)', () => {
    beforeEach(() => {
      process.env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'support-chat';
    });

    test('each record carries its own level, so log-level filtering and level = "WARN" find it', () => {
      const console = lambdaJsonConsole();
      try {
        logInfo('batch job submitted');
        logWarn('usage ledger unreachable; failing open on a per-container count');
        logError('handler failed');
      } finally {
        console.restore();
      }

      expect(console.records.map((r) => r.level)).toEqual(['INFO', 'WARN', 'ERROR']);
    });

    test('the fields stay structured in the record (message.tenantId), not an escaped string', () => {
      const console = lambdaJsonConsole();
      try {
        logWarn('usage ledger unreachable; failing open on a per-container count', { guard: 'usage-ledger', tenantId: 'iam:acme', tokens: 4_200 });
      } finally {
        console.restore();
      }

      expect(console.records).toEqual([{
        timestamp: expect.any(String), level: 'WARN', requestId: 'req-1',
        message: { message: 'usage ledger unreachable; failing open on a per-container count', guard: 'usage-ledger', tenantId: 'iam:acme', tokens: 4_200 },
      }]);
    });
  });

  test('elsewhere (tests, local invoke, the demo) each line is one JSON object on stderr, stdout left to results and EMF', () => {
    delete process.env.AWS_LAMBDA_LOG_FORMAT;
    const lines: string[] = [];
    const stderr = jest.spyOn(console, 'error').mockImplementation((line?: unknown) => { lines.push(String(line)); });
    const stdout = jest.spyOn(console, 'log');
    const info = jest.spyOn(console, 'info');
    try {
      logInfo('batch job submitted', { jobName: 'j-1' });
      logWarn('slow', { ms: 1200 });
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
      info.mockRestore();
    }

    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'INFO', message: 'batch job submitted', jobName: 'j-1' },
      { level: 'WARN', message: 'slow', ms: 1200 },
    ]);
    expect(stdout).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
  });
});
