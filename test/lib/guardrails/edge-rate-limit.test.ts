import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { ApiWorkflow } from '../../../lib';
import { EdgeRateLimit, EdgeRateLimitProps, EdgeRateLimitWindow } from '../../../lib/guardrails/edge-rate-limit';
import { createTestStack } from '../../support/test-app';

function edgeOf(props: EdgeRateLimitProps = {}) {
  const stack = createTestStack();
  const edge = new EdgeRateLimit(stack, 'Edge', props);
  return { stack, edge, template: Template.fromStack(stack) };
}

// The rule ids acknowledged anywhere under a construct (Validations records them as construct metadata).
function acknowledgedRules(scope: IConstruct): string {
  return JSON.stringify(scope.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data)));
}

function apiWithEdge(props: EdgeRateLimitProps = {}) {
  const stack = createTestStack();
  const edge = new EdgeRateLimit(stack, 'Edge', props);
  const api = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, edgeRateLimit: edge });
  return { stack, edge, api, template: Template.fromStack(stack) };
}

describe('EdgeRateLimit', () => {
  test('is a regional web ACL that allows by default and blocks a client IP over 300 requests in 5 minutes with 429', () => {
    edgeOf().template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [{
        Name: 'RateLimitPerClientIp',
        Priority: 0,
        Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
        Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 300, EvaluationWindowSec: 300 } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.stringLikeRegexp('-per-ip$') },
      }],
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.stringLikeRegexp('^genai-') },
    });
  });

  test('takes the limit and the evaluation window from props', () => {
    const { template, edge } = edgeOf({ limit: 50, evaluationWindow: EdgeRateLimitWindow.ONE_MINUTE });
    const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL')) as any[];
    expect(acl.Properties.Rules[0].Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: 50, EvaluationWindowSec: 60 });
    expect([edge.limit, edge.evaluationWindowSeconds]).toEqual([50, 60]);
  });

  test('writes no request logs by default, and to an aws-waf-logs- group with logging', () => {
    edgeOf().template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    const { template, stack, edge } = edgeOf({ logging: true });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-TestStack-'), RetentionInDays: 30 });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: stack.resolve(edge.webAcl.attrArn),
      LogDestinationConfigs: [stack.resolve(edge.logGroup!.logGroupArn)],
    });
  });

  test('an API workflow has no web ACL by default', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(acknowledgedRules(stack)).toMatch(/AwsSolutions-APIG3/);
  });

  test('with edgeRateLimit, the API stage is associated with the web ACL and needs no APIG3 acknowledgement', () => {
    const { template, stack, edge, api } = apiWithEdge();
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: stack.resolve(api.api.deploymentStage.stageArn),
      WebACLArn: stack.resolve(edge.webAcl.attrArn),
    });
    // Synthesis (above) ran cdk-nag: APIG3 passed on its own, not by an acknowledgement.
    expect(acknowledgedRules(stack)).not.toMatch(/APIG3/);
    expect(acknowledgedRules(stack)).toMatch(/AwsSolutions-COG4/);
  });

  test('one web ACL serves several APIs of the stack', () => {
    const stack = createTestStack();
    const edge = new EdgeRateLimit(stack, 'Edge');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, edgeRateLimit: edge });
    new ApiWorkflow(stack, 'Search', { tags: { feature: 'search' }, edgeRateLimit: edge, cloudWatchRole: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 2);
  });

  test('fails when the limit is below WAF\'s minimum of 10 or not whole', () => {
    expect(() => edgeOf({ limit: 9 })).toThrow(/TestStack\/Edge: limit is 9; AWS WAF accepts whole numbers from 10 to 2000000000 requests per window\. Fix:/);
    expect(() => edgeOf({ limit: 12.5 })).toThrow(/limit is 12\.5/);
  });

  test('fails when the evaluation window is not one WAF accepts', () => {
    expect(() => edgeOf({ evaluationWindow: 90 as EdgeRateLimitWindow })).toThrow(/TestStack\/Edge: evaluationWindow is 90 seconds; AWS WAF accepts 60, 120, 300 or 600/);
  });

  test('fails when a stage is associated twice', () => {
    const { stack, api } = (() => {
      const s = createTestStack();
      const e = new EdgeRateLimit(s, 'Edge');
      return { stack: s, api: new ApiWorkflow(s, 'Chat', { tags: { feature: 'support-chat' }, edgeRateLimit: e }) };
    })();
    const other = new EdgeRateLimit(stack, 'Other');
    expect(() => other.associate(api.api.deploymentStage)).toThrow(/TestStack\/Other: stage TestStack\/Chat\/Resource\/DeploymentStage\.v1 already has a web ACL/);
  });

  test('matches the snapshot', () => {
    expect(edgeOf({ logging: true }).template.toJSON()).toMatchSnapshot();
  });
});
