import { z } from 'zod';
import { isFieldName } from '../../core/fields.ts';

export const FieldPrioritiesBody = z
  .strictObject({
    overrides: z
      .array(
        z
          .object({
            field: z.string().refine(isFieldName, 'field must be a ReFresh field (email, jobTitle, …) or custom.<key>'),
            order: z.array(z.string().min(1, 'order holds integration ids')).min(1, 'order names at least one integration, first wins').max(20),
          })
          .strict(),
        { error: 'overrides is required: a list of {"field": "email", "order": ["<integration id>", …]} (an empty list clears every override)' },
      )
      .max(100, 'at most 100 fields can have their own order'),
  });

const SourceRef = z.object({ integrationId: z.string(), name: z.string(), provider: z.string() });

export const FieldPriorities = z
  .object({
    overrides: z.array(z.object({ field: z.string(), order: z.array(SourceRef) })).describe('Per field, the sources that decide it first, in order; the others follow by rank'),
    ranks: z.array(SourceRef.extend({ priority: z.number().int() })).describe('The integrations\' ranks: the order for every field without an override'),
  })
  .meta({ id: 'FieldPriorities' });

export const FieldPrioritiesSaved = FieldPriorities.extend({ resolved: z.number().int().describe('People resolved again under the new orders') });
