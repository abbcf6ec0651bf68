export type { AlertDeliveryProps } from './alert-delivery';
export { AlertDelivery, WebhookFormat } from './alert-delivery';
