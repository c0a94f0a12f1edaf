/**
 * The names one mail host's certificate must carry. The mail host itself (SMTP, IMAP, POP3,
 * webmail), and per mail domain the two names that are fetched over HTTPS from the same host:
 * `mta-sts.<domain>` (RFC 8461 §3.3: the policy is fetched from that exact name, and a sender
 * rejects a certificate that does not match it), `autoconfig.<domain>` (Thunderbird's
 * autoconfiguration, which mail clients fetch before they know anything else about the domain)
 * and `autodiscover.<domain>` (Outlook's equivalent); the DNS component points all three at the host.
 */

/** Let's Encrypt refuses orders with more names than this; 33 mail domains per host fit. */
export const MAX_CERTIFICATE_NAMES = 100;

/** RFC 5280 ub-common-name: a subject CN longer than this cannot be encoded. */
export const MAX_COMMON_NAME = 64;

// RFC 1035 §2.3.4: 63 octets a label, 253 a name written without its trailing dot.
const MAX_LABEL = 63;
const MAX_NAME = 253;

/**
 * The subjectAltName DNS names of the mail host's certificate, the host name first (it is also
 * the subject CN where it fits). Lower-cased, without trailing dots, each name once.
 */
export function certificateNames(hostname: string, domains: readonly string[]): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    const normal = normalize(name);
    if (!names.includes(normal)) names.push(normal);
  };
  add(hostname);
  for (const domain of domains) {
    add(`mta-sts.${normalize(domain)}`);
    add(`autoconfig.${normalize(domain)}`);
    add(`autodiscover.${normalize(domain)}`);
  }
  if (names.length > MAX_CERTIFICATE_NAMES) {
    throw new RangeError(
      `the certificate would carry ${names.length} names; ACME CAs accept at most ${MAX_CERTIFICATE_NAMES} (3 per mail domain plus the host name)`,
    );
  }
  return names;
}

/** The subject common name for a certificate whose first name is `name`, when it fits. */
export function subjectCommonName(name: string): string | undefined {
  return name.length <= MAX_COMMON_NAME ? name : undefined;
}

function normalize(name: string): string {
  const normal = name.trim().toLowerCase().replace(/\.$/, "");
  if (normal === "") throw new RangeError("a certificate name cannot be empty");
  if (normal.length > MAX_NAME) {
    throw new RangeError(`${normal} is longer than ${MAX_NAME} characters, the DNS limit`);
  }
  const long = normal.split(".").find((label) => label.length === 0 || label.length > MAX_LABEL);
  if (long !== undefined) {
    throw new RangeError(`${normal} has an empty label or one longer than ${MAX_LABEL} characters`);
  }
  return normal;
}
