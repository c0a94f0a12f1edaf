/**
 * Everything computed from a message before it is stored: the parse runs outside the write
 * transaction (and for the MDA, before the group commit), so the lock is held only for inserts.
 */
import { buildEnvelope, type Envelope } from "./mime/envelope.ts";
import { parseMessage, type MimePart } from "./mime/mime-tree.ts";
import { searchFields, type SearchFields } from "./mime/search-fields.ts";

export interface PreparedMessage {
  readonly raw: Uint8Array;
  readonly mime: MimePart;
  readonly envelope: Envelope;
  readonly search: SearchFields;
}

export function prepareMessage(raw: Uint8Array): PreparedMessage {
  const parsed = parseMessage(raw);
  return {
    raw,
    mime: parsed.root,
    envelope: buildEnvelope(parsed.fields),
    search: searchFields(parsed),
  };
}
