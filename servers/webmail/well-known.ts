/**
 * Documents other software fetches from the mail host over HTTPS: the MTA-STS policy (RFC 8461
 * §3.3, at https://mta-sts.<domain>/.well-known/mta-sts.txt), Thunderbird's autoconfig
 * (config-v1.1.xml) and Outlook's autodiscover (POX, responseschema 2006a). All come from the
 * runtime config, which the runner derives from the stack config.
 */
import { ApiError } from "./errors.ts";
import { escapeHtml as escapeXml } from "./http/assets.ts";
import { readBody, send } from "./http/respond.ts";
import type { RequestContext, Route } from "./http/route.ts";
import type { ClientService, WebmailConfig } from "./config.ts";

/** An autodiscover request is a few hundred bytes of XML. */
const MAX_AUTODISCOVER_BYTES = 8 * 1024;

/** The Host header's name, lower case, without a port. */
function hostName(host: string | undefined): string {
  return (host ?? "").replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();
}

/** The MTA-STS policy for a request to mta-sts.<domain>; undefined for any other host. */
export function mtaStsFor(config: WebmailConfig, host: string | undefined): string | undefined {
  const name = hostName(host);
  if (!name.startsWith("mta-sts.")) return undefined;
  return config.mtaStsPolicies[name.slice("mta-sts.".length)];
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** Thunderbird autoconfig (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat). */
export function autoconfigXml(config: WebmailConfig, domain: string): string {
  const name = config.displayName ?? domain;
  const server = (s: ClientService) => {
    const tag = s.protocol === "smtp" ? "outgoingServer" : "incomingServer";
    return [
      `    <${tag} type="${s.protocol}">`,
      `      <hostname>${escapeXml(s.host)}</hostname>`,
      `      <port>${s.port}</port>`,
      `      <socketType>${s.security === "tls" ? "SSL" : "STARTTLS"}</socketType>`,
      "      <authentication>password-cleartext</authentication>",
      "      <username>%EMAILADDRESS%</username>",
      `    </${tag}>`,
    ].join("\n");
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${escapeXml(domain)}">`,
    ...config.domains.map((d) => `    <domain>${escapeXml(d)}</domain>`),
    `    <displayName>${escapeXml(name)}</displayName>`,
    `    <displayShortName>${escapeXml(name)}</displayShortName>`,
    // Thunderbird takes servers in order of preference: implicit TLS first (RFC 8314 §3).
    ...sortedServices(config).map(server),
    "  </emailProvider>",
    "</clientConfig>",
    "",
  ].join("\n");
}

/** Outlook autodiscover, POX form (MS-OXDSCLI). */
export function autodiscoverXml(config: WebmailConfig, address: string): string {
  const protocol = (s: ClientService) =>
    [
      "      <Protocol>",
      `        <Type>${s.protocol.toUpperCase()}</Type>`,
      `        <Server>${escapeXml(s.host)}</Server>`,
      `        <Port>${s.port}</Port>`,
      `        <LoginName>${escapeXml(address)}</LoginName>`,
      "        <DomainRequired>off</DomainRequired>",
      "        <SPA>off</SPA>",
      `        <Encryption>${s.security === "tls" ? "SSL" : "TLS"}</Encryption>`,
      "        <AuthRequired>on</AuthRequired>",
      "      </Protocol>",
    ].join("\n");
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">',
    '  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
    "    <Account>",
    "      <AccountType>email</AccountType>",
    "      <Action>settings</Action>",
    ...sortedServices(config).map(protocol),
    "    </Account>",
    "  </Response>",
    "</Autodiscover>",
    "",
  ].join("\n");
}

function sortedServices(config: WebmailConfig): ClientService[] {
  const rank = (s: ClientService) =>
    ["imap", "pop3", "smtp"].indexOf(s.protocol) * 2 + (s.security === "tls" ? 0 : 1);
  return [...config.clientServices].sort((a, b) => rank(a) - rank(b));
}

export function wellKnownRoutes(config: WebmailConfig): Route[] {
  const ours = (domain: string) => config.domains.includes(domain);
  const autoconfig = async ({ req, res, url }: RequestContext): Promise<void> => {
    await Promise.resolve();
    const address = url.searchParams.get("emailaddress");
    const host = hostName(req.headers.host);
    const domain =
      address !== null
        ? domainOf(address)
        : host.startsWith("autoconfig.")
          ? host.slice("autoconfig.".length)
          : config.domains[0];
    if (domain === undefined || !ours(domain)) throw new ApiError("NOT_FOUND");
    send(res, 200, autoconfigXml(config, domain), {
      "Content-Type": "application/xml; charset=utf-8",
      "Cache-Control": "max-age=3600",
    });
  };
  return [
    {
      method: "GET",
      path: /^\/\.well-known\/mta-sts\.txt$/,
      access: "public",
      sameOrigin: false,
      async handle({ req, res }) {
        await Promise.resolve();
        const policy = mtaStsFor(config, req.headers.host);
        if (policy === undefined) throw new ApiError("NOT_FOUND");
        // RFC 8461 §3.3: media type text/plain.
        send(res, 200, policy, {
          "Content-Type": "text/plain; charset=utf-8",
          "Cache-Control": "max-age=3600",
        });
      },
    },
    {
      method: "GET",
      path: /^\/mail\/config-v1\.1\.xml$/,
      access: "public",
      sameOrigin: false,
      handle: autoconfig,
    },
    {
      method: "GET",
      path: /^\/\.well-known\/autoconfig\/mail\/config-v1\.1\.xml$/,
      access: "public",
      sameOrigin: false,
      handle: autoconfig,
    },
    {
      method: "POST",
      path: /^\/autodiscover\/autodiscover\.xml$/i,
      access: "public",
      sameOrigin: false,
      async handle({ req, res }) {
        const body = (await readBody(req, MAX_AUTODISCOVER_BYTES)).toString("utf8");
        const address = /<EMailAddress>\s*([^<\s]+@[^<\s]+)\s*<\/EMailAddress>/i.exec(body)?.[1];
        if (address === undefined)
          throw new ApiError("BAD_REQUEST", "No EMailAddress in the request.");
        if (!ours(domainOf(address))) throw new ApiError("NOT_FOUND");
        send(res, 200, autodiscoverXml(config, address), {
          "Content-Type": "application/xml; charset=utf-8",
          "Cache-Control": "no-store",
        });
      },
    },
  ];
}
