import { z } from 'zod';

export const WebhookSetupBody = z.strictObject({
  register: z.boolean().default(true).describe('Register the webhook with BambooHR through its API (default); its private key is kept'),
  secret: z.string().min(16, 'secret must be the webhook private key BambooHR showed').max(500).optional().describe('The private key BambooHR showed for a webhook made in its settings (Global webhooks)'),
});

export const WebhookSetup = z.object({
  url: z.string().describe('Where the provider sends events'),
  secret: z.string().optional().describe('The signing secret, shown once'),
  registered: z.boolean(),
  webhookId: z.string().optional(),
});

export const WebhookReceived = z.object({
  accepted: z.literal(true),
  employees: z.array(z.string()).describe('The provider ids the event named'),
  runId: z.string().nullable(),
  note: z.string().nullable(),
});
