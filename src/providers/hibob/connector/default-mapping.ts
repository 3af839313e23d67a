/** HiBob's default field mapping lives with the others in the core (field mapping is domain knowledge). */
import { DEFAULT_MAPPINGS, type FieldMapping } from '../../../core/mapping.ts';

export const HIBOB_DEFAULT_MAPPING: FieldMapping = DEFAULT_MAPPINGS.hibob!;
