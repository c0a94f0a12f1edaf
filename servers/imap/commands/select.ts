/**
 * SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3) with CONDSTORE and QRESYNC parameters
 * (RFC 7162 §3.1.8, §3.2.5). The untagged responses: FLAGS, PERMANENTFLAGS, EXISTS, RECENT and
 * UNSEEN (IMAP4rev1 only), UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ; then, for QRESYNC, what changed
 * since the client's MODSEQ. A failed SELECT leaves no mailbox selected.
 */
import { bad } from "../protocol/errors.ts";
import { DELIMITER } from "../limits.ts";
import { encodeMailboxName, mailboxArg } from "../protocol/mailbox-name.ts";
import { formatNumberSet, parseSequenceSetText } from "../protocol/sequence-set.ts";
import { atom, str, type Value } from "../protocol/serializer.ts";
import { keyword, list, modseq, number, isAtom, type Token } from "../protocol/tokens.ts";
import { defineCommand, type ParseContext } from "../session/command.ts";
import { SelectedMailbox } from "../session/selected-mailbox.ts";
import { AUTHENTICATED } from "../session/state.ts";

interface Qresync {
  readonly uidValidity: number;
  readonly modseq: number;
  /** Known UIDs as a sequence set text, or undefined for all. */
  readonly knownUids: string | undefined;
}

interface SelectArgs {
  readonly name: string;
  readonly condstore: boolean;
  readonly qresync: Qresync | undefined;
}

function parseSelect([mailbox, params]: readonly Token[], { utf8 }: ParseContext): SelectArgs {
  const name = mailboxArg(mailbox, utf8);
  let condstore = false;
  let qresync: Qresync | undefined;
  const items = params ? list(params, "select parameters") : [];
  for (let i = 0; i < items.length; i++) {
    const param = keyword(items[i], "select parameter");
    if (param === "CONDSTORE") condstore = true;
    else if (param === "QRESYNC") {
      const q = list(items[++i], "QRESYNC parameters");
      const known = q[2];
      if (q.length < 2 || q.length > 4) throw bad("Invalid QRESYNC parameters");
      if (known !== undefined && (!isAtom(known) || known.value === "$")) {
        throw bad("Invalid known UIDs");
      }
      if (isAtom(known)) parseSequenceSetText(known.value);
      qresync = {
        uidValidity: number(q[0], { nonZero: true }),
        modseq: modseq(q[1]),
        knownUids: isAtom(known) ? known.value : undefined,
      };
    } else throw bad(`Unknown SELECT parameter ${param}`);
  }
  return { name, condstore, qresync };
}

function selectCommand(name: "SELECT" | "EXAMINE", readOnly: boolean) {
  return defineCommand({
    name,
    states: AUTHENTICATED,
    args: ["astring", "list?"],
    updates: "none",
    parse: parseSelect,
    async run({ session, state }, args) {
      if (args.qresync && !session.updates.qresync) throw bad("Enable QRESYNC first");
      const base = { kind: "authenticated", user: state.user, account: state.account } as const;
      if (state.kind === "selected") {
        session.setState(base);
        // RFC 7162 §3.2.11, RFC 9051 §6.3.2: the end of the old mailbox's responses.
        if (session.updates.qresync || session.rev2) {
          session.send([atom("OK"), atom("[CLOSED] Previous mailbox closed")]);
        }
      }
      if (args.condstore) session.enable("CONDSTORE");
      const claimRecent = !session.rev2 && !readOnly;
      const { mailbox, summaries } = await SelectedMailbox.open(state.account, args.name, {
        readOnly,
        claimRecent,
      });
      const { status } = mailbox;
      session.send(mailbox.flagsResponse());
      session.send([atom("OK"), atom(`[${mailbox.permanentFlagsCode()}] Flags permitted`)]);
      session.send([mailbox.view.count, atom("EXISTS")]);
      if (!session.rev2) {
        const recent = claimRecent ? mailbox.recent.size : status.recent;
        session.send([recent, atom("RECENT")]);
        const firstUnseen = summaries.findIndex((s) => !s.flags.includes("\\Seen"));
        if (firstUnseen >= 0) {
          session.send([atom("OK"), atom(`[UNSEEN ${firstUnseen + 1}] First unseen`)]);
        }
      }
      session.send([atom("OK"), atom(`[UIDVALIDITY ${status.uidValidity}] UIDs valid`)]);
      session.send([atom("OK"), atom(`[UIDNEXT ${status.uidNext}] Predicted next UID`)]);
      session.send([atom("OK"), atom(`[HIGHESTMODSEQ ${status.highestModseq}] Highest`)]);
      if (session.rev2) {
        // RFC 9051 §6.3.2: the mailbox's name as the server spells it.
        session.send([atom("LIST"), [], str(DELIMITER), encodeMailboxName(status.name, true)]);
      }
      session.setState({ ...base, kind: "selected", mailbox });
      if (args.qresync && args.qresync.uidValidity === status.uidValidity) {
        await resync(session.send.bind(session), mailbox, args.qresync);
      }
      return { code: readOnly ? "READ-ONLY" : "READ-WRITE", text: `${name} completed` };
    },
  });
}

/** RFC 7162 §3.2.5.2: VANISHED (EARLIER) and FETCH for what changed since the client's MODSEQ. */
async function resync(
  send: (values: Value[]) => void,
  mailbox: SelectedMailbox,
  q: Qresync,
): Promise<void> {
  const changes = await mailbox.store.changesSince(q.modseq);
  let vanished = changes.vanished;
  if (q.knownUids !== undefined) {
    const known = parseSequenceSetText(q.knownUids);
    if (known.kind === "ranges") {
      vanished = vanished.filter((uid) =>
        known.ranges.some(([a, b]) => {
          const lo = a === "*" ? Infinity : a;
          const hi = b === "*" ? Infinity : b;
          return uid >= Math.min(lo, hi) && uid <= Math.max(lo, hi);
        }),
      );
    }
  }
  if (vanished.length > 0) {
    send([atom("VANISHED"), [atom("EARLIER")], atom(formatNumberSet(vanished))]);
  }
  for (const message of changes.changed) {
    const seq = mailbox.view.seqOf(message.uid);
    if (seq === undefined) continue;
    send([
      seq,
      atom("FETCH"),
      [
        atom("UID"),
        message.uid,
        atom("FLAGS"),
        mailbox.flags(message.uid, message.flags),
        atom("MODSEQ"),
        [message.modseq],
      ],
    ]);
  }
}

export const select = selectCommand("SELECT", false);
export const examine = selectCommand("EXAMINE", true);
