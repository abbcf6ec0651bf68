import { Annotations, Aws, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as bcm from 'aws-cdk-lib/aws-bcmdataexports';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IDependable } from 'constructs';
import { GenAiTagKey } from '../tagging/genai-tag-keys';
import { createSecureBucket } from '../private/secure-bucket';
import { BILLING_PERIOD_COLUMN, CUR_COLUMNS, exportQueryStatement, costReportQueries } from '../../shared/queries';
import { checkProps, PropKinds } from '../private/prop-check';

/** The only region AWS Data Exports (and so `AWS::BCMDataExports::Export`) is served from. */
export const DATA_EXPORTS_REGION = 'us-east-1';

/** Athena's smallest per-query data usage control: 10 MB. */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/** The tag keys the reports break cost down by unless told otherwise. */
export const DEFAULT_REPORT_TAG_KEYS: readonly string[] = [
  GenAiTagKey.APPLICATION, GenAiTagKey.FEATURE, GenAiTagKey.TEAM, GenAiTagKey.CUSTOMER, GenAiTagKey.MODEL,
];

/** Props of {@link CostReporting}. */
export interface CostReportingProps {
  /**
   * The Data Exports export's name (letters, digits and `! - _ . * ' ( )`, up to 128); also the folder the export
   * writes under the prefix.
   * @default 'genai-finops-cur2'
   */
  readonly exportName?: string;
  /**
   * The bucket the export writes to and Athena reads from. It must be in this stack's region (us-east-1); a bucket
   * of this stack gets the Data Exports bucket policy added, an imported one must already have it.
   * @default - a new encrypted (SSE-S3), TLS-only, private, versioned bucket with access logging
   */
  readonly bucket?: s3.IBucket;
  /**
   * The key prefix the export writes under.
   * @default 'cur2'
   */
  readonly prefix?: string;
  /**
   * The Glue database (lower-case letters, digits and underscores).
   * @default 'genai_finops_cost'
   */
  readonly glueDatabaseName?: string;
  /**
   * The Glue table over the export.
   * @default 'cur2'
   */
  readonly glueTableName?: string;
  /**
   * The Athena workgroup that runs the reports.
   * @default 'genai-finops-cost'
   */
  readonly workgroupName?: string;
  /**
   * The most data one query in the workgroup may scan before Athena cancels it (at least 10 MB). Athena charges
   * $5 per TB scanned, so the default caps a query at about $0.05.
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoff?: Size;
  /**
   * The monthly Bedrock budget in USD that the month-to-date query compares against.
   * @default 100
   */
  readonly monthlyBudgetUsd?: number;
  /**
   * The cost allocation tag keys to break cost down by, one named query each; the same keys on IAM principals
   * (`iamPrincipal/<key>`) make the principal-tags query's columns.
   * @default Application, Feature, Team, Customer and Model from the GenAI tag schema
   */
  readonly tagKeys?: string[];
  /**
   * The first billing period (`YYYY-MM`) Athena's partition projection considers.
   * @default '2024-01'
   */
  readonly firstBillingPeriod?: string;
}

/**
 * Cost visibility from the bill: a CUR 2.0 export (AWS Data Exports) with resource ids and caller identity (IAM
 * principal) data, delivered as Parquet to an encrypted bucket, a Glue table over it partitioned by billing period,
 * an Athena workgroup with encrypted results and a bytes-scanned cutoff, and the report queries saved in it.
 *
 * Data Exports is served from us-east-1 only, and this construct keeps the bucket, Glue and Athena next to the
 * export: the whole construct belongs in a us-east-1 stack. Billing data is account-wide, so nothing is lost, and
 * there are no cross-region references or cross-region transfer for Athena's scans.
 */
export class CostReporting extends Construct {
  /** The bucket the export writes to. */
  public readonly bucket: s3.IBucket;
  /** The bucket holding Athena's (encrypted) query results. */
  public readonly resultsBucket: s3.IBucket;
  /** The CUR 2.0 export. */
  public readonly export: bcm.CfnExport;
  /** The Glue database. */
  public readonly database: glue.CfnDatabase;
  /** The Glue table over the export's Parquet files. */
  public readonly table: glue.CfnTable;
  /** The Athena workgroup. */
  public readonly workGroup: athena.CfnWorkGroup;
  /** The saved report queries by id (`cost-by-application`, `month-to-date-vs-budget`, ...). */
  public readonly namedQueries: Record<string, athena.CfnNamedQuery>;
  /** The export's name. */
  public readonly exportName: string;

  constructor(scope: Construct, id: string, props: CostReportingProps = {}) {
    super(scope, id);
    checkProps(this, 'CostReportingProps', props, COST_REPORTING_PROP_KINDS);
    const exportName = props.exportName ?? 'genai-finops-cur2';
    const prefix = (props.prefix ?? 'cur2').replace(/^\/+|\/+$/g, '');
    const databaseName = props.glueDatabaseName ?? 'genai_finops_cost';
    const tableName = props.glueTableName ?? 'cur2';
    const workgroupName = props.workgroupName ?? 'genai-finops-cost';
    const cutoff = props.bytesScannedCutoff ?? Size.gibibytes(10);
    const monthlyBudgetUsd = props.monthlyBudgetUsd ?? 100;
    const tagKeys = props.tagKeys ?? [...DEFAULT_REPORT_TAG_KEYS];
    const firstBillingPeriod = props.firstBillingPeriod ?? '2024-01';
    validate(this, { exportName, prefix, databaseName, tableName, workgroupName, cutoff, monthlyBudgetUsd, tagKeys, firstBillingPeriod });
    this.exportName = exportName;

    const accessLogs = props.bucket ? undefined : createSecureBucket(this, 'AccessLogs', {});
    this.bucket = props.bucket ?? createSecureBucket(this, 'Bucket', { accessLogsBucket: accessLogs });
    const policyDependency = this.allowDataExportsToWrite();

    const results = createSecureBucket(this, 'Results', { accessLogsBucket: accessLogs ?? createSecureBucket(this, 'AccessLogs', {}) });
    // Query results are working files: a week is enough to download them.
    results.addLifecycleRule({ id: 'ExpireQueryResults', expiration: Duration.days(7) });
    this.resultsBucket = results;

    this.export = new bcm.CfnExport(this, 'Resource', {
      export: {
        name: exportName,
        description: 'CUR 2.0 for GenAI cost reports: resource ids and caller identity, the columns the reports read.',
        dataQuery: {
          queryStatement: exportQueryStatement(),
          tableConfigurations: {
            COST_AND_USAGE_REPORT: {
              TIME_GRANULARITY: 'HOURLY',
              INCLUDE_RESOURCES: 'TRUE',
              INCLUDE_IAM_PRINCIPAL_DATA: 'TRUE',
              INCLUDE_SPLIT_COST_ALLOCATION_DATA: 'FALSE',
              INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY: 'FALSE',
              BILLING_VIEW_ARN: `arn:${Aws.PARTITION}:billing::${Stack.of(this).account}:billingview/primary`,
            },
          },
        },
        destinationConfigurations: {
          s3Destination: {
            s3Bucket: this.bucket.bucketName,
            s3Prefix: prefix,
            s3Region: Stack.of(this).region,
            s3OutputConfigurations: {
              outputType: 'CUSTOM', format: 'PARQUET', compression: 'PARQUET', overwrite: 'OVERWRITE_REPORT',
            },
          },
        },
        refreshCadence: { frequency: 'SYNCHRONOUS' },
      },
    });
    // Data Exports checks the bucket policy when the export is created.
    if (policyDependency) this.export.node.addDependency(policyDependency);

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'GenAI FinOps cost reports over the CUR 2.0 export.' },
    });

    // Data Exports writes s3://<bucket>/<prefix>/<export name>/data/BILLING_PERIOD=YYYY-MM/*.parquet
    const dataLocation = `s3://${this.bucket.bucketName}/${prefix}/${exportName}/data`;
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: tableName,
        description: `CUR 2.0 export ${exportName}, partitioned by billing period (projected).`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          'classification': 'parquet',
          'projection.enabled': 'true',
          [`projection.${BILLING_PERIOD_COLUMN}.type`]: 'date',
          [`projection.${BILLING_PERIOD_COLUMN}.format`]: 'yyyy-MM',
          [`projection.${BILLING_PERIOD_COLUMN}.range`]: `${firstBillingPeriod},NOW`,
          [`projection.${BILLING_PERIOD_COLUMN}.interval`]: '1',
          [`projection.${BILLING_PERIOD_COLUMN}.interval.unit`]: 'MONTHS',
          'storage.location.template': `${dataLocation}/BILLING_PERIOD=\${${BILLING_PERIOD_COLUMN}}`,
        },
        partitionKeys: [{ name: BILLING_PERIOD_COLUMN, type: 'string', comment: 'YYYY-MM, the BILLING_PERIOD folder.' }],
        storageDescriptor: {
          location: `${dataLocation}/`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: CUR_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workgroupName,
      description: 'GenAI FinOps cost reports: encrypted results, a per-query scan cutoff.',
      // Deleting the stack deletes the saved queries with the workgroup instead of failing on them.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${results.bucketName}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.namedQueries = {};
    const queries = costReportQueries({ table: `"${databaseName}"."${tableName}"`, tagKeys, monthlyBudgetUsd });
    for (const query of queries) {
      const named = new athena.CfnNamedQuery(this, `Query-${query.id}`, {
        name: query.name,
        description: query.description.slice(0, 1024),
        database: databaseName,
        workGroup: workgroupName,
        queryString: query.sql,
      });
      named.node.addDependency(this.workGroup, this.table);
      this.namedQueries[query.id] = named;
    }
  }

  // The policy Data Exports needs ("Setting up an Amazon S3 bucket for data exports"): both billing service
  // principals may write objects and read the policy, for this account's exports only.
  private allowDataExportsToWrite(): IDependable | undefined {
    const account = Stack.of(this).account;
    const statement = new iam.PolicyStatement({
      sid: 'EnableAWSDataExportsToWriteToS3AndCheckPolicy',
      principals: [new iam.ServicePrincipal('billingreports.amazonaws.com'), new iam.ServicePrincipal('bcm-data-exports.amazonaws.com')],
      actions: ['s3:PutObject', 's3:GetBucketPolicy'],
      resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      conditions: {
        StringLike: {
          'aws:SourceAccount': account,
          'aws:SourceArn': [
            `arn:${Aws.PARTITION}:cur:${DATA_EXPORTS_REGION}:${account}:definition/*`,
            `arn:${Aws.PARTITION}:bcm-data-exports:${DATA_EXPORTS_REGION}:${account}:export/*`,
          ],
        },
      },
    });
    const result = this.bucket.addToResourcePolicy(statement);
    if (!result.statementAdded) {
      Annotations.of(this).addWarningV2('genai-finops:data-exports-bucket-policy',
        `${this.node.path}: the bucket ${this.bucket.bucketName} is imported, so its policy cannot be changed here. `
        + 'Fix: add the Data Exports statement (billingreports.amazonaws.com and bcm-data-exports.amazonaws.com may s3:PutObject and '
        + 's3:GetBucketPolicy, conditioned on aws:SourceAccount and aws:SourceArn) before deploying, or leave bucket out for a new one.');
    }
    if (this.bucket.encryptionKey) {
      Annotations.of(this).addWarningV2('genai-finops:data-exports-kms',
        `${this.node.path}: the bucket is encrypted with a KMS key; Data Exports can only write if the key policy lets `
        + 'bcm-data-exports.amazonaws.com use it. Fix: grant the service the key in its key policy, or use an SSE-S3 bucket (the default).');
    }
    return result.policyDependable;
  }
}

interface ResolvedProps {
  exportName: string; prefix: string; databaseName: string; tableName: string; workgroupName: string;
  cutoff: Size; monthlyBudgetUsd: number; tagKeys: string[]; firstBillingPeriod: string;
}

function validate(scope: Construct, p: ResolvedProps): void {
  const path = scope.node.path;
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
    Annotations.of(scope).addWarningV2('genai-finops:data-exports-region',
      `${path}: the stack's region is not known at synth time; AWS Data Exports is served from ${DATA_EXPORTS_REGION} only, so this `
      + `stack must deploy there. Fix: give the stack env: { region: '${DATA_EXPORTS_REGION}' }.`);
  } else if (region !== DATA_EXPORTS_REGION) {
    throw new Error(`${path}: the stack's region is ${region}, but AWS Data Exports (the CUR 2.0 export) is served from `
      + `${DATA_EXPORTS_REGION} only. Fix: put CostReporting in a stack with env: { region: '${DATA_EXPORTS_REGION}' } `
      + '(its bucket, Glue table and Athena workgroup live there too).');
  }
  const check = (ok: boolean, name: string, value: string, fix: string) => {
    if (!ok) throw new Error(`${path}: ${name} is '${value}'. Fix: ${fix}`);
  };
  const literal = (v: string) => !Token.isUnresolved(v);
  if (literal(p.exportName)) {
    check(/^[0-9A-Za-z!\-_.*'()]{1,128}$/.test(p.exportName), 'exportName', p.exportName,
      "use 1 to 128 letters, digits or ! - _ . * ' ( ), e.g. 'genai-finops-cur2'.");
  }
  if (literal(p.prefix)) {
    check(/^[0-9A-Za-z!\-_.*'()/]{1,512}$/.test(p.prefix), 'prefix', p.prefix, "use a plain key prefix such as 'cur2'.");
  }
  if (literal(p.databaseName)) {
    check(/^[a-z0-9_]{1,255}$/.test(p.databaseName), 'glueDatabaseName', p.databaseName,
      "use lower-case letters, digits and underscores, e.g. 'genai_finops_cost'.");
  }
  if (literal(p.tableName)) {
    check(/^[a-z0-9_]{1,255}$/.test(p.tableName), 'glueTableName', p.tableName, "use lower-case letters, digits and underscores, e.g. 'cur2'.");
  }
  if (literal(p.workgroupName)) {
    check(/^[a-zA-Z0-9._-]{1,128}$/.test(p.workgroupName), 'workgroupName', p.workgroupName,
      "use 1 to 128 letters, digits, '.', '_' or '-', e.g. 'genai-finops-cost'.");
  }
  const bytes = p.cutoff.toBytes();
  if (!Token.isUnresolved(bytes) && bytes < MIN_BYTES_SCANNED_CUTOFF) {
    throw new Error(`${path}: bytesScannedCutoff is ${bytes} bytes, below Athena's minimum of ${MIN_BYTES_SCANNED_CUTOFF} (10 MB). `
      + 'Fix: use at least Size.mebibytes(10), or leave it out for 10 GiB.');
  }
  if (!Number.isFinite(p.monthlyBudgetUsd) || p.monthlyBudgetUsd <= 0) {
    throw new Error(`${path}: monthlyBudgetUsd is ${p.monthlyBudgetUsd}. Fix: use a positive amount in USD, e.g. 500.`);
  }
  if (p.tagKeys.length === 0) {
    throw new Error(`${path}: tagKeys is empty. Fix: list the cost allocation tag keys to report by, or leave it out for the GenAI tag schema's.`);
  }
  for (const key of p.tagKeys) {
    check(/^[A-Za-z0-9 _.:/=+\-@]{1,128}$/.test(key), 'a tag key', key, 'use a tag key of letters, digits, spaces and _ . : / = + - @.');
  }
  check(/^\d{4}-(0[1-9]|1[0-2])$/.test(p.firstBillingPeriod), 'firstBillingPeriod', p.firstBillingPeriod, "use YYYY-MM, e.g. '2024-01'.");
}

// The known keys of CostReportingProps and what each holds (lib/private/prop-check.ts).
const COST_REPORTING_PROP_KINDS = {
  exportName: 'string',
  bucket: 'object',
  prefix: 'string',
  glueDatabaseName: 'string',
  glueTableName: 'string',
  workgroupName: 'string',
  bytesScannedCutoff: 'object',
  monthlyBudgetUsd: 'number',
  tagKeys: 'string[]',
  firstBillingPeriod: 'string',
} as const satisfies PropKinds<CostReportingProps>;
