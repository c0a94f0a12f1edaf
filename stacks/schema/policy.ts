/** The DNS policies a domain publishes: SPF, DMARC, MTA-STS, TLS-RPT, and CAA. */
import { z } from "zod";
import { durationSecondsSchema, hostnameSchema, reportUriSchema } from "./primitives.ts";

/** SPF include targets are often service names with underscores (`_spf.example.net`). */
const spfDomainSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
    {
      message: "expected a domain name like _spf.example.net",
    },
  )
  .transform((s) => s.toLowerCase());

export const spfSchema = z.strictObject({
  /** Extra `include:` domains (a mail service that also sends for you). */
  include: z.array(spfDomainSchema).default([]),
  /** Extra `ip4:`/`ip6:` networks allowed to send. */
  ip4: z.array(z.union([z.ipv4(), z.cidrv4()])).default([]),
  ip6: z.array(z.union([z.ipv6(), z.cidrv6()])).default([]),
  /** What everything else gets: `-all` (fail, default) or `~all` (softfail, while migrating). */
  all: z.enum(["-all", "~all"]).default("-all"),
});

export const dmarcSchema = z.strictObject({
  /** p=: none (monitor), quarantine, reject. Default quarantine. */
  policy: z.enum(["none", "quarantine", "reject"]).default("quarantine"),
  /** sp=: the policy for subdomains; default the same as `policy`. */
  subdomainPolicy: z.enum(["none", "quarantine", "reject"]).optional(),
  /** adkim= and aspf=: relaxed (r, default) or strict (s) alignment. */
  dkimAlignment: z.enum(["relaxed", "strict"]).default("relaxed"),
  spfAlignment: z.enum(["relaxed", "strict"]).default("relaxed"),
  /** pct=: the share of failing mail the policy applies to. Default 100. */
  percent: z.number().int().min(0).max(100).default(100),
  /** rua=: aggregate report destinations. */
  rua: z.array(reportUriSchema).default([]),
  /** ruf=: failure report destinations. */
  ruf: z.array(reportUriSchema).default([]),
});

export const mtaStsSchema = z.strictObject({
  /** none (published as withdrawn), testing (report only) or enforce. Default testing. */
  mode: z.enum(["none", "testing", "enforce"]).default("testing"),
  /** max_age of the policy in seconds; RFC 8461 caps it at 31557600 (one year). Default 7d. */
  maxAge: durationSecondsSchema.pipe(z.number().max(31_557_600)).default(604_800),
});

export const tlsRptSchema = z.strictObject({
  /** Where TLS failure reports go (RFC 8460 `rua=`); TLS-RPT is published only when set. */
  rua: z.array(reportUriSchema).default([]),
});

export const caaSchema = z.strictObject({
  /** CAs allowed to issue for the mail host names; default follows the TLS mode. */
  issuers: z.array(hostnameSchema).optional(),
  /** Where CAs report refused requests (iodef), mailto: or https:. */
  iodef: reportUriSchema.optional(),
});
