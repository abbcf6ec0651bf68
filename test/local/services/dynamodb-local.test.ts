import { spawn } from 'node:child_process';
import { existsSync, readFileSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { localClientConfig, startDynamoDbLocal, type LocalDynamoDb } from '../../../packages/local/src/services/dynamodb-local';

const MODULE_UNDER_TEST = path.resolve(__dirname, '../../../packages/local/src/services/dynamodb-local');

let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: 'ledger',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});

/** True once `pid` no longer runs (gone, or a zombie waiting for init to reap it). */
function processEnded(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z') === true;
}

/** Polls `condition` until it holds; `timeoutMs` only catches a hang (a loaded CI machine may take seconds to reap a JVM). */
async function eventually(condition: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Resolves with the connect error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

const REPO_ROOT = path.resolve(__dirname, '../../..');

/**
 * Runs `body` in a separate Node process (TypeScript via tsx) with `startDynamoDbLocal` in scope and
 * resolves with the first JSON line it prints. A child process, because these scenarios kill or exit
 * the parent, or need another PATH (jest gives each test file a copy of process.env that spawn ignores).
 */
function runInChild<T>(body: string, env: NodeJS.ProcessEnv = process.env): { child: ReturnType<typeof spawn>; firstLine: Promise<T> } {
  const script = `const { startDynamoDbLocal } = require(${JSON.stringify(MODULE_UNDER_TEST)});\n${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = new Promise<T>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
      if (line) resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before printing a result: ${stderr}`)));
  });
  return { child, firstLine };
}

/** Starts DynamoDB Local in a child process, prints `{pid, port}`, then runs `afterStart`. */
async function startInChild(afterStart: string): Promise<{ child: ReturnType<typeof spawn>; pid: number; port: number }> {
  const { child, firstLine } = runInChild<{ pid: number; port: number }>(`
    startDynamoDbLocal().then((db) => {
      process.stdout.write(JSON.stringify({ pid: db.pid, port: db.port }) + '\\n');
      ${afterStart}
    }, (error) => { console.error(error); process.exit(3); });`);
  return { child, ...(await firstLine) };
}

describe('DynamoDB Local', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(dynamodb.endpoint).toBe(`http://127.0.0.1:${dynamodb.port}`);
    expect(await tryConnect('127.0.0.1', dynamodb.port)).toBe('connected');
    // On Linux every 127.x address reaches the loopback interface, so a wildcard listener would accept here.
    expect(await tryConnect('127.0.0.2', dynamodb.port)).not.toBe('connected');
  });

  it('puts and gets an item with the real SDK client', async () => {
    await client.send(new PutItemCommand({ TableName: 'ledger', Item: { pk: { S: 'req#1' }, costMicros: { N: '1250' }, model: { S: 'claude-haiku' } } }));
    const { Item } = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'req#1' } }, ConsistentRead: true }));
    expect(Item).toEqual({ pk: { S: 'req#1' }, costMicros: { N: '1250' }, model: { S: 'claude-haiku' } });
  });

  it('cancels a transaction whose ConditionCheck fails, and commits one whose check holds', async () => {
    await client.send(new PutItemCommand({ TableName: 'ledger', Item: { pk: { S: 'budget#team-a' }, remainingMicros: { N: '1000' } } }));
    const reserve = (costMicros: number, requestId: string): TransactWriteItemsCommand =>
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: 'ledger',
              Key: { pk: { S: 'budget#team-a' } },
              ConditionExpression: 'remainingMicros >= :cost',
              ExpressionAttributeValues: { ':cost': { N: String(costMicros) } },
            },
          },
          { Put: { TableName: 'ledger', Item: { pk: { S: requestId }, costMicros: { N: String(costMicros) } } } },
        ],
      });

    let caught: unknown;
    try {
      await client.send(reserve(5_000, 'req#too-expensive'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TransactionCanceledException);
    expect((caught as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    const rejected = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'req#too-expensive' } }, ConsistentRead: true }));
    expect(rejected.Item).toBeUndefined();

    await client.send(reserve(400, 'req#affordable'));
    const accepted = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'req#affordable' } }, ConsistentRead: true }));
    expect(accepted.Item?.costMicros).toEqual({ N: '400' });
  });

  it('enables time to live and reports it', async () => {
    const updated = await client.send(new UpdateTimeToLiveCommand({ TableName: 'ledger', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    expect(updated.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    const described = await client.send(new DescribeTimeToLiveCommand({ TableName: 'ledger' }));
    expect(described.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
    expect(['ENABLED', 'ENABLING']).toContain(described.TimeToLiveDescription?.TimeToLiveStatus);
  });

  it('shares one database across credentials and regions (-sharedDb)', async () => {
    const other = new DynamoDBClient({ region: 'eu-west-1', endpoint: dynamodb.endpoint, credentials: { accessKeyId: 'other', secretAccessKey: 'other' } });
    const { Item } = await other.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'req#1' } } }));
    other.destroy();
    expect(Item?.model).toEqual({ S: 'claude-haiku' });
  });

  it('fails with a clear message when the requested port is taken, on the bind failure, not the startup timeout', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      // The port-in-use message (not "did not answer … within") shows the bind failure was seen: no clock needed,
      // which would measure the machine (the JVM's start took 38 s on a busy 2-core machine).
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(new RegExp(`port ${port}: it is already in use[\\s\\S]*BindException`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('tells the user to install Java when `java` is not on PATH', async () => {
    const emptyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'no-java-'));
    try {
      const { firstLine } = runInChild<{ error?: string }>(
        `startDynamoDbLocal().then(
          (db) => db.stop().then(() => console.log(JSON.stringify({ error: 'started without java?' }))),
          (error) => console.log(JSON.stringify({ error: error.message })));`,
        { ...process.env, PATH: emptyDir },
      );
      expect((await firstLine).error).toMatch(/`java` was not found on PATH\. Install a Java 17 runtime/);
    } finally {
      await fs.rm(emptyDir, { recursive: true, force: true });
    }
  });

  it('does not leave a JVM behind when the Node process is killed', async () => {
    const { child, pid } = await startInChild('setInterval(() => undefined, 1000);');
    expect(processEnded(pid)).toBe(false);
    child.kill('SIGKILL'); // no exit handlers run: only the JVM's stdin watchdog can notice
    // The JVM's process is gone. (Its port is not checked: with test files running in parallel, another file's
    // emulator may be handed the freed port by the OS at once.)
    expect(await eventually(() => processEnded(pid))).toBe(true);
  });

  it('lets a script that forgets stop() exit, and kills its JVM on the way out', async () => {
    const { child, pid } = await startInChild('/* no stop(): the event loop must still drain */');
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(exitCode).toBe(0);
    expect(await eventually(() => processEnded(pid))).toBe(true);
  });

  it('stop() ends the JVM and frees the port', async () => {
    const { pid, port } = dynamodb;
    await dynamodb.stop();
    await dynamodb.stop(); // idempotent
    expect(processEnded(pid)).toBe(true);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => probe.close(resolve));
  });
});
