/**
 * GTUBE, the Generic Test for Unsolicited Bulk Email (SpamAssassin, https://spamassassin.apache.org/gtube/):
 * a fixed string that every filter treats as certain spam, so that a mail system's spam path
 * can be tested end to end. It forces the reject action (scores.ts).
 */
import type { Analyzer } from "./context.ts";

export const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

export const gtubeAnalyzer: Analyzer = {
  name: "gtube",
  run(ctx) {
    const { message } = ctx;
    const inText = message.parts.some((p) => p.text.includes(GTUBE));
    // Also undecoded, as SpamAssassin matches it: a body that is not valid MIME still counts.
    if (inText || message.raw.includes(GTUBE, message.headerBytes, "latin1")) ctx.add("GTUBE");
  },
};
