/** Start: the mail view when a session exists, else the login form. */
import { api, ApiError, setCsrfToken } from "./api.ts";
import { startApp } from "./app.ts";
import { showLogin } from "./login.ts";

async function boot(): Promise<void> {
  const root = document.getElementById("app");
  if (root === null) return;
  try {
    const session = await api.get<{ address: string; csrfToken: string }>("/api/session");
    setCsrfToken(session.csrfToken);
    await startApp(root, session.address);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
    showLogin(root, async (address) => startApp(root, address));
  }
}

void boot();
