import { WebhookFormatName } from '../../shared/contract';
import { Alert } from './alert';
import { AlertLinks } from './links';
import { RunbookStep } from './runbook';

/** Everything a message shows. */
export interface MessageContent {
  readonly alert: Alert;
  readonly links: AlertLinks;
  readonly runbook?: RunbookStep;
  /** The cost trend picture: an HTTPS URL the chat application fetches (a presigned S3 URL). */
  readonly chart?: { readonly url: string; readonly expiresAt: string; readonly title: string };
}

/** The request body of the webhook, in its format. */
export function messageBody(format: WebhookFormatName, content: MessageContent): unknown {
  switch (format) {
    case 'slack': return slackMessage(content);
    case 'teams': return teamsMessage(content);
    default: return jsonMessage(content);
  }
}

/** The facts of the alert, as label and value, in the order the messages show them. */
export function factsOf(alert: Alert): Array<[string, string]> {
  const facts: Array<[string, string | undefined]> = [
    ['What fired', kindName(alert)],
    ['State', alert.state],
    ['Application', alert.application],
    ['Feature', alert.feature === '*' ? 'every feature' : alert.feature],
    ['Model', alert.model],
    ['Tenant', alert.tenant],
    ['Current', alert.current],
    ['Threshold', alert.threshold],
    ['At', alert.occurredAt],
  ];
  return facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
}

function kindName(alert: Alert): string {
  return { alarm: 'CloudWatch alarm', budget: 'AWS Budgets', anomaly: 'Cost Anomaly Detection', breaker: 'Circuit breaker', unknown: 'Unrecognised notification' }[alert.kind];
}

// Slack Block Kit through an incoming webhook: header, facts (a section's fields, at most 10), the reason, the chart
// as an image block (Slack fetches image_url: a webhook cannot upload a file), the runbook step, and link buttons.
// https://api.slack.com/reference/block-kit/blocks
function slackMessage({ alert, links, runbook, chart }: MessageContent): unknown {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${alert.recovered ? '✅' : '🚨'} ${alert.title}`, 150), emoji: true } },
    { type: 'section', fields: factsOf(alert).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${escapeSlack(v)}`, 2000) })) },
  ];
  if (alert.detail) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeSlack(alert.detail), 3000) } });
  if (chart) blocks.push({ type: 'image', image_url: chart.url, alt_text: chart.title, title: { type: 'plain_text', text: clip(chart.title, 2000) } });
  if (runbook) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Runbook.* ${escapeSlack(runbook.decide)}\n${escapeSlack(runbook.act)}`, 3000) } });
  }
  blocks.push({ type: 'actions', elements: linkList(links, alert).map(([text, url]) => ({ type: 'button', text: { type: 'plain_text', text }, url })) });
  return { text: clip(alert.title, 3000), blocks };
}

// A Microsoft Teams message with an Adaptive Card, the body Teams' Workflows webhooks (and the retired Office 365
// connectors) accept: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
function teamsMessage({ alert, links, runbook, chart }: MessageContent): unknown {
  const body: unknown[] = [
    { type: 'TextBlock', text: alert.title, weight: 'Bolder', size: 'Medium', wrap: true, color: alert.recovered ? 'Good' : 'Attention' },
    { type: 'FactSet', facts: factsOf(alert).map(([title, value]) => ({ title, value })) },
  ];
  if (alert.detail) body.push({ type: 'TextBlock', text: alert.detail, wrap: true });
  if (chart) body.push({ type: 'Image', url: chart.url, altText: chart.title, size: 'Stretch' });
  if (runbook) body.push({ type: 'TextBlock', text: `**Runbook.** ${runbook.decide}\n\n${runbook.act}`, wrap: true });
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body,
        actions: linkList(links, alert).map(([title, url]) => ({ type: 'Action.OpenUrl', title, url })),
      },
    }],
  };
}

// The notifier's own JSON for any HTTPS endpoint: every field, nothing rendered.
function jsonMessage({ alert, links, runbook, chart }: MessageContent): unknown {
  return {
    source: 'genai-finops',
    version: 1,
    alert: {
      kind: alert.kind, title: alert.title, state: alert.state, recovered: alert.recovered,
      application: alert.application, feature: alert.feature, model: alert.model, tenant: alert.tenant,
      current: alert.current, threshold: alert.threshold, detail: alert.detail, occurredAt: alert.occurredAt,
      deliveryKey: alert.deliveryKey,
    },
    links: { ...links, ...(alert.sourceLink ? { source: alert.sourceLink } : {}) },
    ...(runbook ? { runbook } : {}),
    ...(chart ? { chart } : {}),
  };
}

function linkList(links: AlertLinks, alert: Alert): Array<[string, string]> {
  return [
    ...(links.dashboard ? [['Dashboard', links.dashboard] as [string, string]] : []),
    ['Cost Explorer', links.costExplorer] as [string, string],
    ...(alert.sourceLink ? [['Anomaly details', alert.sourceLink] as [string, string]] : []),
  ];
}

// Slack's mrkdwn treats &, < and > as control characters.
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
