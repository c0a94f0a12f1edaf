/**
 * fast-check generators of valid stack configs and DKIM keys, for the property tests of the
 * record builder. Test-only. `modest` keeps names short, domains apart and SPF within its limits,
 * so every generated config must build; without it, configs may hit the builder's refusals.
 */
import fc from "fast-check";
import { parseStackConfig } from "../../stacks/load.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import type { DkimPublicKey } from "./types.ts";

export interface Generated {
  readonly config: StackConfig;
  readonly keys: DkimPublicKey[];
}

const shortLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
const anyLabel = fc.oneof(
  { weight: 6, arbitrary: shortLabel },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/) },
);
const domainOf = (label: fc.Arbitrary<string>) =>
  fc.array(label, { minLength: 2, maxLength: 3 }).map((labels) => labels.join("."));

const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => groups.map((g) => g.toString(16)).join(":"));
const cidr4 = fc.oneof(
  fc.ipV4(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([a, n]) => `${a}/${n}`),
);
const cidr6 = fc.oneof(
  ipv6,
  fc.tuple(ipv6, fc.integer({ min: 16, max: 128 })).map(([a, n]) => `${a}/${n}`),
);

/** A report URI: mailto at one of our domains (by index), at another domain, or https. */
const reportUri = (domain: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.tuple(shortLabel, fc.nat(3)).map(([local, i]) => ({ local, ours: i })),
    fc.tuple(shortLabel, domain).map(([local, other]) => `mailto:${local}@${other}`),
    fc.tuple(domain, shortLabel).map(([host, path]) => `https://${host}/${path}`),
  );

const policy = fc.constantFrom("none", "quarantine", "reject");
const alignment = fc.constantFrom("relaxed", "strict");

const perDomain = (modest: boolean) => {
  const label = modest ? shortLabel : anyLabel;
  const domain = domainOf(label);
  return fc.record({
    dkim: fc.uniqueArray(
      fc.record({
        selector: label,
        algorithm: fc.constantFrom("rsa2048", "ed25519"),
        state: fc.constantFrom("pending", "retiring"),
      }),
      { selector: (s) => s.selector, maxLength: 4 },
    ),
    spf: fc.record({
      include: fc.array(domain, { maxLength: modest ? 4 : 11 }),
      ip4: fc.array(cidr4, { maxLength: modest ? 2 : 8 }),
      ip6: fc.array(cidr6, { maxLength: modest ? 1 : 4 }),
      all: fc.constantFrom("-all", "~all"),
    }),
    dmarc: fc.record({
      policy,
      subdomainPolicy: fc.option(policy, { nil: undefined }),
      dkimAlignment: alignment,
      spfAlignment: alignment,
      percent: fc.integer({ min: 0, max: 100 }),
      rua: fc.array(reportUri(domain), { maxLength: 3 }),
      ruf: fc.array(reportUri(domain), { maxLength: 2 }),
    }),
    mtaSts: fc.record({
      mode: fc.constantFrom("none", "testing", "enforce"),
      maxAge: fc.integer({ min: 0, max: 31_557_600 }),
    }),
    tlsRpt: fc.array(reportUri(domain), { maxLength: 2 }),
  });
};

function resolveUri(uri: string | { local: string; ours: number }, domains: string[]): string {
  if (typeof uri === "string") return uri;
  return `mailto:${uri.local}@${domains[uri.ours % domains.length]}`;
}

/** Keys of RSA-2048 to RSA-4096 size (SPKI base64 up to 736 characters) and Ed25519. */
const keyPool = fc.record({
  rsa: fc.array(
    fc
      .integer({ min: 1, max: 552 })
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
      .map((bytes) => Buffer.from(bytes).toString("base64")),
    { minLength: 4, maxLength: 4 },
  ),
  ed: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 4, maxLength: 4 }),
});

export function configArbitrary(modest: boolean): fc.Arbitrary<Generated> {
  const label = modest ? shortLabel : anyLabel;
  const domain = domainOf(label);
  const domains = fc
    .uniqueArray(
      fc.oneof(
        domain,
        fc.tuple(label, domain).map(([l, d]) => `${l}.${d}`),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .filter(
      (list) => !modest || list.every((a) => list.every((b) => a === b || !a.endsWith(`.${b}`))),
    );
  return fc
    .record({
      domains,
      settings: fc.array(perDomain(modest), { minLength: 3, maxLength: 3 }),
      host: fc.constantFrom("inside", "apex", "outside", "alias"),
      hostLabel: label,
      outside: domain,
      ipv4: fc.array(fc.ipV4(), { maxLength: 3 }),
      ipv6: fc.array(ipv6, { maxLength: 2 }),
      ttl: fc.oneof(fc.constant(1), fc.integer({ min: 60, max: 86400 })),
      cloudflare: fc.boolean(),
      tls: fc.constantFrom("selfSigned", "acme", "acmeOther", "files"),
      issuers: fc.option(fc.array(domain, { maxLength: 3 }), { nil: undefined }),
      iodef: fc.option(reportUri(domain), { nil: undefined }),
      services: fc.record({ imap: fc.boolean(), pop3: fc.boolean(), submission: fc.boolean() }),
      ports: fc.record({
        submission: fc.integer({ min: 1, max: 65535 }),
        submissions: fc.integer({ min: 1, max: 65535 }),
        imaps: fc.integer({ min: 1, max: 65535 }),
        pop3s: fc.integer({ min: 1, max: 65535 }),
      }),
      keys: keyPool,
    })
    .map((g): Generated => {
      const acme = g.tls === "acme" || g.tls === "acmeOther";
      const cloudflare = g.cloudflare || acme;
      const first = g.domains[0] ?? "example.com";
      const hostname = {
        inside: `${g.hostLabel}.${first}`,
        apex: first,
        outside: g.outside,
        alias: `autoconfig.${first}`,
      }[g.host];
      const tls = {
        selfSigned: { mode: "selfSigned" },
        acme: { mode: "acme", email: "hostmaster@example.com" },
        acmeOther: { mode: "acme", email: "a@example.com", server: "https://ca.example/dir" },
        files: { mode: "files", certFile: "cert.pem", keyFile: "key.pem" },
      }[g.tls];
      const raw = {
        hostname,
        addresses: { ipv4: g.ipv4, ipv6: g.ipv6 },
        dns: { provider: cloudflare ? "cloudflare" : "none", ttl: g.ttl },
        tls,
        caa: {
          ...(g.issuers ? { issuers: g.issuers } : {}),
          ...(g.iodef ? { iodef: resolveUri(g.iodef, g.domains) } : {}),
        },
        services: g.services,
        docker: { ports: g.ports },
        domains: g.domains.map((name, i) => {
          const s = g.settings[i]!;
          return {
            name,
            ...(cloudflare ? { cloudflareZoneId: i.toString(16).repeat(32) } : {}),
            dkim: s.dkim.map((d, j) => (j === 0 ? { ...d, state: "active" } : d)),
            spf: s.spf,
            dmarc: {
              ...s.dmarc,
              rua: s.dmarc.rua.map((u) => resolveUri(u, g.domains)),
              ruf: s.dmarc.ruf.map((u) => resolveUri(u, g.domains)),
            },
            mtaSts: {
              ...s.mtaSts,
              mode:
                g.tls === "selfSigned" && s.mtaSts.mode === "enforce" ? "testing" : s.mtaSts.mode,
            },
            tlsRpt: { rua: s.tlsRpt.map((u) => resolveUri(u, g.domains)) },
          };
        }),
      };
      const config = parseStackConfig(raw, "generated config");
      const keys = config.domains.flatMap((d) =>
        d.dkim.map((s, j) => ({
          domain: d.name,
          selector: s.selector,
          algorithm: s.algorithm,
          publicKey:
            s.algorithm === "ed25519"
              ? Buffer.from(g.keys.ed[j % 4]!).toString("base64")
              : g.keys.rsa[j % 4]!,
        })),
      );
      return { config, keys };
    });
}
