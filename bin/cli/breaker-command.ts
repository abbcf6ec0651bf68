/** `genai-finops breaker reset`: close a circuit breaker by hand, audited, with the real DynamoDB client. */
import { userInfo } from 'node:os';
import { DynamoDBClient, ScanCommand, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { BREAKER_TABLE } from '../../shared/contract';
import { DynamoDbBreakerStore } from '../../lambda/breaker/state-store';
import { parseArgs, subcommandArgs, UsageError } from '../../shared/cli/args';
import { BREAKER_HELP, BREAKER_RESET_HELP } from './help';

/** `genai-finops breaker <subcommand>`; resolves to the exit code. */
export async function breakerCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const rest = subcommandArgs(argv, 'breaker', 'reset');
  if (rest === 'help') {
    await out(BREAKER_HELP);
    return 0;
  }
  return reset(rest, out, log);
}

async function reset(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const cmd = 'breaker reset';
  const { options, positionals } = parseArgs(argv, { table: 'string', feature: 'string', application: 'string', reason: 'string', endpoint: 'string', region: 'string' }, cmd);
  if (options.help) {
    await out(BREAKER_RESET_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, cmd);
  const table = options.table as string | undefined;
  const feature = options.feature as string | undefined;
  if (!table) throw new UsageError('missing --table T (the CircuitBreaker state table name)', cmd);
  if (!feature) throw new UsageError("missing --feature F (the feature, or '*' for the global breaker)", cmd);
  const client = new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint as string } : {}),
    ...(options.region ? { region: options.region as string } : {}),
  });
  try {
    await assertAwsSetup(client, cmd);
    const application = (options.application as string | undefined) ?? await applicationOf(client, table, feature, cmd);
    const actor = `cli:${safeUser()}`;
    const store = new DynamoDbBreakerStore(client, table);
    const outcome = await store.reset(application, feature, (options.reason as string | undefined) ?? `manual reset by ${actor}`, actor);
    log(outcome.changed ? `closed the breaker of ${application}#${feature} (audited)` : `the breaker of ${application}#${feature} was not open; nothing changed`);
    await out(`${JSON.stringify({ application, feature, reset: outcome.changed ? [feature] : [], unchanged: outcome.changed ? [] : [feature] }, null, 2)}\n`);
    return 0;
  } finally {
    client.destroy();
  }
}

// Without --application: the one application of the table with a state for this feature (a table usually has one).
async function applicationOf(client: DynamoDBClient, table: string, feature: string, cmd: string): Promise<string> {
  const suffix = `#${feature}`;
  const applications = new Set<string>();
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await client.send(new ScanCommand({
      TableName: table, ExclusiveStartKey: start, ProjectionExpression: '#pk',
      FilterExpression: '#sk = :state', ExpressionAttributeNames: { '#pk': BREAKER_TABLE.partitionKey, '#sk': BREAKER_TABLE.sortKey },
      ExpressionAttributeValues: { ':state': { S: BREAKER_TABLE.stateSortKey } },
    }));
    for (const item of page.Items ?? []) {
      const pk = item[BREAKER_TABLE.partitionKey]?.S;
      if (pk?.endsWith(suffix)) applications.add(pk.slice(0, -suffix.length));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  if (applications.size === 1) return [...applications][0];
  if (applications.size === 0) throw new UsageError(`table '${table}' has no breaker state for feature '${feature}'; check --feature, or give --application`, cmd);
  throw new UsageError(`feature '${feature}' has breakers in several applications (${[...applications].sort().join(', ')}); give --application`, cmd);
}

/**
 * Resolves the Region and credentials before the first call, so that a missing one is told with its fix rather than
 * as the SDK's "Region is missing" or "Could not load credentials from any providers" from inside a request.
 */
async function assertAwsSetup(client: DynamoDBClient, cmd: string): Promise<void> {
  try {
    await client.config.region();
  } catch {
    throw new UsageError('no AWS Region is set. Fix: pass --region R (the Region of the stack with the CircuitBreaker), or set AWS_REGION, or a region in your AWS profile (AWS_PROFILE)', cmd);
  }
  try {
    await client.config.credentials();
  } catch (error) {
    throw new UsageError(`no AWS credentials could be loaded (${(error as Error).message}). Fix: sign in (aws sso login, or aws configure), or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the caller needs dynamodb:UpdateItem and dynamodb:PutItem on the table`, cmd);
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
