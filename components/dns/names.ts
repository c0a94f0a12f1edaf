/**
 * DNS names as the stack writes them: lower case, fully qualified, without the trailing dot.
 * Validation follows RFC 1035 §2.3.4 (labels of 1..63 octets, names of at most 253 characters in
 * text form, i.e. 255 octets on the wire) and RFC 1123 §2.1 host labels; a leading underscore is
 * allowed for the service labels of RFC 8552 (`_dmarc`, `_tcp`, `_domainkey`, ...).
 */
import { DnsRecordsError } from "./errors.ts";

/** RFC 1035 §2.3.4. */
export const MAX_LABEL_OCTETS = 63;
/** RFC 1035 §2.3.4: 255 octets on the wire is 253 characters in text form without the final dot. */
export const MAX_NAME_LENGTH = 253;

const LABEL = /^_?[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** The reason `name` is not a valid owner or target name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name.endsWith(".")) return "write names without the trailing dot";
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_LENGTH) {
    return `longer than ${MAX_NAME_LENGTH} characters`;
  }
  for (const label of name.split(".")) {
    const octets = Buffer.byteLength(label, "utf8");
    if (octets === 0) return "has an empty label";
    if (octets > MAX_LABEL_OCTETS) {
      return `label "${label}" is ${octets} octets, more than ${MAX_LABEL_OCTETS}`;
    }
    if (!LABEL.test(label)) {
      return `label "${label}" may hold only letters, digits, inner hyphens and a leading underscore`;
    }
  }
  return undefined;
}

/** Throws NAME_INVALID naming `context` (why the name exists) when `name` is not valid. */
export function checkName(name: string, context: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new DnsRecordsError("NAME_INVALID", `${context}: "${name}" ${problem}`);
  }
}

/** True when `name` is `zone` itself or a name below it. */
export function isAtOrBelow(name: string, zone: string): boolean {
  const n = name.toLowerCase();
  const z = zone.toLowerCase();
  return n === z || n.endsWith(`.${z}`);
}

/** The longest of `zones` that holds `name`, or undefined when none does. */
export function zoneHolding(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const zone of zones) {
    if (isAtOrBelow(name, zone) && (best === undefined || zone.length > best.length)) best = zone;
  }
  return best;
}

/** `name` relative to `zone`: "@" for the apex, "_dmarc" for `_dmarc.<zone>`. */
export function relativeName(name: string, zone: string): string {
  if (name === zone) return "@";
  return name.slice(0, -(zone.length + 1));
}

/** The name with its trailing dot, as zone files write absolute names (RFC 1035 §5.1). */
export function absolute(name: string): string {
  return name === "." ? "." : `${name}.`;
}
