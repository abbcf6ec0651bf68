/**
 * Functions → their tables, evaluated with the IAM policy simulator over a synthesized template's identity policies:
 * each table a function's environment names, the function may make the calls its runtime makes on it (and nothing
 * the test lists as unneeded); a table its environment does not name, it may not touch.
 *
 * Where a table is named (the path of its name in the environment, `*` for any prefix) says what the runtime does
 * with it; a name found elsewhere fails the test until it is added here, with the calls of the code that reads it.
 */
import { evaluateAccess } from '../../lib/finops-checks/policy-evaluator';
import { environmentOf, identityPoliciesOf } from '../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../lib/finops-checks/template-resolver';
import { simulate } from './policy-simulator';

const TABLE_USES: ReadonlyArray<{ path: RegExp; calls: string[]; runtime: string }> = [
  { path: /^GENAI_BREAKER_CONFIG\.tableName$/, calls: ['dynamodb:UpdateItem', 'dynamodb:PutItem'], runtime: 'lambda/breaker/state-store.ts (TransactWriteItems of an Update and a Put)' },
  { path: /\.guards\.breaker\.tableName$/, calls: ['dynamodb:BatchGetItem'], runtime: 'lambda/breaker/state-store.ts (the guard reads states)' },
  { path: /\.guards\.ledgerTableName$/, calls: ['dynamodb:UpdateItem'], runtime: 'lambda/pipeline/guards/ledger-protocol.ts (UpdateItem)' },
  { path: /\.responseCache\.tableName$/, calls: ['dynamodb:GetItem', 'dynamodb:PutItem'], runtime: 'lambda/pipeline/stages/response-cache.ts' },
  { path: /\.embedding(?:Cache)?\.tableName$/, calls: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'], runtime: 'lambda/pipeline/embedding-cache.ts' },
  { path: /^GENAI_NOTIFIER_CONFIG\.claimsTable$/, calls: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], runtime: 'lambda/notifier/delivery-claims.ts (claim, read, mark posted, release)' },
  { path: /^RESULTS_TABLE$/, calls: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], runtime: 'lambda/runtime/document-claims.ts' },
];
/** Calls no function of the library makes on any table: each must be refused everywhere. */
const NEVER = ['dynamodb:DeleteTable', 'dynamodb:Scan'];
/** What a function may not do on a table its environment does not name. */
const UNNAMED = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'];

/** One line per (function, table, call): `<function> <call> <table>: <decision>`, with the expected decision. */
export async function tableAccess(template: any): Promise<{ actual: string[]; expected: string[]; unknownPaths: string[] }> {
  const r = templateResolver(template, environmentOf(template));
  const resources = template.Resources as Record<string, any>;
  const tables = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::DynamoDB::Table');
  const tableByName = new Map(tables.map((id) => [r.refOf(id), id]));
  const actual: string[] = [];
  const expected: string[] = [];
  const unknownPaths: string[] = [];
  for (const [fnId, fn] of Object.entries(resources)) {
    if (fn.Type !== 'AWS::Lambda::Function') continue;
    const roleId = r.logicalIdOf(fn.Properties?.Role);
    if (!roleId) continue;
    const named = new Map<string, string[]>();
    for (const [key, value] of Object.entries(fn.Properties?.Environment?.Variables ?? {})) {
      const text = String(r.resolve(value));
      let parsed: unknown = text;
      try { parsed = JSON.parse(text); } catch { /* a plain string */ }
      for (const [path, table] of tableNames(parsed, key, tableByName)) {
        const use = TABLE_USES.find((u) => u.path.test(path));
        if (!use) unknownPaths.push(`${fnId}: ${path}`);
        named.set(table, [...(named.get(table) ?? []), ...(use?.calls ?? [])]);
      }
    }
    const identityPolicies = identityPoliciesOf(r, template, roleId);
    for (const table of tables) {
      const calls = named.get(table);
      const asks = [...(calls ?? UNNAMED), ...NEVER];
      for (const action of asks) {
        const request = { principal: r.refOf(roleId, 'Arn'), action, resource: r.refOf(table, 'Arn'), resourceAccount: r.env.account, context: { 'aws:SecureTransport': 'true' } };
        const decision = await simulate(request, { identityPolicies });
        const evaluated = evaluateAccess(request, { identityPolicies });
        const allowed = calls !== undefined && !NEVER.includes(action);
        actual.push(`${fnId} ${action} ${table}: ${decision}${evaluated === decision ? '' : ` (evaluator: ${evaluated})`}`);
        expected.push(`${fnId} ${action} ${table}: ${allowed ? 'Allowed' : 'ImplicitlyDenied'}`);
      }
    }
  }
  return { actual, expected, unknownPaths };
}

/** Asserts {@link tableAccess}: every call allowed or refused as it should be, and no table named where unknown. */
export async function expectTableAccessHolds(template: any): Promise<void> {
  const { actual, expected, unknownPaths } = await tableAccess(template);
  expect(unknownPaths).toEqual([]);
  expect(actual).toEqual(expected);
  expect(actual.length).toBeGreaterThan(0);
}

function tableNames(value: unknown, path: string, tableByName: Map<string, string>): Array<[string, string]> {
  if (typeof value === 'string') return tableByName.has(value) ? [[path, tableByName.get(value)!]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => tableNames(v, `${path}.${i}`, tableByName));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => tableNames(v, `${path}.${k}`, tableByName));
  return [];
}
