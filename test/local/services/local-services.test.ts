import * as net from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localClientConfig, localS3ClientConfig, startLocalServices, type LocalServices, type S3EventRecordLike } from '../../../packages/local/src/services';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('startLocalServices', () => {
  let services: LocalServices;
  const created: S3EventRecordLike[] = [];

  beforeAll(async () => {
    services = await startLocalServices({ s3: { onObjectCreated: (record) => void created.push(record) } });
  });

  afterAll(async () => {
    await services?.stop();
  });

  it('starts DynamoDB Local and S3 side by side, both usable with real SDK clients', async () => {
    const ddb = new DynamoDBClient(localClientConfig(services.dynamodb.endpoint));
    const s3 = new S3Client(localS3ClientConfig(services.s3.endpoint));
    try {
      await ddb.send(
        new CreateTableCommand({
          TableName: 'documents',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual(['documents']);

      await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/first doc.txt', Body: 'hello' }));
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['uploads']);
      // Notifications are delivered asynchronously, after the PutObject response; the bound only catches a hang.
      for (let waited = 0; created.length === 0 && waited < 20_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(created.map((r) => r.s3.object.key)).toEqual(['in/first+doc.txt']);
    } finally {
      ddb.destroy();
      s3.destroy();
    }
  });

  it('stop() shuts both down and frees both ports', async () => {
    await services.stop();
    expect(await refusesConnections(services.dynamodb.port)).toBe(true);
    expect(await refusesConnections(services.s3.port)).toBe(true);
  });
});
