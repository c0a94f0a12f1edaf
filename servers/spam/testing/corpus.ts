/**
 * A small synthetic corpus for classifier tests: ham about work, spam about offers, built from
 * fixed vocabularies with a seeded generator, so every run sees the same messages.
 */
import type { SeedMessage } from "../engine.ts";
import { message } from "./harness.ts";

const HAM_WORDS = `meeting agenda project review budget quarter deadline draft report colleague team
schedule thursday minutes notes proposal slides feedback release branch merge build test server
deploy incident retrospective planning roadmap estimate ticket customer contract invoice lunch
conference travel hotel flight document spreadsheet calendar discussion decision`.split(/\s+/);

const SPAM_WORDS =
  `free offer winner prize cash money guaranteed credit loan pills pharmacy discount
cheap viagra casino bonus limited exclusive deal unsubscribe click urgent million inheritance
investment bitcoin profit rich income opportunity congratulations claim reward lottery refinance
mortgage weight loss miracle risk-free act now order today`.split(/\s+/);

/** Mulberry32: a tiny seeded generator. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(words: readonly string[], random: () => number, n: number): string {
  return Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(" ");
}

export function hamMessage(i: number): string {
  const random = seeded(1000 + i);
  return message({
    headers: {
      From: `Colleague ${i} <colleague${i}@example.org>`,
      Subject: `Re: ${sentence(HAM_WORDS, random, 3)}`,
      "Message-ID": `<ham${i}@example.org>`,
    },
    body: `${sentence(HAM_WORDS, random, 40)}\r\n`,
  });
}

export function spamMessage(i: number): string {
  const random = seeded(5000 + i);
  return message({
    headers: {
      From: `Promo <promo${i}@offers${i % 7}.example>`,
      Subject: sentence(SPAM_WORDS, random, 4).toUpperCase(),
      "Message-ID": `<spam${i}@offers.example>`,
    },
    body: `${sentence(SPAM_WORDS, random, 40)}\r\n`,
  });
}

/** Mail that the global model has no opinion on: newsletters about gardening. */
export function gardeningMessage(i: number): string {
  const random = seeded(9000 + i);
  const words =
    "garden tomato seedlings compost mulch prune roses orchard harvest soil watering greenhouse".split(
      " ",
    );
  return message({
    headers: {
      From: "Garden Club <letters@garden.example>",
      Subject: `Garden letter ${i}`,
      "Message-ID": `<garden${i}@garden.example>`,
    },
    body: `${sentence(words, random, 40)}\r\n`,
  });
}

/** The operator's seed corpus of the tests: 30 ham and 30 spam. */
export function syntheticSeed(): SeedMessage[] {
  return [
    ...Array.from({ length: 30 }, (_, i) => ({
      raw: Buffer.from(hamMessage(i)),
      verdict: "ham" as const,
    })),
    ...Array.from({ length: 30 }, (_, i) => ({
      raw: Buffer.from(spamMessage(i)),
      verdict: "spam" as const,
    })),
  ];
}
