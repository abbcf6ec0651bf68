import { TAG_KEY } from '../../shared/contract';
import { Alert } from './alert';

/** The console pages a message links to. */
export interface AlertLinks {
  readonly dashboard?: string;
  readonly costExplorer: string;
}

/**
 * Links to the CloudWatch dashboard and to Cost Explorer filtered by the feature's cost allocation tag (or the
 * application's), grouped by model. Cost Explorer's URL parameters are what its console writes when a filter is
 * chosen; they are not a documented API, so a change there opens Cost Explorer unfiltered, never a wrong page.
 */
export function linksOf(alert: Alert, region: string, dashboardName?: string): AlertLinks {
  const dashboard = dashboardName
    ? `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`
    : undefined;
  const [tagKey, tagValue] = alert.feature && alert.feature !== '*'
    ? [TAG_KEY.feature, alert.feature]
    : alert.application ? [TAG_KEY.application, alert.application] : [undefined, undefined];
  const params = new URLSearchParams({ chartStyle: 'STACK', granularity: 'Daily', historicalRelativeRange: 'LAST_30_DAYS', groupBy: `["TagKey:${TAG_KEY.model}"]` });
  if (tagKey && tagValue) {
    params.set('filter', JSON.stringify([{ dimension: { id: 'TagKey', displayValue: 'Tag' }, operator: 'INCLUDES', values: [{ value: tagValue, displayValue: tagValue }], growableValue: { value: tagKey } }]));
  }
  return { ...(dashboard ? { dashboard } : {}), costExplorer: `https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer?${params.toString()}` };
}
