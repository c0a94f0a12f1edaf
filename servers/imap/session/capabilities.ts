/**
 * What CAPABILITY announces (RFC 9051 §7.2.2), as a table: every entry is something this server
 * implements completely and tests. Before authentication only what a client needs to log in.
 */
import { MAX_APPEND_LITERAL_BYTES } from "../limits.ts";

export interface CapabilityFacts {
  readonly authenticated: boolean;
  /** The connection is TLS (implicit, or after STARTTLS). */
  readonly secure: boolean;
  /** STARTTLS can be offered on this connection now. */
  readonly starttls: boolean;
  /** Plaintext LOGIN/AUTHENTICATE allowed without TLS (loopback-only setups and tests). */
  readonly insecureAuth: boolean;
  /** COMPRESS=DEFLATE already active (RFC 4978 §3: not announced again). */
  readonly compressed: boolean;
}

type Entry = readonly [name: string, when: (f: CapabilityFacts) => boolean];

const always = (): boolean => true;
const authed = (f: CapabilityFacts): boolean => f.authenticated;
const canAuth = (f: CapabilityFacts): boolean => f.secure || f.insecureAuth;

const TABLE: readonly Entry[] = [
  ["IMAP4rev1", always], // RFC 3501
  ["IMAP4rev2", always], // RFC 9051, once the client ENABLEs it
  ["STARTTLS", (f) => f.starttls && !f.secure], // RFC 9051 §6.2.1
  ["LOGINDISABLED", (f) => !f.authenticated && !canAuth(f)], // RFC 9051 §6.2.3
  ["AUTH=PLAIN", (f) => !f.authenticated && canAuth(f)], // RFC 4616
  ["SASL-IR", always], // RFC 4959: initial response in AUTHENTICATE
  ["ID", always], // RFC 2971
  ["ENABLE", always], // RFC 5161
  ["IDLE", always], // RFC 2177
  ["LITERAL+", always], // RFC 7888 non-synchronizing literals
  ["NAMESPACE", authed], // RFC 2342
  ["UNSELECT", authed], // RFC 3691
  ["UIDPLUS", authed], // RFC 4315 APPENDUID, COPYUID, UID EXPUNGE
  ["MOVE", authed], // RFC 6851
  ["CHILDREN", authed], // RFC 3348 \HasChildren / \HasNoChildren
  ["LIST-EXTENDED", authed], // RFC 5258
  ["LIST-STATUS", authed], // RFC 5819
  ["SPECIAL-USE", authed], // RFC 6154
  ["CREATE-SPECIAL-USE", authed], // RFC 6154 §3: CREATE name (USE (\Sent))
  ["STATUS=SIZE", authed], // RFC 8438
  ["CONDSTORE", authed], // RFC 7162
  ["QRESYNC", authed], // RFC 7162
  ["ESEARCH", authed], // RFC 4731
  ["SEARCHRES", authed], // RFC 5182
  ["WITHIN", authed], // RFC 5032 OLDER / YOUNGER
  ["SORT", authed], // RFC 5256
  ["SORT=DISPLAY", authed], // RFC 5957
  ["THREAD=ORDEREDSUBJECT", authed], // RFC 5256
  ["THREAD=REFERENCES", authed], // RFC 5256
  ["QUOTA", authed], // RFC 9208
  ["QUOTA=RES-STORAGE", authed], // RFC 9208 §5.1
  ["QUOTA=RES-MESSAGE", authed], // RFC 9208 §5.2
  ["BINARY", authed], // RFC 3516
  ["UTF8=ACCEPT", authed], // RFC 6855
  [`APPENDLIMIT=${MAX_APPEND_LITERAL_BYTES}`, authed], // RFC 7889
  ["COMPRESS=DEFLATE", (f) => f.authenticated && !f.compressed], // RFC 4978
];

export function capabilities(facts: CapabilityFacts): string[] {
  return TABLE.filter(([, when]) => when(facts)).map(([name]) => name);
}
