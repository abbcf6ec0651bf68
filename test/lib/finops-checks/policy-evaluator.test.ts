import { AccessPolicies, AccessRequest, evaluateAccess } from '../../../lib/finops-checks/policy-evaluator';
import { simulate } from '../../support/policy-simulator';

const ACCOUNT = '123456789012';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`;
const ALARM = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:spend`;
const publish = (context: Record<string, string>, principal = 'cloudwatch.amazonaws.com'): AccessRequest => ({
  principal, action: 'sns:Publish', resource: TOPIC, resourceAccount: ACCOUNT, context,
});
const topicPolicy = (...statements: Array<Record<string, unknown>>): AccessPolicies => ({ resourcePolicy: { Version: '2012-10-17', Statement: statements } });
const allowAlarms = (condition: Record<string, unknown>) => ({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: TOPIC, Condition: condition });
const TLS = { 'aws:SecureTransport': 'true' };
const SOURCE = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': ALARM, ...TLS };

/**
 * The library's evaluator against the simulator, on the statement shapes and condition operators it claims to
 * support, each with a request it must allow or refuse. (The templates' own requests are compared in each construct
 * test and in the example app test.)
 */
describe('the library\'s policy evaluator decides as the IAM policy simulator does', () => {
  test.each<[string, AccessRequest, AccessPolicies, string]>([
    ['a service allowed by StringEquals and ArnLike', publish(SOURCE), topicPolicy(allowAlarms({ StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } })), 'Allowed'],
    ['the same without aws:SourceArn in the request', publish({ 'aws:SourceAccount': ACCOUNT, ...TLS }), topicPolicy(allowAlarms({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } })), 'ImplicitlyDenied'],
    ['another service', publish(SOURCE, 'events.amazonaws.com'), topicPolicy(allowAlarms({ StringEquals: { 'aws:SourceAccount': ACCOUNT } })), 'ImplicitlyDenied'],
    ['a TLS deny for everyone (AWS: *) against a request without TLS', publish({ ...SOURCE, 'aws:SecureTransport': 'false' }),
      topicPolicy(allowAlarms({}), { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: TOPIC, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), 'ExplicitlyDenied'],
    ['StringNotEquals holds when the key is absent', publish(TLS),
      topicPolicy(allowAlarms({}), { Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: TOPIC, Condition: { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } } }), 'ExplicitlyDenied'],
    ['StringEqualsIfExists holds when the key is absent', publish(TLS), topicPolicy(allowAlarms({ StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT } })), 'Allowed'],
    ['Null: true asks for an absent key', publish(SOURCE), topicPolicy(allowAlarms({ Null: { 'aws:SourceArn': 'true' } })), 'ImplicitlyDenied'],
    ['condition keys are case-insensitive (Lambda writes AWS:SourceArn)', publish(SOURCE), topicPolicy(allowAlarms({ ArnLike: { 'AWS:SourceArn': ALARM } })), 'Allowed'],
    ['NotAction', publish(SOURCE), topicPolicy({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, NotAction: 'sns:DeleteTopic', Resource: TOPIC }), 'Allowed'],
    ['NotResource', publish(SOURCE), topicPolicy({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', NotResource: TOPIC }), 'ImplicitlyDenied'],
    ['an action wildcard, matched case-insensitively', publish(SOURCE), topicPolicy({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'SNS:Pub*', Resource: TOPIC }), 'Allowed'],
    ['an account root principal does not admit a service', publish(SOURCE), topicPolicy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sns:Publish', Resource: TOPIC }), 'ImplicitlyDenied'],
    ['a role allowed by its identity policy, same account',
      { principal: `arn:aws:iam::${ACCOUNT}:role/fn`, action: 'dynamodb:UpdateItem', resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger`, resourceAccount: ACCOUNT, context: TLS },
      { identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger` }] }] }, 'Allowed'],
    ['a key whose policy does not delegate to the account ignores identity policies',
      { principal: `arn:aws:iam::${ACCOUNT}:role/fn`, action: 'kms:Decrypt', resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`, resourceAccount: ACCOUNT, context: TLS },
      {
        resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' }] },
        identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] }],
      }, 'ImplicitlyDenied'],
    ['an IAM action limited by iam:PolicyARN',
      { principal: `arn:aws:iam::${ACCOUNT}:role/budgets`, action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/batch`, resourceAccount: ACCOUNT, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } },
      { identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:AttachRolePolicy', Resource: `arn:aws:iam::${ACCOUNT}:role/batch`, Condition: { ArnEquals: { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/deny` } } }] }] }, 'ImplicitlyDenied'],
  ])('%s', async (_case, request, policies, expected) => {
    const simulated = await simulate(request, policies);
    expect(simulated).toBe(expected);
    expect(evaluateAccess(request, policies)).toBe(simulated);
  });

  test('what it does not know never allows: an unsupported operator lets no Allow apply, and lets every Deny apply', () => {
    const unknown = { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } };
    expect(evaluateAccess(publish(SOURCE), topicPolicy(allowAlarms(unknown)))).toBe('ImplicitlyDenied');
    expect(evaluateAccess(publish(SOURCE), topicPolicy(allowAlarms({}), { Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: TOPIC, Condition: unknown }))).toBe('ExplicitlyDenied');
  });
});
