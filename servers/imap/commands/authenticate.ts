/**
 * AUTHENTICATE (RFC 9051 §6.2.2) with the PLAIN mechanism (RFC 4616) and an optional initial
 * response (SASL-IR, RFC 4959). Without one, an empty continuation asks for it; "*" cancels.
 */
import { bad, no } from "../protocol/errors.ts";
import { isAtom, keyword } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { NOT_AUTHENTICATED } from "../session/state.ts";
import { authenticateUser, requirePrivacy } from "./auth-common.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodePlain(text: string): { login: string; password: string } {
  if (text === "*") throw bad("Authentication cancelled");
  if (!BASE64.test(text)) throw bad("Invalid base64");
  const parts = Buffer.from(text, "base64").toString("utf8").split("\0");
  if (parts.length !== 3) throw bad("Invalid PLAIN response");
  const [authzid = "", login = "", password = ""] = parts;
  // No proxy authorization: an authorization identity must be the login itself.
  if (authzid !== "" && authzid !== login) {
    throw no("Cannot act as another user", "AUTHORIZATIONFAILED");
  }
  return { login, password };
}

export const authenticate = defineCommand({
  name: "AUTHENTICATE",
  states: NOT_AUTHENTICATED,
  args: ["atom", "atom?"],
  updates: "none",
  parse: ([mechanism, initial]) => ({
    mechanism: keyword(mechanism, "SASL mechanism"),
    // RFC 4959: "=" stands for an empty initial response.
    initial: isAtom(initial) ? (initial.value === "=" ? "" : initial.value) : undefined,
  }),
  async run({ session }, { mechanism, initial }) {
    if (mechanism !== "PLAIN") throw no("Unsupported mechanism", "CANNOT");
    requirePrivacy(session);
    let response = initial;
    if (response === undefined) {
      session.continuation("");
      const line = await session.readLine();
      if (line === undefined) throw bad("Connection closed");
      response = line.toString("latin1");
    }
    const { login, password } = decodePlain(response);
    return authenticateUser(session, login, password);
  },
});
