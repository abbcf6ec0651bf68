import { alertsOfBody } from '../../../lambda/notifier/alert-events';
import { sampleSnsMessage, snsInSqs } from './fixtures';

// The total spend alarm of GenAiAlarms: one CostUSD series per workflow (and model), added up.
function totalSpendAlarm(): string {
  const message = JSON.parse(sampleSnsMessage('sns-cloudwatch-alarm').message);
  const series = (id: string, feature: string, model: string) => ({
    Id: id, ReturnData: false,
    MetricStat: { Metric: { Namespace: 'GenAI/FinOps', MetricName: 'CostUSD', Dimensions: [{ value: 'customer-support', name: 'Application' }, { value: feature, name: 'Feature' }, { value: model, name: 'Model' }] }, Period: 3600, Stat: 'Sum' },
  });
  message.AlarmName = 'genai-total-spend';
  message.AlarmArn = 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:genai-total-spend';
  message.Trigger.Metrics = [
    { Id: 'expr_1', Expression: '(w0_0) + (w1_0)', Label: 'Total cost per hour', ReturnData: true },
    series('w0_0', 'support-chat', 'anthropic.claude-haiku-4-5-20251001-v1:0'),
    series('w1_0', 'support-search', 'amazon.titan-embed-text-v2:0'),
  ];
  return JSON.stringify(message);
}

describe('alerts of SQS bodies', () => {
  test('a workflow\'s spend alarm names its application and feature, not one of its models', () => {
    const [alert] = alertsOfBody(snsInSqs(sampleSnsMessage('sns-cloudwatch-alarm'), 'm1').body);

    expect(alert).toMatchObject({ kind: 'alarm', application: 'customer-support', feature: 'support-chat', current: '31.42', threshold: '25' });
    expect(alert.model).toBeUndefined();
  });

  test('the total spend alarm names the application and no feature', () => {
    const [alert] = alertsOfBody(snsInSqs({ ...sampleSnsMessage('sns-cloudwatch-alarm'), message: totalSpendAlarm() }, 'm2').body);

    expect(alert).toMatchObject({ kind: 'alarm', application: 'customer-support' });
    expect(alert.feature).toBeUndefined();
  });

  test('a body that is not an SNS notification becomes an unknown alert rather than being dropped', () => {
    const [alert] = alertsOfBody('{"hello": "world"}');

    expect(alert).toMatchObject({ kind: 'unknown', recovered: false });
    expect(alert.deliveryKey).toMatch(/^unknown#[0-9a-f]{32}$/);
  });
});
