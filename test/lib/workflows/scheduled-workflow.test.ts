import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BedrockModel, ScheduledWorkflow, ScheduledWorkflowProps } from '../../../lib';
import { createTestStack, expectLeastPrivilegeBedrock, policyStatements, taggableResources, tagValue } from '../../support/test-app';

type Statement = { Action: string[]; Resource: unknown[]; Condition?: any; Effect: string };

/** The statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
function roleStatements(template: Template, rolePrefix: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => String(r.Ref).startsWith(rolePrefix)))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .map((s: any) => ({ ...s, Action: [].concat(s.Action), Resource: [].concat(s.Resource) }));
}

const withAction = (statements: Statement[], action: string) => statements.filter((s) => s.Action.includes(action));
// Intrinsics rendered as text, `${Logical.Attr}` / `${Ref}`, to compare ARNs.
const text = (value: unknown): string => JSON.stringify(value).replace(/\{"Fn::GetAtt":\["([^"]+)","([^"]+)"\]\}/g, '${$1.$2}').replace(/\{"Ref":"([^"]+)"\}/g, '${$1}');
const JOBS = 'arn:",${AWS::Partition},":bedrock:",${AWS::Region},":",${AWS::AccountId},":model-invocation-job/*';

function scheduledTemplate(props: ScheduledWorkflowProps = {}, stack: Stack = createTestStack()): Template {
  new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' }, ...props });
  return Template.fromStack(stack);
}

describe('ScheduledWorkflow', () => {
  test('runs daily at 02:00 UTC by default; EventBridge retries delivering the event once', () => {
    scheduledTemplate().hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  test('Lambda retries a failed run twice within an hour (safe: a retry skips the records already done)', () => {
    const template = scheduledTemplate({ batchInference: false });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^NightlyHandler') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  test('the handler reads back its results, even on demand only, but lists only the records (deferred/ only for a deferring API)', () => {
    const s3Statements = policyStatements(scheduledTemplate({ batchInference: false })).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(withAction(s3Statements, 's3:GetObject').map((s) => text(s.Resource))).toEqual([
      expect.stringContaining('/records/*'), expect.stringContaining('/results/*'),
    ]);
    // Without s3:ListBucket on results/, a missing result reads as 403: the handler treats it as absent.
    expect(withAction(s3Statements, 's3:ListBucket').map((s) => s.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['records/*'] } },
    ]);
  });

  test('the handler only reads the API\'s deferred calls: it can write nothing to the input bucket', () => {
    const template = scheduledTemplate({ batchInference: false });
    const inputBucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('NightlyInputBucket'))!;
    const writes = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete')));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((s) => text(s.Resource).includes(inputBucket))).toEqual([]);
  });

  test('uses the given schedule', () => {
    scheduledTemplate({ schedule: events.Schedule.cron({ minute: '30', hour: '4' }) })
      .hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 4 * * ? *)' });
  });

  test('reads the input prefix, lists only under it, and writes only under the results prefix', () => {
    const template = scheduledTemplate({ inputPrefix: 'chats/', resultsPrefix: 'digests/', batchInference: false });
    const s3Statements = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    const list = s3Statements.find((s) => s.Action.includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['chats/*'] } });
    const read = s3Statements.find((s) => s.Action.includes('s3:GetObject'))!;
    expect(JSON.stringify(read.Resource)).toContain('/chats/*');
    const write = s3Statements.find((s) => s.Action.includes('s3:PutObject'))!;
    expect(write.Action).toEqual(['s3:PutObject']);
    expect(JSON.stringify(write.Resource)).toContain('/digests/*');
    expectLeastPrivilegeBedrock(template);
  });

  test('passes buckets and prefixes to a 15-minute handler', () => {
    scheduledTemplate().hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ INPUT_PREFIX: 'records/', RESULTS_PREFIX: 'results/', INPUT_BUCKET: Match.anyValue(), RESULTS_BUCKET: Match.anyValue() }) },
    });
  });

  test('creates hardened input, results and access-log buckets', () => {
    const template = scheduledTemplate();
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.allResourcesProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  test('accepts existing input and results buckets and then creates none', () => {
    const stack = createTestStack();
    const template = scheduledTemplate({
      existingInputBucket: s3.Bucket.fromBucketName(stack, 'In', 'records-bucket'),
      existingResultsBucket: s3.Bucket.fromBucketName(stack, 'Out', 'results-bucket'),
    }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ INPUT_BUCKET: 'records-bucket', RESULTS_BUCKET: 'results-bucket' }) } });
  });

  test('every taggable resource carries InferenceType batch and the workflow Feature', () => {
    for (const [, resource] of taggableResources(scheduledTemplate())) {
      expect(tagValue(resource, 'InferenceType')).toBe('batch');
      expect(tagValue(resource, 'Feature')).toBe('digest');
    }
  });

  test('fails when the input prefix is inside deferred/, where each record runs as the tenant it names', () => {
    expect(() => scheduledTemplate({ inputPrefix: 'deferred/uploads/' }))
      .toThrow("TestStack/Nightly: inputPrefix is 'deferred/uploads/', inside 'deferred/', where the API writes its deferred calls and each record runs as the tenant it names. Fix: use another prefix, such as 'records/'.");
  });

  test('fails when a prefix contains a wildcard or starts with a slash', () => {
    expect(() => scheduledTemplate({ inputPrefix: 'records/*' })).toThrow(/TestStack\/Nightly: inputPrefix is 'records\/\*'\. Fix: use a literal key prefix/);
    expect(() => scheduledTemplate({ resultsPrefix: '/results/' })).toThrow(/TestStack\/Nightly: resultsPrefix is '\/results\/'/);
  });

  describe('batch inference (on by default)', () => {
    test('a service role only Bedrock can assume, for batch jobs of this account and region', () => {
      const template = scheduledTemplate();
      const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('NightlyBatchServiceRole'))![1] as any;
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'bedrock.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': expect.anything() } },
      }]);
      expect(text(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.ArnLike)).toContain(JOBS);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    test('the service role reads batch/input/, writes batch/output/, lists only those, and invokes only the batch model', () => {
      const statements = roleStatements(scheduledTemplate(), 'NightlyBatchServiceRole');
      expect(statements.map((s) => s.Action)).toEqual([['s3:GetObject'], ['s3:PutObject'], ['s3:ListBucket'], ['bedrock:InvokeModel'], ['bedrock:InvokeModel']]);
      expect(text(statements[0].Resource)).toMatch(/\/batch\/input\/\*"\]\]\}\]$/);
      expect(text(statements[1].Resource)).toMatch(/\/batch\/output\/\*"\]\]\}\]$/);
      expect(statements[2].Condition).toEqual({ StringLike: { 's3:prefix': ['batch/input/*', 'batch/output/*'] } });
      // The default simple tier is Claude Haiku 4.5 through the US cross-region profile: the profile, and the model
      // in the profile's regions only when reached through it.
      expect(text(statements[3].Resource)).toContain(':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(text(statements[4].Resource)).toContain('":bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(text(statements[4].Condition)).toContain(':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0');
    });

    test('the handler creates and reads batch jobs, and passes the service role to Bedrock only', () => {
      const template = scheduledTemplate();
      const statements = roleStatements(template, 'NightlyHandler');
      const [create] = withAction(statements, 'bedrock:CreateModelInvocationJob');
      expect(create.Action).toEqual(['bedrock:CreateModelInvocationJob']);
      expect(create.Resource).toHaveLength(3);
      expect(text(create.Resource)).toContain(':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(text(create.Resource)).toContain('":bedrock:",${AWS::Region},"::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(text(create.Resource)).toContain(JOBS);
      const [get] = withAction(statements, 'bedrock:GetModelInvocationJob');
      expect(get.Action).toEqual(['bedrock:GetModelInvocationJob']);
      expect(text(get.Resource)).toBe(`[{"Fn::Join":["",["${JOBS}"]]}]`);
      // A job whose ARN was never recorded is found by name. ListModelInvocationJobs has no resource type: '*', this
      // region only.
      const list = withAction(statements, 'bedrock:ListModelInvocationJobs');
      expect(list).toEqual([{
        Action: ['bedrock:ListModelInvocationJobs'], Effect: 'Allow', Resource: ['*'],
        Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } },
      }]);
      const [pass] = withAction(statements, 'iam:PassRole');
      expect(pass.Resource).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^NightlyBatchServiceRole/), 'Arn'] }]);
      expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } });
      expect(withAction(policyStatements(template), 'iam:PassRole')).toHaveLength(1);
    });

    test('no Bedrock permission anywhere is bedrock:*, and only ListModelInvocationJobs (which has no resource type) is on Resource \'*\'', () => {
      const bedrock = policyStatements(scheduledTemplate()).filter((s) => s.Action.some((a) => a.startsWith('bedrock:')));
      expect(bedrock.length).toBeGreaterThan(0);
      for (const statement of bedrock) {
        expect(statement.Action.filter((a) => a.includes('*'))).toEqual([]);
        if (statement.Resource.includes('*')) expect(statement).toMatchObject({ Action: ['bedrock:ListModelInvocationJobs'], Resource: ['*'] });
      }
    });

    test('the cdk-nag wildcard finding of the list permission is acknowledged with its reason', () => {
      const stack = createTestStack();
      const workflow = new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' } });
      const acknowledged = workflow.role.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => JSON.stringify(m.data));
      expect(acknowledged.filter((a) => a.includes('AwsSolutions-IAM5[Resource::*]') && a.includes('ListModelInvocationJobs supports no resource-level permission'))).toHaveLength(1);
    });

    test('the handler writes only batch/input/ and reads batch/output/ besides its own prefixes', () => {
      const s3Statements = roleStatements(scheduledTemplate(), 'NightlyHandler').filter((s) => s.Action.some((a) => a.startsWith('s3:')));
      const put = withAction(s3Statements, 's3:PutObject').map((s) => text(s.Resource));
      expect(put).toEqual([expect.stringContaining('/results/*'), expect.stringContaining('/batch/input/*')]);
      const read = withAction(s3Statements, 's3:GetObject').map((s) => text(s.Resource));
      expect(read).toEqual([
        expect.stringContaining('/records/*'), expect.stringContaining('/results/*'), expect.stringContaining('/batch/output/*'),
      ]);
      expect(withAction(s3Statements, 's3:ListBucket').map((s) => s.Condition.StringLike['s3:prefix'])).toEqual([['records/*'], ['batch/output/*'], ['results/*']]);
    });

    test('the handler gets the role, the model, the minimum and a valid job name prefix', () => {
      const fn = Object.values(scheduledTemplate({ batchMinimumRecords: 500 }).findResources('AWS::Lambda::Function'))[0] as any;
      const env = fn.Properties.Environment.Variables;
      expect(env.BATCH_ROLE_ARN).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NightlyBatchServiceRole/), 'Arn'] });
      expect(env.BATCH_MODEL_ID).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(env.BATCH_MIN_RECORDS).toBe('500');
      // Job names are <prefix>-YYYY-MM-DD: at most 63 letters, digits and hyphens.
      expect(env.BATCH_JOB_PREFIX).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,50}[a-zA-Z0-9]$/);
      expect(env.BATCH_JOB_PREFIX).toContain('Nightly');
    });

    test('Bedrock\'s batch job state changes invoke the handler, so results are collected when a job ends', () => {
      scheduledTemplate().hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': ['aws.bedrock'], 'detail-type': ['Batch Inference Job State Change'] },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NightlyHandler'), 'Arn'] }, RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) })],
      });
    });

    test('the job state rule passes on only this workflow\'s jobs: a prefix filter on the job name the handler gives them', () => {
      const template = scheduledTemplate();
      const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
      const prefix = fn.Properties.Environment.Variables.BATCH_JOB_PREFIX;
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'source': ['aws.bedrock'],
          'detail-type': ['Batch Inference Job State Change'],
          'detail': { batchJobName: [{ prefix: `${prefix}-` }] },
        },
      });
    });

    test('the handler may tag the batch jobs it creates, and nothing else', () => {
      const [tag, ...others] = withAction(policyStatements(scheduledTemplate()), 'bedrock:TagResource');
      expect(others).toEqual([]);
      expect(tag.Action).toEqual(['bedrock:TagResource']);
      expect(text(tag.Resource)).toBe(`[{"Fn::Join":["",["${JOBS}"]]}]`);
    });

    test('the handler gets the GenAI tags its jobs carry, InferenceType batch included, and the simple tier\'s model id for jobs and prices', () => {
      const template = scheduledTemplate();
      const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
      const env = fn.Properties.Environment.Variables;
      expect(JSON.parse(env.GENAI_TAGS)).toMatchObject({ Feature: 'digest', InferenceType: 'batch' });
      // Batch jobs run the simple tier's system-defined profile, not its application profile (see the README).
      expect(env.BATCH_MODEL_ID).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(text(env.GENAI_PIPELINE_CONFIG)).toContain('"modelId\\":\\"us.anthropic.claude-haiku-4-5-20251001-v1:0\\"');
    });

    test('a Nova model in the stack\'s region is batched under its regional ARN, with no region wildcard', () => {
      const template = scheduledTemplate({ model: BedrockModel.foundationModel('amazon.nova-lite-v1:0') });
      const invoke = withAction(roleStatements(template, 'NightlyBatchServiceRole'), 'bedrock:InvokeModel');
      expect(invoke).toHaveLength(1);
      expect(text(invoke[0].Resource)).toBe('[{"Fn::Join":["",["arn:",${AWS::Partition},":bedrock:",${AWS::Region},"::foundation-model/amazon.nova-lite-v1:0"]]}]');
      const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
      expect(fn.Properties.Environment.Variables.BATCH_MODEL_ID).toBe('amazon.nova-lite-v1:0');
    });

    test('batchInference: false leaves the workflow on demand: no batch role, rule, rights or settings', () => {
      const template = scheduledTemplate({ batchInference: false });
      expect(Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('NightlyBatch'))).toEqual([]);
      template.resourceCountIs('AWS::Events::Rule', 1);
      expect(policyStatements(template).filter((s) => s.Action.some((a) => a.includes('ModelInvocationJob') || a === 'iam:PassRole'))).toEqual([]);
      const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
      expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => k.startsWith('BATCH_'))).toEqual([]);
      expectLeastPrivilegeBedrock(template);
    });

    test('stays off for a model whose batch records the runtime cannot write', () => {
      const template = scheduledTemplate({ model: BedrockModel.foundationModel('meta.llama3-1-8b-instruct-v1:0') });
      expect(policyStatements(template).filter((s) => s.Action.includes('bedrock:CreateModelInvocationJob'))).toEqual([]);
    });

    test('fails when batchInference is true for a model it cannot batch', () => {
      expect(() => scheduledTemplate({ model: BedrockModel.foundationModel('meta.llama3-1-8b-instruct-v1:0'), batchInference: true }))
        .toThrow("TestStack/Nightly: batchInference is true, but the batch model 'meta.llama3-1-8b-instruct-v1:0' is neither Anthropic Claude nor Amazon Nova, the families whose batch records this library writes. Fix: use a Claude or Nova model for 'model' (or the simple tier of 'routing'), or set batchInference: false.");
    });

    test.each([99, 0, 150.5])('fails when batchMinimumRecords is %p, below Bedrock\'s minimum of 100 or not whole', (value) => {
      expect(() => scheduledTemplate({ batchMinimumRecords: value }))
        .toThrow(`TestStack/Nightly: batchMinimumRecords is ${value}. Fix: use a whole number of at least 100, Bedrock's minimum number of records per batch inference job (100 is the default).`);
    });
  });

  test('matches the snapshot', () => {
    expect(scheduledTemplate().toJSON()).toMatchSnapshot();
  });
});
