/** Small schemas every part of the stack config uses. */
import { z } from "zod";

export const hostnameSchema = z
  .string()
  .regex(
    /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i,
    { message: "expected a host name like mail.example.com" },
  )
  .transform((s) => s.toLowerCase().replace(/\.$/, ""));

export const domainNameSchema = hostnameSchema.refine((s) => s.includes("."), {
  message: "expected a domain name like example.com",
});

export const portSchema = z.number().int().min(1).max(65535);

/** A `mailto:` or `https:` reporting URI, as DMARC and TLS-RPT take them. */
export const reportUriSchema = z
  .string()
  .regex(/^(mailto:[^\s,;!@]+@[^\s,;!@]+|https:\/\/[^\s,;!]+)$/, {
    message: "expected mailto:address or https://url",
  });

/** Sizes as bytes or with a unit: 500MB, 2GiB. */
export const sizeSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, {
      message: "expected a size like 500MB or 2GiB",
    })
    .transform(parseSize),
]);

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?i?B)$/.exec(text);
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (!match || unit === undefined) throw new RangeError(`not a size: ${text}`);
  return Math.round(Number(match[1]) * unit);
}

/** Durations as seconds or with a unit: 90s, 15m, 12h, 7d. */
export const durationSecondsSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+[smhdw]$/, { message: "expected a duration like 15m, 12h or 7d" })
    .transform((s) => {
      const n = Number(s.slice(0, -1));
      const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[s.at(-1) as "s"];
      return n * unit;
    }),
]);
