import { asTemplate, findFunction, resolveFunction, tableInput, TemplateResolver } from '../../../packages/local/src/template';

const HASH = 'ab'.repeat(32);
const TEMPLATE = asTemplate({
  Resources: {
    ChatHandlerD3C7: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:cdk:path': 'Stack/Chat/Handler/Resource/Resource' },
      Properties: {
        Handler: 'index.handler', MemorySize: 256, Timeout: 60,
        Code: { S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' }, S3Key: `${HASH}.zip` },
        Environment: { Variables: { CONFIG: { 'Fn::Join': ['', ['{"table":"', { Ref: 'Ledger1' }, '"}']] }, PLAIN: 'x', N: 3 } },
      },
    },
    Other: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'other-fn', Handler: 'app.main', Code: { ZipFile: 'exports.main = 1' } } },
    Ledger1: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        BillingMode: 'PROVISIONED',
      },
    },
  },
}, 'test');

describe('findFunction', () => {
  test.each(['ChatHandlerD3C7', 'Stack/Chat/Handler/Resource/Resource', 'Stack/Chat/Handler', 'Chat/Handler', 'Chat/Handler/Resource', 'Chat/Handler/'])('finds the function by %s', (id) => {
    expect(findFunction(TEMPLATE, id, 't.json').logicalId).toBe('ChatHandlerD3C7');
  });

  test('fails on an unknown id, listing the functions with their construct paths', () => {
    expect(() => findFunction(TEMPLATE, 'Chat', 't.json'))
      .toThrow("t.json has no function 'Chat'. Its functions: ChatHandlerD3C7 (Stack/Chat/Handler/Resource/Resource), Other.");
  });

  test('fails on a resource that is not a function, saying what it is', () => {
    expect(() => findFunction(TEMPLATE, 'Ledger1', 't.json')).toThrow(/Ledger1 in t\.json is a AWS::DynamoDB::Table, not a Lambda function\. Its functions: ChatHandlerD3C7/);
  });
});

describe('resolveFunction', () => {
  test('resolves the environment to strings and records the resources it refers to, and the asset of the code', () => {
    const resolver = new TemplateResolver(TEMPLATE);
    const fn = resolveFunction(resolver, findFunction(TEMPLATE, 'ChatHandlerD3C7', 't.json'));
    expect(fn).toMatchObject({
      functionName: 'ChatHandlerD3C7', handler: 'index.handler', memorySize: 256, timeoutSeconds: 60, assetHash: HASH,
      environment: { CONFIG: '{"table":"Ledger1"}', PLAIN: 'x', N: '3' },
      referenced: ['Ledger1'],
    });
  });

  test('a function with inline code has no asset, and its name is its FunctionName', () => {
    const fn = resolveFunction(new TemplateResolver(TEMPLATE), findFunction(TEMPLATE, 'Other', 't.json'));
    expect(fn.assetHash).toBeUndefined();
    expect(fn.functionName).toBe('other-fn');
  });
});

describe('tableInput', () => {
  test('creates the table with the key schema and indexes the template declares, on demand, without time to live', () => {
    expect(tableInput(new TemplateResolver(TEMPLATE), 'Ledger1')).toEqual({
      TableName: 'Ledger1',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    });
  });
});

describe('resolveFunction with a shared resolver', () => {
  test('each function lists the resources its own environment refers to, also those resolved before', () => {
    const resolver = new TemplateResolver(TEMPLATE);
    resolver.resolve({ Ref: 'Ledger1' });
    const fn = resolveFunction(resolver, findFunction(TEMPLATE, 'ChatHandlerD3C7', 't.json'));
    expect(fn.referenced).toEqual(['Ledger1']);
    expect(resolveFunction(resolver, findFunction(TEMPLATE, 'ChatHandlerD3C7', 't.json')).referenced).toEqual(['Ledger1']);
  });
});
