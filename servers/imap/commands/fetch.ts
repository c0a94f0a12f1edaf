/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9) with CHANGEDSINCE and VANISHED (RFC 7162).
 * Messages are read from the store in batches and each response is written as soon as it is
 * built, so a 1:* fetch of a large mailbox streams. Non-PEEK body items set \Seen first and the
 * response then carries the new FLAGS. A message another session expunged (still in our view)
 * is skipped and the tagged reply says EXPUNGEISSUED (RFC 5530).
 */
import type { MessageMetadata, MessageSummary } from "../../store/index.ts";
import { FETCH_BATCH } from "../limits.ts";
import { bad } from "../protocol/errors.ts";
import { formatNumberSet, sequenceSet } from "../protocol/sequence-set.ts";
import { atom, type Value } from "../protocol/serializer.ts";
import { parseFetch, type FetchItem } from "../fetch/fetch-items.ts";
import {
  itemValues,
  MessageGone,
  needsMetadata,
  quickValues,
  readsContent,
  setsSeen,
} from "../fetch/fetch-message.ts";
import { isSimpleFetch, simpleFetchLine } from "../fetch/simple-fetch.ts";
import { defineCommand } from "../session/command.ts";
import { chunkPositions } from "./positions.ts";
import { SELECTED } from "../session/state.ts";

function fetchCommand(name: "FETCH" | "UID FETCH", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["atom", "any", "list?"],
    updates: uid ? "all" : "no-expunge",
    parse: ([set, ...rest]) => ({ set: sequenceSet(set), request: parseFetch(rest, uid) }),
    async run({ session, state }, { set, request }) {
      const { mailbox } = state;
      let items: readonly FetchItem[] = request.items;
      if (uid && !items.some((i) => i.kind === "UID")) items = [{ kind: "UID" }, ...items];
      const { changedSince } = request;
      if (changedSince !== undefined && !items.some((i) => i.kind === "MODSEQ")) {
        items = [...items, { kind: "MODSEQ" }];
      }
      if (items.some((i) => i.kind === "MODSEQ")) session.enable("CONDSTORE");
      if (request.vanished && !session.updates.qresync) throw bad("Enable QRESYNC first");
      const positions = mailbox.view.resolve(set, uid, mailbox.saved);

      if (request.vanished && changedSince !== undefined && set.kind === "ranges") {
        // RFC 7162 §3.2.6: expunged UIDs of the requested set, whether the view had them or not.
        const changes = await mailbox.store.changesSince(changedSince);
        const max = mailbox.view.maxUid;
        const wanted = changes.vanished.filter((u) =>
          set.ranges.some(([a, b]) => {
            const lo = a === "*" ? max : a;
            const hi = b === "*" ? max : b;
            return u >= Math.min(lo, hi) && u <= Math.max(lo, hi);
          }),
        );
        if (wanted.length > 0) {
          session.send([atom("VANISHED"), [atom("EARLIER")], atom(formatNumberSet(wanted))]);
        }
      }

      const markSeen = setsSeen(items) && !mailbox.readOnly;
      const withMetadata = needsMetadata(items);
      const hasFlags = items.some((i) => i.kind === "FLAGS");
      const hasModseq = items.some((i) => i.kind === "MODSEQ");
      const light = !readsContent(items);
      const simple = isSimpleFetch(items);
      let gone = false;
      for (const chunk of chunkPositions(positions, light ? FETCH_BATCH * 10 : FETCH_BATCH)) {
        const uidSet = mailbox.view.uidSet(chunk);
        const summaries = new Map<number, MessageSummary>();
        for (const s of await mailbox.store.list(uidSet)) summaries.set(s.uid, s);
        const flagged = new Set<number>();
        if (markSeen) {
          const unseen = [...summaries.values()].filter((s) => !s.flags.includes("\\Seen"));
          if (unseen.length > 0) {
            const result = await mailbox.store.storeFlags(
              unseen.map((s): [number, number] => [s.uid, s.uid]),
              "add",
              ["\\Seen"],
            );
            for (const m of result.messages) {
              summaries.set(m.uid, m);
              if (m.changed) {
                flagged.add(m.uid);
                mailbox.noteReported(m.uid, m.modseq);
              }
            }
          }
        }
        if (hasFlags)
          mailbox.announceKeywords(
            [...summaries.values()].map((m) => m.flags),
            session,
          );
        const metadata = new Map<number, MessageMetadata>();
        if (withMetadata)
          for (const m of await mailbox.store.metadata(uidSet)) metadata.set(m.uid, m);
        if (simple) {
          let text = "";
          for (const [start, end] of chunk) {
            for (let position = start; position <= end; position++) {
              const messageUid = mailbox.view.uidAt(position);
              const summary = summaries.get(messageUid);
              if (!summary) gone = true;
              else if (changedSince === undefined || summary.modseq > changedSince) {
                const flags = mailbox.flagText(messageUid, summary.flags);
                text += simpleFetchLine(position + 1, summary, items, flags);
              }
            }
          }
          session.sendRaw(Buffer.from(text, "latin1"));
          await session.flush();
          continue;
        }
        const batch: Value[][] = [];
        for (const [start, end] of chunk) {
          for (let position = start; position <= end; position++) {
            const messageUid = mailbox.view.uidAt(position);
            const summary = summaries.get(messageUid);
            if (!summary) {
              gone = true;
              continue;
            }
            if (changedSince !== undefined && summary.modseq <= changedSince) continue;
            const ctx = {
              view: mailbox.store,
              summary,
              metadata: metadata.get(messageUid),
              flags: (u: number, f: readonly string[]) => mailbox.flags(u, f),
            };
            const values: Value[] = [];
            try {
              for (const item of items) {
                values.push(
                  ...(light ? (quickValues(ctx, item) ?? []) : await itemValues(ctx, item)),
                );
              }
            } catch (error) {
              if (!(error instanceof MessageGone)) throw error;
              gone = true;
              continue;
            }
            if (flagged.has(messageUid) && !hasFlags) {
              values.push(atom("FLAGS"), mailbox.flags(messageUid, summary.flags));
            }
            if (flagged.has(messageUid) && session.updates.condstore) {
              // RFC 7162 §3.1: a FETCH that set \Seen reports UID and MODSEQ with CONDSTORE on.
              if (!hasModseq) values.push(atom("MODSEQ"), [summary.modseq]);
              if (!items.some((i) => i.kind === "UID")) values.unshift(atom("UID"), messageUid);
            }
            // Small responses go out a batch at a time; message contents one by one.
            if (light) batch.push([position + 1, atom("FETCH"), values]);
            else {
              session.send([position + 1, atom("FETCH"), values]);
              await session.flush();
            }
          }
        }
        session.sendMany(batch);
        await session.flush();
      }
      if (gone && !uid) {
        return {
          status: "NO",
          code: "EXPUNGEISSUED",
          text: "Some of the requested messages no longer exist",
        };
      }
    },
  });
}

export const fetch = fetchCommand("FETCH", false);
export const uidFetch = fetchCommand("UID FETCH", true);
