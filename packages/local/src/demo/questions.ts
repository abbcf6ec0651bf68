/**
 * What customers ask a support bot, in three classes that match the article's hybrid-routing split:
 * simple (FAQ-like, ~70%), medium (explanations, how-to, comparisons, ~25%) and complex (multi-step analysis, ~5%).
 * Templates have slots filled from small value lists, so the same question comes in realistic variants.
 */
import type { ModelTier } from '../../../../shared/contract';
import type { Topic } from './knowledge-base';
import type { Random } from './random';

/** The class of a message, named like the routing tier it is meant for. */
export type MessageClass = ModelTier;

/** A question template. */
export interface QuestionTemplate {
  readonly topic: Topic;
  readonly text: string;
}

const SLOTS: Readonly<Record<string, ReadonlyArray<string>>> = {
  plan: ['Free', 'Team', 'Business'],
  paidPlan: ['Team', 'Business', 'Enterprise'],
  month: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  idp: ['Okta', 'Microsoft Entra ID', 'Google Workspace', 'OneLogin'],
  integration: ['Slack', 'Salesforce', 'Zendesk', 'Jira'],
  platform: ['iPhone', 'Android phone', 'iPad'],
  format: ['CSV', 'JSON', 'PDF'],
  region: ['EU', 'UK', 'Australia', 'Canada'],
  seats: ['8', '15', '25', '40', '120', '300'],
  moreSeats: ['60', '90', '150', '400', '650'],
};

/** FAQ-like questions: short, no request for analysis. */
export const SIMPLE_QUESTIONS: ReadonlyArray<QuestionTemplate> = [
  { topic: 'password', text: 'Hello' },
  { topic: 'password', text: 'How do I reset my password?' },
  { topic: 'password', text: 'I never got the password reset email. Can you send it again?' },
  { topic: 'password', text: 'My account is locked after too many login attempts. How long until I can try again?' },
  { topic: 'mfa', text: 'I got a new {platform} and lost my authenticator app. How do I get back in?' },
  { topic: 'mfa', text: 'Can I use a security key instead of an authenticator app?' },
  { topic: 'mfa', text: 'Where do I find my recovery codes?' },
  { topic: 'sso', text: 'Do you support single sign-on with {idp}?' },
  { topic: 'sso', text: 'Is SSO included in the {paidPlan} plan?' },
  { topic: 'invoices', text: 'Where can I download my invoice for {month}?' },
  { topic: 'invoices', text: 'What payment methods do you accept?' },
  { topic: 'invoices', text: 'Can we pay by bank transfer instead of card?' },
  { topic: 'invoices', text: 'How do I add our VAT number to the invoices?' },
  { topic: 'invoices', text: 'Our card payment failed in {month}. Will our workspace be locked?' },
  { topic: 'plans', text: 'How many members can I have on the {plan} plan?' },
  { topic: 'plans', text: 'How much does the {paidPlan} plan cost per member?' },
  { topic: 'plans', text: 'Are guests counted as paid seats?' },
  { topic: 'plans', text: 'Do you have a discount for nonprofits?' },
  { topic: 'proration', text: 'If I add {seats} seats today, when will I be charged?' },
  { topic: 'refunds', text: 'How do I cancel my subscription?' },
  { topic: 'refunds', text: 'Can I get a refund for our annual plan?' },
  { topic: 'refunds', text: 'How long does a refund take to reach my card?' },
  { topic: 'export', text: 'How do I export a project to {format}?' },
  { topic: 'export', text: 'Can I export the whole workspace at once?' },
  { topic: 'retention', text: 'How long do you keep deleted files?' },
  { topic: 'retention', text: 'Is my data stored in the {region}?' },
  { topic: 'retention', text: 'Do you have a SOC 2 report I can share with our security team?' },
  { topic: 'integrations', text: 'How do I connect {integration} to my workspace?' },
  { topic: 'integrations', text: 'Is the {integration} integration available on the {paidPlan} plan?' },
  { topic: 'api', text: 'Where do I create an API key?' },
  { topic: 'api', text: 'What is the API rate limit on the {plan} plan?' },
  { topic: 'users', text: 'How do I invite a new member to our workspace?' },
  { topic: 'users', text: 'How do I remove someone who left the company?' },
  { topic: 'users', text: 'Can I make another person an administrator?' },
  { topic: 'status', text: 'Is Brightline down right now?' },
  { topic: 'status', text: 'Where is your status page?' },
  { topic: 'mobile', text: 'Is there a Brightline app for my {platform}?' },
  { topic: 'mobile', text: 'How do I turn off email notifications for comments?' },
  { topic: 'mobile', text: 'Thanks, that worked!' },
];

/** Explanations, how-to walkthroughs and comparisons: they carry an analysis or writing cue. */
export const MEDIUM_QUESTIONS: ReadonlyArray<QuestionTemplate> = [
  { topic: 'proration', text: 'Can you explain how proration works if we upgrade from {plan} to {paidPlan} in the middle of our billing cycle?' },
  { topic: 'invoices', text: 'Why does my invoice for {month} show two charges for the same seats?' },
  { topic: 'plans', text: 'What is the difference between the Business and Enterprise plans for audit logs and single sign-on?' },
  { topic: 'plans', text: 'Which plan would you recommend for a team of {seats} people that needs single sign-on and guest access?' },
  { topic: 'sso', text: 'Could you summarize the steps to set up SAML single sign-on with {idp}, including testing before we enforce it?' },
  { topic: 'sso', text: 'What are the pros and cons of SCIM provisioning compared with inviting members manually?' },
  { topic: 'export', text: 'Please compare exporting through the API with the full workspace export for a workspace of about 60 GB.' },
  { topic: 'integrations', text: 'Why is the {integration} integration showing as disconnected since our previous admin left?' },
  { topic: 'integrations', text: 'Can you explain why our webhook deliveries are retried and how to avoid processing the same event twice?' },
  { topic: 'api', text: 'Can you explain what the 429 responses from your API mean and how our client should handle them?' },
  { topic: 'refunds', text: 'Can you outline what happens to our content and our money if we cancel the annual {paidPlan} plan now?' },
  { topic: 'retention', text: 'Please summarize what happens to our data after we delete the workspace, including backups.' },
  { topic: 'users', text: 'Explain the difference between admins, members and guests, and what each can see.' },
  { topic: 'mfa', text: 'Why do some of our members not get asked for MFA even though we require it for the workspace?' },
  { topic: 'status', text: 'Can you explain how SLA service credits are calculated for the {paidPlan} plan?' },
  { topic: 'mobile', text: 'Why does offline mode sometimes lose my changes when I edit a task on my {platform}?' },
  { topic: 'password', text: 'Draft a short message I can send to my team about the new password and sign-in rules.' },
];

/** Multi-step analysis: diagnosis, planning, trade-offs and forecasts. */
export const COMPLEX_QUESTIONS: ReadonlyArray<QuestionTemplate> = [
  { topic: 'sso', text: 'Since we rotated our {idp} signing certificate yesterday, about half of our members get a SAML error while the rest can still sign in. Can you help me diagnose the root cause step by step, including what to check in {idp} and in the Brightline security settings?' },
  { topic: 'plans', text: 'We are merging three workspaces into one before our renewal. Walk me through a migration plan step by step: exporting data, mapping members and roles, keeping audit logs, and how billing and proration will change for {seats} members.' },
  { topic: 'api', text: 'Our integration started getting 429 errors at peak hours after we moved to the {paidPlan} plan. Help me diagnose whether it is the rate limit, the burst limit or our own retries, and design a retry strategy that stays within the limits.' },
  { topic: 'retention', text: 'We must decide between staying on Business with the audit log extension or moving to Enterprise for {region} data residency. Give me an in-depth look at the trade-offs in cost, compliance and migration effort over the next two years.' },
  { topic: 'proration', text: 'Our finance team needs a forecast of next year\'s spend if we grow from {seats} to {moreSeats} members on {paidPlan} and add Advanced automations in the middle of the year. Work through the calculation step by step using your pricing and proration rules.' },
  { topic: 'integrations', text: 'Tasks created from {integration} are duplicated about once a day and sometimes arrive in the wrong order. Think through the possible causes with me, from webhook retries to our own consumer, and propose a design that makes the sync reliable.' },
  { topic: 'status', text: 'We had three outages last month and our leadership wants a comprehensive account: which incidents affected us, whether we qualify for service credits on {paidPlan}, and a strategy to reduce the impact of future incidents on our teams.' },
];

/** The templates of a class. */
export function questionTemplates(cls: MessageClass): ReadonlyArray<QuestionTemplate> {
  return cls === 'simple' ? SIMPLE_QUESTIONS : cls === 'medium' ? MEDIUM_QUESTIONS : COMPLEX_QUESTIONS;
}

/** A template with its slots filled at random; a slot repeated in one template gets one value. */
export function fillTemplate(template: QuestionTemplate, random: Random): string {
  const chosen = new Map<string, string>();
  return template.text.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (!SLOTS[slot]) throw new Error(`question template uses unknown slot {${slot}}`);
    if (!chosen.has(slot)) chosen.set(slot, random.pick(SLOTS[slot]));
    return chosen.get(slot)!;
  });
}

/** Every filled variant of a template (for tests: each must route to its class). */
export function allVariants(template: QuestionTemplate): string[] {
  const slots = [...new Set([...template.text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))];
  let variants = [template.text];
  for (const slot of slots) {
    variants = variants.flatMap((text) => SLOTS[slot].map((value) => text.split(`{${slot}}`).join(value)));
  }
  return variants;
}
