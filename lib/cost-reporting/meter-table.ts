import { Aws, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkProps, PropKinds } from '../private/prop-check';
import type { CostReporting } from './cost-reporting';
import { METER_COLUMNS, METER_PARTITION_COLUMN, METER_SERDE, meterSerdeParameters } from '../../shared/queries';

/** Props of {@link MeterTable}. */
export interface MeterTableProps {
  /** The cost reporting whose Glue database and Athena workgroup read the table. */
  readonly costReporting: CostReporting;
  /** The bucket the `MeterArchive` writes to (imported by name when the archive is in another stack or Region). */
  readonly bucket: s3.IBucket;
  /**
   * The archive's key prefix.
   * @default 'meter'
   */
  readonly prefix?: string;
  /**
   * The table's name.
   * @default 'meter'
   */
  readonly tableName?: string;
  /**
   * The first day (`YYYY-MM-DD`) partition projection considers.
   * @default '2025-01-01'
   */
  readonly firstDay?: string;
}

/**
 * A Glue table over the `MeterArchive`'s objects (the EMF JSON lines, OpenX JSON SerDe), in the cost reporting's
 * database, so that Athena joins the meter with the bill. Its columns come from `queries/meter.ts`, the module the
 * offline reader (DuckDB) is built from too. Partitioned by delivery day (`dt`, projected: no crawler, no
 * `MSCK REPAIR`).
 */
export class MeterTable extends Construct {
  /** The Glue table. */
  public readonly table: glue.CfnTable;
  /** The table's name. */
  public readonly tableName: string;
  /** The database's name. */
  public readonly databaseName: string;
  /** The bucket it reads. */
  public readonly bucket: s3.IBucket;
  /** The key prefix it reads (without a trailing slash). */
  public readonly prefix: string;

  constructor(scope: Construct, id: string, props: MeterTableProps) {
    super(scope, id);
    checkProps(this, 'MeterTableProps', props, METER_TABLE_PROP_KINDS);
    const prefix = (props.prefix ?? 'meter').replace(/^\/+|\/+$/g, '');
    const tableName = props.tableName ?? 'meter';
    const firstDay = props.firstDay ?? '2025-01-01';
    const path = this.node.path;
    if (!Token.isUnresolved(tableName) && !/^[a-z0-9_]{1,255}$/.test(tableName)) {
      throw new Error(`${path}: tableName is '${tableName}'. Fix: use lower-case letters, digits and underscores, e.g. 'meter'.`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(firstDay) || Number.isNaN(Date.parse(`${firstDay}T00:00:00Z`))) {
      throw new Error(`${path}: firstDay is '${firstDay}'. Fix: use YYYY-MM-DD, e.g. '2025-01-01'.`);
    }
    const databaseName = (props.costReporting.database.databaseInput as glue.CfnDatabase.DatabaseInputProperty).name!;
    this.tableName = tableName;
    this.databaseName = databaseName;
    this.bucket = props.bucket;
    this.prefix = prefix;

    const location = `s3://${props.bucket.bucketName}/${prefix}`;
    this.table = new glue.CfnTable(this, 'Resource', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: tableName,
        description: 'The GenAI pipeline\'s EMF records (one per model call or refusal), partitioned by delivery day (projected).',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          'classification': 'json',
          'compressionType': 'gzip',
          'projection.enabled': 'true',
          [`projection.${METER_PARTITION_COLUMN}.type`]: 'date',
          [`projection.${METER_PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
          [`projection.${METER_PARTITION_COLUMN}.range`]: `${firstDay},NOW`,
          [`projection.${METER_PARTITION_COLUMN}.interval`]: '1',
          [`projection.${METER_PARTITION_COLUMN}.interval.unit`]: 'DAYS',
          'storage.location.template': `${location}/${METER_PARTITION_COLUMN}=\${${METER_PARTITION_COLUMN}}/`,
        },
        partitionKeys: [{ name: METER_PARTITION_COLUMN, type: 'string', comment: 'YYYY-MM-DD, the UTC day Firehose delivered the record.' }],
        storageDescriptor: {
          location: `${location}/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: METER_SERDE, parameters: meterSerdeParameters() },
          columns: METER_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
    });
    this.table.node.addDependency(props.costReporting.database);
  }
}

// The known keys of MeterTableProps and what each holds (lib/private/prop-check.ts).
const METER_TABLE_PROP_KINDS = {
  costReporting: 'object',
  bucket: 'object',
  prefix: 'string',
  tableName: 'string',
  firstDay: 'string',
} as const satisfies PropKinds<MeterTableProps>;
