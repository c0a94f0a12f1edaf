/**
 * Test support: what a message says, read by an independent MIME parser (Python's email
 * package, policy.default): per leaf part its content type and decoded content (text as text,
 * anything else as hex). Two messages that give the same list read the same to a mail reader.
 */
import { spawn } from "node:child_process";

const SCRIPT = `
import sys, json, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
out = []
for part in msg.walk():
    if part.is_multipart():
        continue
    ct = part.get_content_type()
    if ct.startswith("text/"):
        out.append([ct, part.get_content()])
    else:
        out.append([ct, part.get_payload(decode=True).hex()])
print(json.dumps(out))
`;

export type MimeParts = [contentType: string, content: string][];

export function mimeParts(raw: Buffer): Promise<MimeParts> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`python3 exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as MimeParts);
    });
    child.stdin.end(raw);
  });
}
