import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { GuardEventDimension, LEDGER_TABLE, METRIC, METRIC_NAMESPACE } from '../../shared/contract';
import { acknowledgeWildcardAction } from '../private/nag-acknowledgements';
import { checkProps, PropKinds } from '../private/prop-check';
import { createStateTable } from '../private/state-table';

/**
 * A usage ledger workflows can count their limits in (`usageLedger` on a workflow): its table, the tenant tiers the
 * workflows write into their configuration, and the grant their handlers need. Implemented by {@link UsageLedger},
 * and by `UsageLedger.fromTable` for a ledger table that already exists (another stack's, say).
 */
export interface IUsageLedger extends IConstruct {
  /** The ledger table: partition key `pk` (string), TTL attribute `expiresAt`. */
  readonly table: dynamodb.ITable;
  /** The tier of each tenant. */
  readonly tenantTiers: { readonly [tenantId: string]: string };
  /** The tier of tenants not in {@link tenantTiers}. */
  readonly defaultTenantTier?: string;
  /** Allows reserving and settling usage: UpdateItem and PutItem on the ledger table (and its key, if a customer managed one). */
  grantReserveAndSettle(grantee: iam.IGrantable): iam.Grant;
}

/** Options of {@link UsageLedger.fromTable}: the tiers, which live in each workflow's configuration, not in the table. */
export interface UsageLedgerFromTableOptions {
  /**
   * The tier of each tenant (see {@link UsageLedgerProps.tenantTiers}). Give the same tiers as the stack that owns
   * the table, or the two count the same tenant against different limits.
   * @default - no tenant has a tier of its own
   */
  readonly tenantTiers?: { [tenantId: string]: string };
  /**
   * The tier of tenants not in `tenantTiers`.
   * @default - tenants not listed get only the limits without a tier
   */
  readonly defaultTenantTier?: string;
}

/** Properties of a {@link UsageLedger}. */
export interface UsageLedgerProps {
  /**
   * The tier of each tenant, for usage limits with a `tier` (e.g. `UsageLimits.articleDefaults()`). Keys are the
   * tenant ids the workflow sees: `key:<API key id>` for API-key callers, `authorizer:<tenantId>` from an
   * authorizer, `iam:<tenantId>` for IAM callers. Written into each workflow's configuration (Lambda's 4 KB
   * environment), so keep it to a few dozen tenants.
   * @default - no tenant has a tier of its own
   */
  readonly tenantTiers?: { [tenantId: string]: string };
  /**
   * The tier of tenants not in `tenantTiers`. Set it to the smallest tier (`'startup'` with the article's
   * defaults), so a new tenant is never unlimited.
   * @default - tenants not listed get only the limits without a tier
   */
  readonly defaultTenantTier?: string;
  /**
   * What happens to the table when it leaves the stack. The ledger is the record of what tenants used this month.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What a tenant tier may be called (it is part of the ledger's keys and the environment). */
export const TIER_NAME = /^[A-Za-z0-9._-]{1,64}$/;
// What the tiers may take of the function's 4 KB environment, beside the rest of the configuration.
const MAX_TIERS_JSON_CHARS = 1500;

/**
 * A shared usage ledger: the DynamoDB table workflows count their usage limits in, exactly across every Lambda
 * container and every workflow given the same ledger (`usageLedger` on a workflow).
 *
 * One item per scope, id and calendar window (`<scope>#<id>#<window>`, sharded as `#<n>` when a limit asks for
 * it) holds requests, tokens, cache-read tokens and exact attodollars; a reservation is a conditional update that
 * never lets a counter pass its limit, a settlement one conditional update per counter, applied once. Items expire by TTL
 * a day after their window: nothing resets counters.
 *
 * Default settings: on-demand capacity, point-in-time recovery, encrypted at rest with the AWS managed key
 * (`aws/dynamodb`), TTL on `expiresAt`, retained on stack deletion.
 */
export class UsageLedger extends Construct implements IUsageLedger {
  /**
   * A usage ledger over a table that already exists, e.g. another stack's `UsageLedger` table:
   * `dynamodb.Table.fromTableAttributes(this, 'LedgerTable', { tableArn, encryptionKey })` (give `encryptionKey` when
   * the table is encrypted with a customer managed key: the grant then covers the key). The table must have the
   * ledger's key schema (partition key `pk`, string) and TTL on `expiresAt`. Nothing is created; the table's
   * backups, retention and tags stay its owner's.
   */
  public static fromTable(scope: Construct, id: string, table: dynamodb.ITable, options: UsageLedgerFromTableOptions = {}): IUsageLedger {
    return new ImportedUsageLedger(scope, id, table, options);
  }

  /** The ledger table. */
  public readonly table: dynamodb.ITable;
  /** The tier of each tenant. */
  public readonly tenantTiers: { readonly [tenantId: string]: string };
  /** The tier of tenants not in {@link tenantTiers}. */
  public readonly defaultTenantTier?: string;

  constructor(scope: Construct, id: string, props: UsageLedgerProps = {}) {
    super(scope, id);
    checkProps(this, 'UsageLedgerProps', props, USAGE_LEDGER_PROP_KINDS);
    this.tenantTiers = validatedTiers(this, props);
    this.defaultTenantTier = props.defaultTenantTier;

    this.table = createStateTable(this, 'Resource', LEDGER_TABLE, props.removalPolicy ?? RemovalPolicy.RETAIN);
  }

  /**
   * Allows reserving and settling usage: `dynamodb:UpdateItem` (reservations, withdrawals, expiry sweeps,
   * settlements, and reading a batch job's hold back) and `dynamodb:PutItem` (a batch job's hold document, an agent
   * run's link), on the ledger table only. No read, scan or
   * delete: the updates return what the guard needs.
   */
  public grantReserveAndSettle(grantee: iam.IGrantable): iam.Grant {
    return grantReserveAndSettle(this.table, grantee);
  }

  /**
   * Requests let through on a per-container count because the ledger could not be reached (`GuardFailOpen`),
   * for an application. Sum over 5 minutes.
   */
  public metricFailOpen(application: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.guardMetric(METRIC.guardFailOpen, application, props);
  }

  /** Requests refused with 503 because the ledger could not be reached (`GuardFailClosed`). Sum over 5 minutes. */
  public metricFailClosed(application: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.guardMetric(METRIC.guardFailClosed, application, props);
  }

  /**
   * Reservations never settled (their Lambda died) given back to the ledger once they expired (`GuardHoldsExpired`).
   * Sum over 5 minutes.
   */
  public metricHoldsExpired(application: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.guardMetric(METRIC.guardHoldsExpired, application, props);
  }

  /**
   * Container allowances (`allowanceSeconds`) their container never settled, which stay counted: the most the
   * ledger over-counts by (`GuardAllowancesExpired`). Sum over 5 minutes.
   */
  public metricAllowancesExpired(application: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.guardMetric(METRIC.guardAllowancesExpired, application, props);
  }

  private guardMetric(metricName: string, application: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    // Exactly the dimensions the runtime writes guard events with (GUARD_EVENT_DIMENSIONS): one more or less and
    // the metric would read a series nobody writes.
    const dimensionsMap: Record<GuardEventDimension, string> = { Application: application };
    return new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap, statistic: 'Sum', ...props });
  }
}

class ImportedUsageLedger extends Construct implements IUsageLedger {
  public readonly tenantTiers: { readonly [tenantId: string]: string };
  public readonly defaultTenantTier?: string;

  constructor(scope: Construct, id: string, public readonly table: dynamodb.ITable, options: UsageLedgerFromTableOptions) {
    super(scope, id);
    checkProps(this, 'UsageLedgerFromTableOptions', options, USAGE_LEDGER_FROM_TABLE_OPTION_KINDS);
    this.tenantTiers = validatedTiers(this, options);
    this.defaultTenantTier = options.defaultTenantTier;
  }

  public grantReserveAndSettle(grantee: iam.IGrantable): iam.Grant {
    return grantReserveAndSettle(this.table, grantee);
  }
}

/**
 * UpdateItem and PutItem on the table; with a customer managed key, the key as well, as aws-dynamodb's
 * `grantWriteData` gives it (DynamoDB uses the key on the caller's behalf, so the caller needs it).
 */
function grantReserveAndSettle(table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant {
  const grant = table.grant(grantee, 'dynamodb:UpdateItem', 'dynamodb:PutItem');
  if (table.encryptionKey) {
    table.encryptionKey.grantEncryptDecrypt(grantee);
    const principal = grantee.grantPrincipal as unknown as IConstruct;
    if (principal.node !== undefined) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledgeWildcardAction(principal, action, 'DynamoDB encrypts and decrypts the usage ledger\'s items with its customer managed key on the caller\'s behalf; the grant is on that key only.');
      }
    }
  }
  return grant;
}

/** The tiers, checked: tier names the runtime can key on, tenants a caller can be, and room in the environment. */
function validatedTiers(scope: IConstruct, options: UsageLedgerFromTableOptions): { readonly [tenantId: string]: string } {
  const tiers = { ...(options.tenantTiers ?? {}) };
  for (const [tenant, tier] of Object.entries(tiers)) {
    if (Token.isUnresolved(tenant) || Token.isUnresolved(tier)) continue;
    if (!TIER_NAME.test(tier)) {
      throw new Error(`${scope.node.path}: tenantTiers['${tenant}'] is ${JSON.stringify(tier)}. Fix: use a tier name of 1 to 64 letters, digits or . _ -, e.g. 'enterprise'.`);
    }
    if (!/^(key|authorizer|iam):./.test(tenant)) {
      throw new Error(`${scope.node.path}: tenantTiers has the tenant '${tenant}', which no caller can be. Fix: prefix the id with where it comes from: 'key:<API key id>', 'authorizer:<tenantId>' or 'iam:<tenantId>'.`);
    }
  }
  if (options.defaultTenantTier !== undefined && !Token.isUnresolved(options.defaultTenantTier) && !TIER_NAME.test(options.defaultTenantTier)) {
    throw new Error(`${scope.node.path}: defaultTenantTier is ${JSON.stringify(options.defaultTenantTier)}. Fix: use a tier name of 1 to 64 letters, digits or . _ -, e.g. 'startup'.`);
  }
  const tiersJson = JSON.stringify(tiers).length;
  if (tiersJson > MAX_TIERS_JSON_CHARS) {
    throw new Error(`${scope.node.path}: tenantTiers takes ${tiersJson} characters; at most ${MAX_TIERS_JSON_CHARS} fit beside the rest of a workflow's configuration in Lambda's 4 KB environment. Fix: list only the tenants above the default tier and set defaultTenantTier for the rest.`);
  }
  return tiers;
}

// The known keys of UsageLedgerFromTableOptions and what each holds (lib/private/prop-check.ts).
const USAGE_LEDGER_FROM_TABLE_OPTION_KINDS = { tenantTiers: 'string-map', defaultTenantTier: 'string' } as const satisfies PropKinds<UsageLedgerFromTableOptions>;

// The known keys of UsageLedgerProps and what each holds (lib/private/prop-check.ts).
const USAGE_LEDGER_PROP_KINDS = { tenantTiers: 'string-map', defaultTenantTier: 'string', removalPolicy: 'string' } as const satisfies PropKinds<UsageLedgerProps>;
