import { z } from 'zod';
import { Timestamp } from './common.ts';

export const ApiKeyInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The key's first characters, to recognise it"),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable().describe('When the key was last used (recorded at most every five minutes); null when never'),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKey = ApiKeyInfo.extend({ key: z.string().describe('The key itself: in this answer only, once') });

export const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1, 'name the key (what uses it)').max(100) });
