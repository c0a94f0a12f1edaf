/**
 * Delivery of one message to one destination: the recipients of one remote domain to its MX
 * hosts over SMTP, or the local recipients to the MDA over LMTP.
 *
 * Remote (RFC 5321 §5.1, §4.2): the route from lookup.ts, then address after address in MX
 * order (at most `maxAddresses`) until one connection takes the transaction. A host that cannot
 * be reached, greets with 4xx/5xx, refuses EHLO, breaks the connection or closes with 421 sends
 * the remaining recipients on to the next address; once a server answered the transaction, its
 * per-recipient replies are final for this attempt (2yz delivered, 4yz retry, 5yz bounce).
 *
 * TLS (RFC 3207, RFC 7435): STARTTLS whenever offered, certificates not checked (opportunistic);
 * if the handshake fails, the same address is tried once more in plaintext, as Postfix does.
 * A message with REQUIRETLS (RFC 8689) goes only over STARTTLS with a certificate valid for the
 * MX host name, to a server that announces REQUIRETLS; otherwise it is returned (5.7.10/5.7.30).
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { DnsResolver } from "../../shared/dns/resolver.ts";
import type { Logger } from "../../shared/log.ts";
import type { QueueConfig } from "../queue/config.ts";
import type { StoredEnvelope } from "../queue/records.ts";
import type { Outcome } from "../queue/recipient-state.ts";
import { deliverLmtp } from "./lmtp.ts";
import { lookupRoute, type MxHost } from "./lookup.ts";
import { FAILURES, localOutcome, outcomeFromReply, type Hop } from "./results.ts";
import { openSession, SessionOpenError, type Session, type TlsMode } from "./smtp-session.ts";
import { runTransactions, type IndexedRecipient } from "./transactions.ts";

export type Destination =
  { readonly kind: "mx"; readonly domain: string } | { readonly kind: "lmtp" };

export interface DeliveryJob {
  readonly envelope: StoredEnvelope;
  readonly raw: Uint8Array;
  readonly recipients: readonly IndexedRecipient[];
  readonly destination: Destination;
  /** Aborting (queue stop) closes the connection; unanswered recipients get no outcome. */
  readonly signal?: AbortSignal;
}

export interface Deliverer {
  /** Outcomes by recipient index; a recipient left out was not attempted (aborted). */
  deliver(job: DeliveryJob): Promise<Map<number, Outcome>>;
}

export interface DelivererDeps {
  readonly resolver: DnsResolver;
  readonly log: Logger;
  /** Order among equal MX preferences; tests fix it. */
  readonly random?: () => number;
}

export function createDeliverer(config: QueueConfig, deps: DelivererDeps): Deliverer {
  const timeouts = {
    connectMs: config.timeouts.connectSeconds * 1000,
    greetingMs: config.timeouts.greetingSeconds * 1000,
    idleMs: config.timeouts.idleSeconds * 1000,
  };
  const ca = [...rootCertificates, ...config.outbound.caPaths.map((p) => readFileSync(p, "utf8"))];
  const { port, maxAddresses, localAddress } = config.outbound;

  async function connect(
    host: MxHost,
    address: string,
    tls: TlsMode,
    signal: AbortSignal | undefined,
  ): Promise<Session> {
    return openSession({
      ...(signal ? { signal } : {}),
      host: address,
      port,
      ...(host.name.startsWith("[") ? {} : { servername: host.name }),
      name: config.hostname,
      tls,
      ca,
      ...(localAddress ? { localAddress } : {}),
      timeouts,
      log: deps.log,
    });
  }

  /** One address: its outcomes, and why it stopped short when it did. */
  async function tryAddress(
    job: DeliveryJob,
    host: MxHost,
    address: string,
    recipients: readonly IndexedRecipient[],
  ): Promise<{ outcomes: Map<number, Outcome>; stopped?: Outcome }> {
    const hop: Hop = { remoteMta: host.name, relay: `${host.name}[${address}]:${port}` };
    const requireTls = job.envelope.requireTls === true;
    let session: Session;
    try {
      session = await connect(host, address, requireTls ? "verified" : "opportunistic", job.signal);
    } catch (error) {
      if (!(error instanceof SessionOpenError)) throw error;
      if (requireTls && error.code === "ETLS") {
        return {
          outcomes: new Map(),
          stopped: localOutcome(FAILURES.tlsRequired, error.message, hop),
        };
      }
      if (error.code === "ETLS" && !job.signal?.aborted) {
        deps.log.info(
          { relay: hop.relay, err: error.message },
          "STARTTLS failed, retrying in plaintext",
        );
        try {
          session = await connect(host, address, "none", job.signal);
        } catch (retryError) {
          if (!(retryError instanceof SessionOpenError)) throw retryError;
          return { outcomes: new Map(), stopped: openFailure(retryError, hop) };
        }
      } else {
        return { outcomes: new Map(), stopped: openFailure(error, hop) };
      }
    }
    const result = await runTransactions(session, job, recipients, hop, "smtp");
    session.quit();
    return result;
  }

  async function deliverMx(job: DeliveryJob, domain: string): Promise<Map<number, Outcome>> {
    const route = await lookupRoute(
      domain,
      deps.resolver,
      deps.random ? { random: deps.random } : {},
    );
    if (route.kind === "failure") {
      return new Map(job.recipients.map((r) => [r.index, route.outcome]));
    }
    const outcomes = new Map<number, Outcome>();
    let remaining = job.recipients;
    const failures: Outcome[] = [];
    let tried = 0;
    for (const host of route.hosts) {
      for (const address of host.addresses) {
        if (tried >= maxAddresses || job.signal?.aborted) break;
        tried++;
        const result = await tryAddress(job, host, address, remaining);
        for (const [index, outcome] of result.outcomes) outcomes.set(index, outcome);
        remaining = remaining.filter((r) => !outcomes.has(r.index));
        if (remaining.length === 0 || job.signal?.aborted) return outcomes;
        if (result.stopped) {
          failures.push(result.stopped);
          deps.log.debug(
            { relay: result.stopped.result.relay, err: result.stopped.result.text },
            "MX host failed, trying the next",
          );
        }
      }
    }
    if (job.signal?.aborted) return outcomes;
    // Every host failed at connection level: permanent only if every failure was permanent.
    const final =
      failures.findLast((f) => f.kind === "temporary") ??
      failures.at(-1) ??
      localOutcome(FAILURES.noAnswer, domain);
    for (const r of remaining) outcomes.set(r.index, final);
    return outcomes;
  }

  return {
    async deliver(job) {
      if (job.destination.kind === "mx") return deliverMx(job, job.destination.domain);
      if (!config.local) {
        return new Map(
          job.recipients.map((r) => [
            r.index,
            localOutcome(FAILURES.mdaUnavailable, "no LMTP target configured"),
          ]),
        );
      }
      return deliverLmtp(
        { target: config.local.lmtp, hostname: config.hostname, timeouts, log: deps.log },
        job,
        job.recipients,
        job.signal,
      );
    },
  };
}

/** A connection that never reached a transaction. */
function openFailure(error: SessionOpenError, hop: Hop): Outcome {
  if (error.reply && /^[45]/.test(error.reply))
    return outcomeFromReply(error.reply, hop, "relayed");
  return localOutcome(FAILURES.noAnswer, error.message, hop);
}
