/** Sample data `local invoke` puts in place for the document and scheduled workflows. */

/** An uploaded support ticket, for document events (about the size the recorded events announce). */
export const SAMPLE_TICKET = `Ticket 4711 - Refund request
Customer: Acme Logistics (workspace acme-logistics, Business plan, annual billing, 42 members)
Opened: 2026-11-27 16:42 UTC via email
Priority: normal

Hello Brightline team,

We renewed our annual Business plan on November 3 for 42 members, but we had already decided in October to move
our warehouse teams to another tool, and nobody told finance before the renewal went through. We only need 12 seats
from now on. Could you refund the 30 seats we will not use, or at least credit them against next year?

We also noticed that the November invoice shows the Advanced automations add-on twice (two lines of $168 each).
We only ever enabled it once. Please check whether this is a duplicate charge.

Invoice number: BL-2026-118204. Billing contact: the finance team mailbox on file.

Thanks,
Dana (workspace administrator)
`;

/** Conversation records of a day, for scheduled events: name and text. */
export const SAMPLE_RECORDS: ReadonlyArray<{ name: string; text: string }> = [
  {
    name: 'conversation-0001.txt',
    text: `Conversation 0001 (support chat, tenant bluefin-health, 09:12-09:19 UTC)
Customer: Since this morning half of our nurses cannot sign in. They get "SAML response signature invalid".
Agent: Thanks for reporting it. Did your team change anything in Okta recently, such as the signing certificate?
Customer: Our IT team rotated the certificate yesterday evening.
Agent: That explains it: the new certificate must be uploaded in Brightline under Settings > Security > Single sign-on before it is activated in Okta. I have sent the steps to your administrators.
Customer: Uploaded, and sign-in works again. Thank you!
Outcome: resolved, sev-2, 7 minutes.`,
  },
  {
    name: 'conversation-0002.txt',
    text: `Conversation 0002 (support chat, tenant cobalt-retail, 13:40-13:52 UTC)
Customer: Our Salesforce sync stopped on Tuesday and the integration shows as disconnected.
Agent: Integrations are authorized by one administrator. Did the person who connected Salesforce leave or lose access?
Customer: Yes, our former admin left last week.
Agent: Another administrator needs to reconnect it under Settings > Integrations > Salesforce; the sync catches up within 15 minutes.
Customer: Reconnected. Will the opportunities from Tuesday to today be synced?
Agent: Yes, changes since the last successful sync are picked up on the first run.
Outcome: resolved, sev-3, 12 minutes.`,
  },
  {
    name: 'conversation-0003.txt',
    text: `Conversation 0003 (email, tenant delta-university, 16:05 UTC)
Customer: We are a university department on the Team plan with 35 members. Is there an education discount, and how would it apply if we upgrade to Business in January?
Agent: Accredited schools get 50% off Team and Business after verification by the billing team. The discount applies from the next invoice after verification and also to the upgrade, which is prorated for the rest of the cycle.
Customer: Great, please start the verification.
Outcome: handed off to billing for verification, sev-4.`,
  },
];
