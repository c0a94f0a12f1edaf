/**
 * COMPRESS DEFLATE (RFC 4978): after the tagged OK both directions are raw DEFLATE (RFC 1951);
 * the socket transport does the work with node:zlib.
 */
import { bad, no } from "../protocol/errors.ts";
import { keyword } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const compress = defineCommand({
  name: "COMPRESS",
  states: AUTHENTICATED,
  args: ["atom"],
  updates: "none",
  parse: ([mechanism]) => ({ mechanism: keyword(mechanism, "compression mechanism") }),
  run({ session }, { mechanism }) {
    if (mechanism !== "DEFLATE") throw bad("Only DEFLATE is supported");
    if (session.compressed) throw no("Compression is already active", "COMPRESSIONACTIVE");
    return { text: "DEFLATE active", after: () => session.startCompression() };
  },
});
