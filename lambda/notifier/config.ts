import { NOTIFIER_CONFIG_ENV, NotifierConfig, WEBHOOK_FORMATS } from '../../shared/contract';

/** The notifier's configuration from its environment; throws naming what is missing (a deployment defect). */
export function readNotifierConfig(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const text = env[NOTIFIER_CONFIG_ENV];
  if (!text) throw new Error(`${NOTIFIER_CONFIG_ENV} is not set: the AlertDelivery construct writes it.`);
  const config = JSON.parse(text) as NotifierConfig;
  for (const key of ['webhookSecretArn', 'claimsTable', 'imageBucket'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '') throw new Error(`${NOTIFIER_CONFIG_ENV} has no ${key}.`);
  }
  if (!WEBHOOK_FORMATS.includes(config.format)) throw new Error(`${NOTIFIER_CONFIG_ENV} has format '${config.format}', not one of ${WEBHOOK_FORMATS.join(', ')}.`);
  return config;
}
