import { App, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CostReporting, DEFAULT_REPORT_TAG_KEYS } from '../../../lib/cost-reporting/cost-reporting';
import { CUR_COLUMNS, exportQueryStatement } from '../../../shared/queries/cur-schema';
import { costReportQueries } from '../../../shared/queries';
import { createTestApp } from '../../support/test-app';
import { expectSignalPathsHold } from '../../support/policy-simulator';

function usEast1Stack(app: App = createTestApp()): Stack {
  return new Stack(app, 'CostStack', { env: { account: '111122223333', region: 'us-east-1' } });
}

function synth(props: ConstructorParameters<typeof CostReporting>[2] = {}): { template: Template; construct: CostReporting; stack: Stack } {
  const stack = usEast1Stack();
  const construct = new CostReporting(stack, 'CostReporting', props);
  return { template: Template.fromStack(stack), construct, stack };
}

describe('CostReporting', () => {
  test('exports CUR 2.0 with resource ids and caller identity, only the columns the reports read, as Parquet', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::BCMDataExports::Export', 1);
    template.hasResourceProperties('AWS::BCMDataExports::Export', {
      Export: Match.objectLike({
        Name: 'genai-finops-cur2',
        DataQuery: {
          QueryStatement: exportQueryStatement(),
          TableConfigurations: {
            COST_AND_USAGE_REPORT: Match.objectLike({ INCLUDE_RESOURCES: 'TRUE', INCLUDE_IAM_PRINCIPAL_DATA: 'TRUE', TIME_GRANULARITY: 'HOURLY' }),
          },
        },
        DestinationConfigurations: {
          S3Destination: Match.objectLike({
            S3Prefix: 'cur2',
            S3Region: 'us-east-1',
            S3OutputConfigurations: { OutputType: 'CUSTOM', Format: 'PARQUET', Compression: 'PARQUET', Overwrite: 'OVERWRITE_REPORT' },
          }),
        },
        RefreshCadence: { Frequency: 'SYNCHRONOUS' },
      }),
    });
    for (const column of ['line_item_iam_principal', 'line_item_resource_id', 'resource_tags', 'tags', 'line_item_unblended_cost',
      'line_item_net_unblended_cost', 'line_item_usage_account_id', 'line_item_usage_account_name', 'pricing_public_on_demand_cost',
      'savings_plan_savings_plan_effective_cost', 'savings_plan_net_savings_plan_effective_cost', 'reservation_effective_cost']) {
      expect(exportQueryStatement()).toContain(column);
    }
  });

  test('the bucket policy lets both billing services write, for this account, and the export waits for it', () => {
    const { template } = synth();
    const policies = template.findResources('AWS::S3::BucketPolicy');
    const [policyId, policy] = Object.entries(policies).find(([, p]) => JSON.stringify(p).includes('bcm-data-exports.amazonaws.com'))!;
    const statement = (policy as any).Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'EnableAWSDataExportsToWriteToS3AndCheckPolicy');
    expect(statement.Principal.Service).toEqual(['billingreports.amazonaws.com', 'bcm-data-exports.amazonaws.com']);
    expect(statement.Action).toEqual(['s3:PutObject', 's3:GetBucketPolicy']);
    expect(statement.Condition.StringLike['aws:SourceAccount']).toBe('111122223333');
    expect(JSON.stringify(statement.Condition.StringLike['aws:SourceArn'])).toContain(':bcm-data-exports:us-east-1:111122223333:export/*');
    const exportResource = Object.values(template.findResources('AWS::BCMDataExports::Export'))[0] as any;
    expect(exportResource.DependsOn).toContain(policyId);
  });

  test('the bucket is encrypted, TLS only and private', () => {
    const { template, construct, stack } = synth();
    const bucketId = stack.getLogicalId((construct.bucket as s3.Bucket).node.defaultChild as s3.CfnBucket);
    template.hasResource('AWS::S3::Bucket', Match.objectLike({
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
    }));
    expect(template.toJSON().Resources[bucketId]).toBeDefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the Glue table reads the Parquet layout, partition-projected by billing period, with the CUR 2.0 columns', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'genai_finops_cost', Description: Match.anyValue() } });
    const table = Object.values(template.findResources('AWS::Glue::Table'))[0] as any;
    const input = table.Properties.TableInput;
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'billing_period', Type: 'string' })]);
    expect(input.Parameters).toEqual(expect.objectContaining({
      'projection.enabled': 'true',
      'projection.billing_period.type': 'date',
      'projection.billing_period.format': 'yyyy-MM',
      'projection.billing_period.range': '2024-01,NOW',
    }));
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/cur2/genai-finops-cur2/data/BILLING_PERIOD=${billing_period}');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    const columns = Object.fromEntries(input.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type]));
    expect(columns).toEqual(Object.fromEntries(CUR_COLUMNS.map((c) => [c.name, c.type])));
    expect(columns).toEqual(expect.objectContaining({
      bill_billing_period_start_date: 'timestamp', line_item_unblended_cost: 'double', resource_tags: 'map<string,string>',
    }));
  });

  test('the workgroup enforces encrypted results and the bytes-scanned cutoff', () => {
    const { template } = synth({ bytesScannedCutoff: Size.gibibytes(2) });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'genai-finops-cost',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 2 * 1024 ** 3,
        ResultConfiguration: { OutputLocation: Match.anyValue(), EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
      }),
    });
  });

  test('the cutoff defaults to 10 GiB', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 10 * 1024 ** 3 }),
    });
  });

  test('saves one named query per report, with the text the tests run', () => {
    const { template, construct } = synth({ monthlyBudgetUsd: 750 });
    const expected = costReportQueries({ table: '"genai_finops_cost"."cur2"', tagKeys: [...DEFAULT_REPORT_TAG_KEYS], monthlyBudgetUsd: 750 });
    template.resourceCountIs('AWS::Athena::NamedQuery', expected.length);
    for (const query of expected) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: query.name, Database: 'genai_finops_cost', WorkGroup: 'genai-finops-cost', QueryString: query.sql,
      });
    }
    expect(Object.keys(construct.namedQueries).sort()).toEqual(expected.map((q) => q.id).sort());
    expect(construct.namedQueries['month-to-date-vs-budget'].queryString).toContain('CAST(750 AS DOUBLE)');
    expect(Object.keys(construct.namedQueries)).toEqual(expect.arrayContaining(['cost-by-application', 'cost-by-customer', 'top-customers']));
  });

  test('writes to a bucket it is given, adding the Data Exports statement to its policy', () => {
    const stack = usEast1Stack();
    const bucket = new s3.Bucket(stack, 'Mine', { enforceSSL: true, serverAccessLogsPrefix: 'logs/' });
    new CostReporting(stack, 'CostReporting', { bucket });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::BCMDataExports::Export', {
      Export: Match.objectLike({ DestinationConfigurations: { S3Destination: Match.objectLike({ S3Bucket: { Ref: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket) } }) } }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'EnableAWSDataExportsToWriteToS3AndCheckPolicy' })]) },
    });
  });

  test('warns when the bucket is imported and its policy cannot be added', () => {
    const stack = usEast1Stack();
    new CostReporting(stack, 'CostReporting', { bucket: s3.Bucket.fromBucketName(stack, 'Imported', 'billing-bucket') });
    Annotations.fromStack(stack).hasWarning('/CostStack/CostReporting', Match.stringLikeRegexp('genai-finops:data-exports-bucket-policy'));
  });

  test('warns when the region is not known at synth time', () => {
    const stack = new Stack(createTestApp(), 'AgnosticStack');
    new CostReporting(stack, 'CostReporting');
    Annotations.fromStack(stack).hasWarning('/AgnosticStack/CostReporting',
      Match.stringLikeRegexp('us-east-1 only.*genai-finops:data-exports-region'));
  });

  test('fails when the stack is in another region, naming the path, the region and the fix', () => {
    const stack = new Stack(createTestApp(), 'EuStack', { env: { region: 'eu-west-1' } });
    expect(() => new CostReporting(stack, 'CostReporting'))
      .toThrow(/EuStack\/CostReporting: the stack's region is eu-west-1.*us-east-1 only. Fix: .*region: 'us-east-1'/);
  });

  test('fails when the export name has characters Data Exports rejects', () => {
    expect(() => synth({ exportName: 'my export/v2' })).toThrow(/CostReporting: exportName is 'my export\/v2'. Fix: use 1 to 128 letters/);
  });

  test("fails when the cutoff is below Athena's 10 MB minimum", () => {
    expect(() => synth({ bytesScannedCutoff: Size.mebibytes(5) })).toThrow(/bytesScannedCutoff is 5242880 bytes, below Athena's minimum of 10000000/);
  });

  test('fails when the budget is not a positive amount', () => {
    expect(() => synth({ monthlyBudgetUsd: 0 })).toThrow(/monthlyBudgetUsd is 0. Fix: use a positive amount/);
  });

  test('fails when the Glue database name is not lower case', () => {
    expect(() => synth({ glueDatabaseName: 'GenAI-Cost' })).toThrow(/glueDatabaseName is 'GenAI-Cost'. Fix: use lower-case letters/);
  });

  test('fails when a tag key would break the SQL', () => {
    expect(() => synth({ tagKeys: ["Team'--"] })).toThrow(/a tag key is 'Team'--'/);
  });

  test('matches the snapshot', () => {
    expect(synth().template.toJSON()).toMatchSnapshot();
  });
});

describe('CostReporting signal paths, evaluated by an IAM policy simulator', () => {
  test('Data Exports may write the CUR under its prefix and read the bucket policy, for this account\'s exports only and over TLS', async () => {
    await expectSignalPathsHold(synth().template.toJSON(), ['data export → bucket']);
  });
});
