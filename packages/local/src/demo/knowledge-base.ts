/**
 * A small, fixed knowledge base and the retrieval step of the RAG pipeline: every question has a topic, and a topic
 * always retrieves the same three chunks (its article and two related ones). Chunks therefore repeat across
 * requests, as they do in production, where a few articles answer most questions.
 */

/** The knowledge base topics; each question belongs to one. */
export type Topic =
  | 'password' | 'mfa' | 'sso' | 'invoices' | 'plans' | 'proration' | 'refunds'
  | 'export' | 'retention' | 'integrations' | 'api' | 'users' | 'status' | 'mobile';

/** One article chunk. */
export interface KnowledgeChunk {
  readonly id: string;
  readonly topic: Topic;
  readonly title: string;
  readonly text: string;
}

const ARTICLES: ReadonlyArray<{ id: string; topic: Topic; title: string; plans: string; body: string[] }> = [
  {
    id: 'KB-101', topic: 'password', title: 'Resetting your password and unlocking your account', plans: 'all plans',
    body: [
      'Members who sign in with email and password can reset it from the sign-in page with Forgot password. The reset link is sent to the account email, is valid for 60 minutes and can be used once; requesting a new link cancels the previous one.',
      'If the email does not arrive within 10 minutes, check spam and quarantine folders, and ask your IT team to allow mail from notifications.brightline.app. Links are not sent to addresses that have no account, and the page does not say whether an account exists.',
      'After 10 failed sign-in attempts in 15 minutes the account is locked for 30 minutes. A workspace administrator can unlock it earlier under Settings > Members > Member details > Unlock sign-in. Support agents can unlock an account only after verifying the member\'s identity.',
      'Workspaces that use single sign-on do not have Brightline passwords: passwords, lockouts and resets are handled by the identity provider, and the Forgot password link tells the member to contact their IT team.',
      'Passwords must have at least 12 characters and must not appear in known breach lists; there is no forced periodic rotation. Changing the password signs the member out of every other session, including the mobile apps.',
      'Administrators can require a password change for a member at next sign-in, which is useful after a suspected phishing attempt. This does not reset multi-factor authentication; see KB-102 for that.',
    ],
  },
  {
    id: 'KB-102', topic: 'mfa', title: 'Multi-factor authentication', plans: 'all plans; enforcement on Business and Enterprise',
    body: [
      'Members can turn on multi-factor authentication with an authenticator app or a security key under Profile > Security. Text message codes are not offered because they can be intercepted.',
      'Workspace administrators on Business and Enterprise can require multi-factor authentication for all members. Members without it are asked to set it up at their next sign-in and cannot skip the step; the requirement does not apply to single sign-on users, whose identity provider enforces its own policy.',
      'When multi-factor authentication is set up, the member receives ten single-use recovery codes. Each code works once. Members should store them in a password manager; support cannot see or regenerate them.',
      'A member who lost both the device and the recovery codes must ask a workspace administrator to reset multi-factor authentication under Settings > Members > Member details > Reset MFA. If the member is the only administrator, the workspace owner must contact support, who verify ownership with the billing contact before resetting it, which takes one to two business days.',
      'Security keys that follow the FIDO2 standard can be registered on up to five devices per member. Removing the last key or app turns multi-factor authentication off unless the workspace requires it.',
    ],
  },
  {
    id: 'KB-110', topic: 'sso', title: 'Single sign-on with SAML or OIDC, and SCIM provisioning', plans: 'Business and Enterprise',
    body: [
      'Business and Enterprise workspaces can connect an identity provider such as Okta, Microsoft Entra ID, Google Workspace or OneLogin with SAML 2.0 or OpenID Connect. Configure it under Settings > Security > Single sign-on, verify your email domain, and test with one administrator before enforcing it.',
      'When single sign-on is enforced, members sign in only through the identity provider; one administrator can keep a password as a break-glass account. Disabling enforcement does not delete anything.',
      'SAML signing certificates must be renewed before they expire. Upload the new certificate in Brightline first, then activate it in the identity provider; Brightline accepts both certificates for 7 days. Uploading it only in the identity provider causes signature errors for every member whose session renews.',
      'Common SAML errors: an audience mismatch means the entity id differs from the one shown in the settings page; a clock skew error means the identity provider clock is more than 5 minutes off; a missing email attribute means the NameID is not mapped to the member email.',
      'Enterprise workspaces can provision and deprovision members with SCIM 2.0. Members removed in the identity provider are deactivated within 5 minutes and stop counting as seats at the next billing date. Groups pushed by SCIM become Brightline teams but do not grant administrator rights.',
    ],
  },
  {
    id: 'KB-201', topic: 'invoices', title: 'Invoices, billing dates and payment methods', plans: 'all paid plans',
    body: [
      'Invoices are issued on the billing date, which is the day of the month or year the subscription started. They are emailed to the billing contacts and stay available to administrators under Settings > Billing > Invoices as PDF files.',
      'Accepted payment methods are credit and debit cards on every paid plan, and bank transfer or ACH for annual plans above $5,000. Invoices paid by transfer are due within 30 days and show the bank details and a payment reference that must be quoted.',
      'If a card payment fails, Brightline retries after 3, 5 and 7 days and emails the billing contacts each time. The workspace stays fully usable for 14 days after the first failure; after that it becomes read-only until the balance is paid, and no data is deleted.',
      'To change the billing address, tax identifier or billing contacts, an administrator edits Settings > Billing > Details. Changes apply to the next invoice; earlier invoices are reissued only by the billing team on request.',
      'An invoice can show two lines for the same seats when the plan changed during the cycle: one line credits the unused time on the old plan and one charges the new plan for the rest of the cycle. See KB-203 for how proration works.',
    ],
  },
  {
    id: 'KB-202', topic: 'plans', title: 'Plans, seat limits and add-ons', plans: 'all plans',
    body: [
      'Brightline has four plans. Free is for up to 3 members. Team costs $12 per member per month and allows up to 50 members. Business costs $24 per member per month, allows up to 500 members and adds single sign-on, audit logs for 180 days and guest access. Enterprise is an annual contract with unlimited members, SCIM, 7-year audit logs, data residency choices and a named success manager.',
      'Annual billing costs the same as ten months of monthly billing. Seats are counted as active members on the billing date; guests are free on Business and Enterprise and limited to 10 on Team.',
      'Add-ons are billed on the plan\'s cycle: Advanced automations ($4 per member per month, Business and above), Extra storage (100 GB for $10 per month) and the Audit log extension, which keeps Business audit logs for 3 years for $300 per month.',
      'Every paid plan can be tried free for 14 days once per workspace. At the end of the trial the workspace returns to Free unless a payment method was added; content created during the trial is kept but features above the Free limits become read-only.',
      'Nonprofits and accredited schools get 50% off Team and Business after verification through the billing team. Discounts cannot be combined and do not apply to add-ons.',
    ],
  },
  {
    id: 'KB-203', topic: 'proration', title: 'Upgrades, downgrades and proration', plans: 'all paid plans',
    body: [
      'Upgrades take effect immediately. Brightline credits the unused part of the current cycle on the old plan and charges the new plan for the rest of the cycle, so the invoice shows a credit line and a charge line. The difference is charged at once on monthly plans and added to the next invoice on annual plans.',
      'Example: a workspace with 20 members on Team monthly upgrades to Business halfway through the month. It is credited 20 x $12 x 0.5 = $120 and charged 20 x $24 x 0.5 = $240, so it pays $120 that day and $480 from the next billing date.',
      'Adding seats in the middle of a cycle is prorated the same way; removing seats takes effect at the next billing date, and the removed seats are not refunded for the current cycle.',
      'Downgrades take effect at the end of the current cycle. Before the downgrade, administrators are shown what will stop working, for example single sign-on, audit logs or automations that exceed the new limits. Nothing is deleted: content above the new limits becomes read-only.',
      'Switching from monthly to annual billing starts a new annual cycle on the day of the switch, with the unused monthly time credited. Switching from annual to monthly is possible only at renewal.',
    ],
  },
  {
    id: 'KB-204', topic: 'refunds', title: 'Cancellations and refunds', plans: 'all paid plans',
    body: [
      'An administrator cancels a subscription under Settings > Billing > Plan > Cancel subscription. The workspace keeps the paid plan until the end of the current cycle and then moves to Free; cancelling does not delete the workspace or its content.',
      'Monthly plans are not refunded for the current month. Annual plans can be refunded pro rata for the unused full months if the cancellation is made within 30 days of the start or renewal date; after 30 days the plan stays active until the end of the term and is not refunded.',
      'Add-ons follow the billing cycle of the plan and are refunded under the same rules. Service credits already applied to an invoice are not paid out in cash.',
      'Refunds go back to the original payment method within 5 to 10 business days after the billing team approves them. Payments by bank transfer are refunded to the account they came from, which requires the account details to be confirmed by the billing contact.',
      'Workspaces that were charged after a cancellation request because of an error are refunded in full for the erroneous charge. To request a refund, the billing contact replies to the invoice email or opens a billing ticket with the invoice number.',
    ],
  },
  {
    id: 'KB-301', topic: 'export', title: 'Exporting your data', plans: 'all plans',
    body: [
      'Administrators can export a whole workspace under Settings > Data > Export. The export is a ZIP file with projects and tasks as JSON and CSV, comments, and the original uploaded files. Large exports are prepared in the background and a download link valid for 7 days is emailed to the administrator.',
      'Individual projects can be exported by any member with edit rights from the project menu as CSV, JSON or PDF. CSV exports include custom fields but not comments or attachments; JSON includes everything except files.',
      'Exports of workspaces above 50 GB are split into parts of 10 GB. Only one full export can run at a time per workspace, and a new one can start 24 hours after the previous one finished.',
      'For regular or incremental exports, use the REST API with a key that has the read scope, and page through the projects and tasks endpoints with the updated_since parameter; see KB-402 for rate limits.',
      'Exports never include passwords, recovery codes, integration tokens or audit logs; audit logs have their own export in the audit log page on Business and Enterprise.',
      'If an export link has expired or the download fails halfway, start the export again from the same page; the previous file is deleted when the link expires and cannot be recovered by support.',
    ],
  },
  {
    id: 'KB-302', topic: 'retention', title: 'Data retention, deletion and residency', plans: 'all plans; region moves on Enterprise',
    body: [
      'Deleted tasks and files go to the workspace trash, where they can be restored for 30 days; after that they are permanently deleted. Administrators can empty the trash early.',
      'When a workspace is deleted by its owner, it is disabled at once and permanently erased after 30 days, including backups, which expire within a further 35 days. The owner receives a confirmation email at each step.',
      'Personal data requests from members, such as access or erasure under GDPR or CCPA, are handled by the workspace administrator for content in the workspace, and by Brightline privacy for account data. Brightline answers within 30 days.',
      'Workspace data is stored in the data region chosen at creation: United States by default, European Union, United Kingdom, Australia or Canada. Moving a workspace between regions is available on Enterprise as a planned migration with a maintenance window.',
      'All data is encrypted in transit with TLS 1.2 or later and at rest with AES-256. Enterprise customers can bring their own key. Brightline is SOC 2 Type II certified; reports are available in the trust center.',
      'Audit logs and billing records are kept for the periods required by law and by the plan, even after content is deleted, and are erased when those periods end.',
    ],
  },
  {
    id: 'KB-401', topic: 'integrations', title: 'Integrations: Slack, Salesforce, Zendesk, Jira and webhooks', plans: 'all paid plans',
    body: [
      'Integrations are connected under Settings > Integrations by an administrator, who authorizes the connection with their own account in the other service. If that person leaves or loses access, the integration stops and shows as disconnected until another administrator reconnects it.',
      'Slack posts task updates to the channels chosen per project and lets members create tasks from messages. Salesforce syncs accounts and opportunities to projects every 15 minutes. Zendesk links tickets to tasks in both directions. Jira syncs issues and status changes for the projects mapped in the settings.',
      'Webhooks send a signed POST request for each event to a URL you choose. Deliveries that do not receive a 2xx response within 10 seconds are retried with exponential backoff for up to 24 hours; after 100 consecutive failures the webhook is paused and administrators are emailed.',
      'Verify webhook signatures with the secret shown when the webhook is created, and rotate the secret if it was exposed. Events arrive at least once and can arrive out of order; use the event id to ignore duplicates.',
      'Integrations with Salesforce and Jira require the Business plan or above. Slack and webhooks are available on every paid plan.',
    ],
  },
  {
    id: 'KB-402', topic: 'api', title: 'API keys and rate limits', plans: 'all plans',
    body: [
      'API keys are created under Settings > API by administrators, with read, write or admin scope, and can be limited to projects. A key is shown once when it is created; store it in a secret manager. Revoking a key takes effect within one minute.',
      'Rate limits are per workspace: 60 requests per minute on Free, 300 on Team, 1,000 on Business and 5,000 on Enterprise, with bursts of up to twice the limit for 10 seconds. Requests above the limit receive HTTP 429 with a Retry-After header in seconds.',
      'Clients should retry 429 and 5xx responses with exponential backoff and jitter, respect Retry-After, and avoid polling: webhooks and the updated_since parameter reduce request volume by an order of magnitude for most integrations.',
      'Bulk endpoints accept up to 100 tasks per request and count as one request. Search requests count as five requests because they are expensive.',
      'The API is versioned by date in the Brightline-Version header. Versions are supported for at least 18 months after a newer version is released, and deprecated fields are announced in the changelog 6 months ahead.',
      'Every response carries the X-RateLimit-Remaining and X-RateLimit-Reset headers, so clients can slow down before they are limited instead of after.',
    ],
  },
  {
    id: 'KB-501', topic: 'users', title: 'Managing members, roles and seats', plans: 'all plans',
    body: [
      'Administrators invite members under Settings > Members > Invite, by email or with an invite link restricted to the verified email domain. Invitations expire after 14 days and can be resent.',
      'Roles: the owner controls billing and can delete the workspace; administrators manage members, security and integrations; members create and edit content in the projects they belong to; guests see only the projects they were invited to.',
      'Deactivating a member keeps their content and history, revokes their sessions and API keys, and frees the seat at the next billing date. Reactivating within the same cycle does not add a charge.',
      'Ownership can be transferred by the owner to another administrator under Settings > Workspace > Transfer ownership. If the owner has left the company, support transfers ownership after verification with the billing contact and a second administrator.',
      'Teams group members for permissions and notifications. On Enterprise, teams can be synced from the identity provider with SCIM; see KB-110.',
      'The member list can be exported as CSV with roles, last sign-in dates and seat status, which helps when reviewing licenses before a renewal.',
    ],
  },
  {
    id: 'KB-601', topic: 'status', title: 'Service status, incidents and SLA credits', plans: 'all plans; credits on Business and Enterprise',
    body: [
      'The current status of every component is published at status.brightline.app, with incident updates at least every 30 minutes while an incident is open. Members can subscribe to updates by email, Slack or RSS.',
      'Business workspaces have a 99.9% and Enterprise workspaces a 99.95% monthly uptime commitment, measured on the core web application and API and excluding announced maintenance, which happens on Sundays between 02:00 and 04:00 UTC.',
      'If monthly uptime falls below the commitment, the workspace is eligible for a service credit of 10% of the monthly fee below the commitment, 25% below 99%, and 50% below 95%. Credits are requested by the billing contact within 30 days after the month ends and are applied to the next invoice.',
      'After a major incident, a post-incident report with the cause, impact and follow-up actions is published on the status page within 5 business days.',
      'Free and Team plans have no uptime commitment, but incidents and reports are published for every plan.',
      'Problems that affect only one workspace, such as a slow project or a failed import, are not incidents on the status page; report them through support with the workspace URL and the time they started.',
    ],
  },
  {
    id: 'KB-701', topic: 'mobile', title: 'Mobile apps and notifications', plans: 'all plans',
    body: [
      'The Brightline apps for iOS 16 or later and Android 10 or later are free to download on every plan. Members sign in with the same method as on the web, including single sign-on.',
      'The apps keep the projects opened in the last 7 days available offline. Changes made offline are synced when the device reconnects; if someone else changed the same field in the meantime, the most recent change wins and the other one is kept in the task history.',
      'Notifications are set per member under Profile > Notifications for email, push and in-app channels, and per project from the project menu. A daily or weekly digest can replace individual emails.',
      'If push notifications stop on a phone, check that notifications are allowed for Brightline in the phone settings, that the member is signed in, and that focus or battery saver modes are not blocking them; signing out and in again registers the device again.',
      'Administrators cannot read members\' notification settings, but on Enterprise they can set workspace defaults that apply to new members.',
      'Mobile sessions last 90 days and end when the password changes, when the member is deactivated, or when an administrator signs the member out of all devices.',
    ],
  },
];

/** Every topic retrieves its own article and the two articles most often needed with it. */
const RELATED: Readonly<Record<Topic, readonly [Topic, Topic]>> = {
  password: ['mfa', 'sso'],
  mfa: ['password', 'users'],
  sso: ['users', 'password'],
  invoices: ['proration', 'plans'],
  plans: ['proration', 'invoices'],
  proration: ['invoices', 'plans'],
  refunds: ['invoices', 'plans'],
  export: ['api', 'retention'],
  retention: ['export', 'plans'],
  integrations: ['api', 'users'],
  api: ['integrations', 'plans'],
  users: ['sso', 'plans'],
  status: ['plans', 'invoices'],
  mobile: ['users', 'password'],
};

/** The knowledge base: one chunk per article. */
export const KNOWLEDGE_BASE: ReadonlyArray<KnowledgeChunk> = ARTICLES.map((a) => ({
  id: a.id,
  topic: a.topic,
  title: a.title,
  text: `[${a.id}] ${a.title}\nApplies to: ${a.plans}. Last reviewed: 2026-10-01. Related: ${RELATED[a.topic].map(articleId).join(', ')}.\n${a.body.join(' ')}`,
}));

function articleId(topic: Topic): string {
  return ARTICLES.find((a) => a.topic === topic)!.id;
}

/** Every topic. */
export const TOPICS: ReadonlyArray<Topic> = ARTICLES.map((a) => a.topic);

const BY_TOPIC = new Map(KNOWLEDGE_BASE.map((c) => [c.topic, c]));

/** The chunks retrieval returns for a topic: its article first, then the two related ones. */
export function retrieve(topic: Topic): KnowledgeChunk[] {
  return [topic, ...RELATED[topic]].map((t) => BY_TOPIC.get(t)!);
}

/** The RAG context sent with a question on `topic`: three chunks, separated as a retriever would join them. */
export function ragContext(topic: Topic): string {
  return retrieve(topic).map((c) => c.text).join('\n\n---\n\n');
}

/** The sentences of a topic's article, for writing plausible earlier agent answers. */
export function articleSentences(topic: Topic): string[] {
  return ARTICLES.find((a) => a.topic === topic)!.body.flatMap((paragraph) => paragraph.split(/(?<=\.)\s+(?=[A-Z])/));
}
