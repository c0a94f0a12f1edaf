/**
 * What LOGIN and AUTHENTICATE share: the TLS rule, the directory call, the reply codes
 * (RFC 5530: AUTHENTICATIONFAILED, UNAVAILABLE, PRIVACYREQUIRED) and the state change.
 */
import { no } from "../protocol/errors.ts";
import type { Completion, SessionApi } from "../session/command.ts";

export function requirePrivacy(session: SessionApi): void {
  if (!session.secure && !session.settings.insecureAuth) {
    throw no("Log in after STARTTLS", "PRIVACYREQUIRED");
  }
}

export async function authenticateUser(
  session: SessionApi,
  login: string,
  password: string,
): Promise<Completion> {
  requirePrivacy(session);
  const result = await session.services.directory.authenticate(login, password, {
    remoteAddress: session.remoteAddress,
  });
  if (!result.ok) {
    session.log.info({ login, reason: result.reason }, "authentication failed");
    session.authFailed();
    if (result.reason === "invalid") throw no("Authentication failed", "AUTHENTICATIONFAILED");
    if (result.reason === "throttled") {
      throw no("Too many failures; try again later", "UNAVAILABLE");
    }
    throw no("Directory unavailable; try again later", "UNAVAILABLE");
  }
  await session.login(result.user);
  session.log.info("logged in");
  return { code: `CAPABILITY ${session.capabilities().join(" ")}`, text: "Logged in" };
}
