import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RECONCILIATION_ENV, RECONCILIATION_METRIC, RECONCILIATION_NAMESPACE } from '../../../shared/contract/reconciliation';
import { readReconciliationSettings } from '../../../lambda/reconciliation/settings';
import { CostReporting } from '../../../lib/cost-reporting/cost-reporting';
import { MeterArchive } from '../../../lib/cost-reporting/meter-archive';
import { MeterReconciliation, MeterReconciliationProps } from '../../../lib/cost-reporting/meter-reconciliation';
import { MeterTable } from '../../../lib/cost-reporting/meter-table';
import { METER_COLUMNS, METER_FILTER_PATTERN, meterSerdeParameters } from '../../../shared/queries/meter';
import { expectSignalPathsHold } from '../../support/policy-simulator';
import { createTestApp, policyStatements } from '../../support/test-app';

function costStack(): Stack {
  return new Stack(createTestApp(), 'CostStack', { env: { account: '111122223333', region: 'us-east-1' } });
}

function synthReconciliation(props: Partial<MeterReconciliationProps> = {}) {
  const stack = costStack();
  const costReporting = new CostReporting(stack, 'CostReporting');
  const meterBucket = s3.Bucket.fromBucketName(stack, 'MeterBucket', 'genai-meter-archive');
  const meterTable = new MeterTable(stack, 'MeterTable', { costReporting, bucket: meterBucket });
  const construct = new MeterReconciliation(stack, 'Reconciliation', { costReporting, meterTable, ...props });
  return { stack, construct, template: Template.fromStack(stack) };
}

function synthArchive(more: (stack: Stack, archive: MeterArchive) => void = () => undefined) {
  const stack = new Stack(createTestApp(), 'WorkflowStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const logGroup = new logs.LogGroup(stack, 'HandlerLogs', { retention: logs.RetentionDays.ONE_MONTH });
  const archive = new MeterArchive(stack, 'MeterArchive', { logGroups: [logGroup] });
  more(stack, archive);
  return { stack, archive, template: Template.fromStack(stack) };
}

describe('MeterArchive', () => {
  test('subscribes the log groups with a filter that selects only the GenAI namespace\'s EMF records', () => {
    const { template } = synthArchive();
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: METER_FILTER_PATTERN,
      DestinationArn: Match.anyValue(),
      RoleArn: Match.anyValue(),
    });
    expect(METER_FILTER_PATTERN).toBe('{ $._aws.CloudWatchMetrics[0].Namespace = "GenAI/FinOps" }');
  });

  test('delivers the messages as they were written (built-in decompression and message extraction), gzip, by day, encrypted', () => {
    const { template } = synthArchive();
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'meter/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'meter-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        FileExtension: '.json.gz',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] },
            { Type: 'CloudWatchLogProcessing', Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }] },
            // One JSON object per line: without it, records are concatenated as `…}{…` (no trailing newline).
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      }),
    });
  });

  test('keeps records 400 days in a TLS-only, encrypted bucket', () => {
    const { template } = synthArchive();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireMeterRecords', Prefix: 'meter/', ExpirationInDays: 400 })]) },
    });
    const policies = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toContain('"aws:SecureTransport":"false"');
  });

  test('Firehose\'s role trusts the service only for this account\'s streams (aws:SourceAccount)', () => {
    const { template } = synthArchive();
    const roles = Object.values(template.findResources('AWS::IAM::Role'))
      .map((r: any) => r.Properties.AssumeRolePolicyDocument.Statement)
      .flat()
      .filter((st: any) => st.Principal?.Service === 'firehose.amazonaws.com');
    expect(roles).toHaveLength(1);
    expect(roles[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '111122223333' } });
  });

  test('addLogGroup subscribes another log group', () => {
    const { template } = synthArchive((stack, archive) => {
      archive.addLogGroup(new logs.LogGroup(stack, 'OtherLogs', { retention: logs.RetentionDays.ONE_MONTH }));
    });
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
  });

  test('fails when the buffering interval is outside Firehose\'s range, naming the path, the value and the fix', () => {
    const stack = new Stack(createTestApp(), 'S');
    expect(() => new MeterArchive(stack, 'Archive', { bufferingInterval: Duration.seconds(30) }))
      .toThrow(/S\/Archive: bufferingInterval is 30 seconds; Firehose buffers 60 to 900. Fix:/);
  });

  test('matches the snapshot', () => {
    expect(synthArchive().template.toJSON()).toMatchSnapshot();
  });
});

describe('MeterTable', () => {
  test('declares the meter columns over the archive with the OpenX SerDe and a projected day partition', () => {
    const { template } = synthReconciliation();
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'genai_finops_cost',
      TableInput: Match.objectLike({
        Name: 'meter',
        PartitionKeys: [Match.objectLike({ Name: 'dt', Type: 'string' })],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'storage.location.template': 's3://genai-meter-archive/meter/dt=${dt}/',
        }),
        StorageDescriptor: Match.objectLike({
          Location: 's3://genai-meter-archive/meter/',
          Columns: METER_COLUMNS.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: meterSerdeParameters() },
        }),
      }),
    });
  });

  test('fails on a table name Glue would not keep as written', () => {
    const stack = costStack();
    const costReporting = new CostReporting(stack, 'CostReporting');
    expect(() => new MeterTable(stack, 'MeterTable', { costReporting, bucket: s3.Bucket.fromBucketName(stack, 'B', 'meter-bucket'), tableName: 'Meter-Records' }))
      .toThrow(/CostStack\/MeterTable: tableName is 'Meter-Records'. Fix: use lower-case letters/);
  });
});

describe('MeterReconciliation', () => {
  test('runs the bundled handler daily with the environment its reader expects', () => {
    const { template } = synthReconciliation({ lagDays: 3, thresholdPercent: 1.5 });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((f: any) => f.Properties.Environment?.Variables?.[RECONCILIATION_ENV.workGroup]) as any;
    const settings = readReconciliationSettings(fn.Properties.Environment.Variables);
    expect(settings).toMatchObject({
      workGroup: 'genai-finops-cost', database: 'genai_finops_cost', curTable: '"genai_finops_cost"."cur2"',
      meterTable: '"genai_finops_cost"."meter"', lagDays: 3, thresholdPercent: 1.5, minimumUsd: 0.01,
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 7 * * ? *)' });
  });

  test('may query its workgroup only, read the two tables and their objects, and write Athena results', () => {
    const { template } = synthReconciliation();
    const statements = policyStatements(template);
    const athena = statements.find((s) => s.Action.includes('athena:StartQueryExecution'))!;
    expect(athena.Action.sort()).toEqual(['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution']);
    expect(JSON.stringify(athena.Resource)).toContain(':workgroup/genai-finops-cost');
    const glue = statements.find((s) => s.Action.includes('glue:GetTable'))!;
    expect(JSON.stringify(glue.Resource)).toContain('table/genai_finops_cost/cur2');
    expect(JSON.stringify(glue.Resource)).toContain('table/genai_finops_cost/meter');
    expect(JSON.stringify(statements)).toContain(':s3:::genai-meter-archive/meter/*');
    for (const s of statements) {
      for (const action of s.Action) expect(action).not.toMatch(/^(athena|glue|s3):\*$/);
    }
  });

  test('alarms on the largest drift and on the unmetered share past the threshold, to its encrypted topic', () => {
    const { template } = synthReconciliation();
    for (const metric of [RECONCILIATION_METRIC.maxDriftPercent, RECONCILIATION_METRIC.unmeteredPercent]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: RECONCILIATION_NAMESPACE, MetricName: metric, Statistic: 'Maximum', Period: 86400,
        Threshold: 2, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
        AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('ReconciliationTopic') })],
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('alarms on the same topic when a day\'s run fails, so a reconciliation failing every day is not silent', () => {
    const { template } = synthReconciliation();
    const fn = Object.entries(template.findResources('AWS::Lambda::Function'))
      .find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.[RECONCILIATION_ENV.workGroup])![0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 86400,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('ReconciliationTopic') })],
    });
  });

  test('may decrypt the CUR and meter buckets\' customer-managed keys', () => {
    const stack = costStack();
    const curKey = new kms.Key(stack, 'CurKey', { enableKeyRotation: true });
    const meterKey = new kms.Key(stack, 'MeterKey', { enableKeyRotation: true });
    const curBucket = s3.Bucket.fromBucketAttributes(stack, 'CurBucket', { bucketName: 'cur-export', encryptionKey: curKey });
    const meterBucket = s3.Bucket.fromBucketAttributes(stack, 'MeterBucketKms', { bucketName: 'genai-meter-archive', encryptionKey: meterKey });
    const costReporting = new CostReporting(stack, 'CostReporting', { bucket: curBucket });
    const meterTable = new MeterTable(stack, 'MeterTable', { costReporting, bucket: meterBucket });
    new MeterReconciliation(stack, 'Reconciliation', { costReporting, meterTable });
    const template = Template.fromStack(stack);
    const decrypts = policyStatements(template).filter((st) => [st.Action].flat().includes('kms:Decrypt'));
    for (const key of ['CurKey', 'MeterKey']) {
      const logicalId = stack.getLogicalId(stack.node.findChild(key).node.defaultChild as any);
      expect(decrypts.some((st) => JSON.stringify(st.Resource).includes(logicalId))).toBe(true);
    }
  });

  test('the alarms can publish to the topic and use its key', async () => {
    await expectSignalPathsHold(synthReconciliation().template.toJSON(), ['alarm → topic']);
  });

  test('a given topic gets the statement that lets the alarms publish', () => {
    const stack = costStack();
    const costReporting = new CostReporting(stack, 'CostReporting');
    const meterTable = new MeterTable(stack, 'MeterTable', { costReporting, bucket: s3.Bucket.fromBucketName(stack, 'B', 'meter-bucket') });
    const topic = new sns.Topic(stack, 'OpsTopic', { enforceSSL: true });
    new MeterReconciliation(stack, 'Reconciliation', { costReporting, meterTable, topic });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain('cloudwatch.amazonaws.com');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('alarm-topic-policy'));
  });

  test.each([
    [{ lagDays: 0 }, /lagDays is 0. Fix: use a whole number of days from 1 to 14/],
    [{ thresholdPercent: 0 }, /thresholdPercent is 0. Fix: use a percentage above 0/],
    [{ minimumUsd: -1 }, /minimumUsd is -1. Fix:/],
  ])('fails on %p, naming the path, the value and the fix', (props, message) => {
    expect(() => synthReconciliation(props)).toThrow(new RegExp(`CostStack/Reconciliation: ${message.source}`));
  });

  test('matches the snapshot', () => {
    expect(synthReconciliation().template.toJSON()).toMatchSnapshot();
  });
});
