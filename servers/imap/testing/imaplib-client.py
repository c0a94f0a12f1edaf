"""Python's imaplib against our server: login, list, select, fetch, flag, search, copy, move,
append, expunge, logout. Prints one JSON object with what it saw; the Node test asserts on it."""
import imaplib
import json
import os
import ssl
import sys
import time

port = int(os.environ["IMAP_PORT"])
context = ssl.create_default_context(cafile=os.environ["IMAP_CA"])
out = {}

imap = imaplib.IMAP4_SSL("localhost", port, ssl_context=context)
out["login"] = imap.login(os.environ["IMAP_USER"], os.environ["IMAP_PASSWORD"])[0]
typ, boxes = imap.list()
out["list"] = [b.decode() for b in boxes]
typ, data = imap.select("INBOX")
out["exists"] = int(data[0])
typ, data = imap.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)")
out["fetch_header"] = data[0][1].decode().strip()
typ, data = imap.fetch("1", "(BODY[TEXT])")
out["fetch_text"] = data[0][1].decode()
typ, data = imap.store("1", "+FLAGS", "(\\Flagged)")
out["store"] = [d.decode() for d in data]
typ, data = imap.search(None, "FLAGGED")
out["search"] = data[0].decode()
typ, data = imap.uid("SEARCH", None, "ALL")
out["uid_search"] = data[0].decode()
msg = b"From: py@example.org\r\nSubject: from python\r\n\r\nhello from imaplib\r\n"
typ, data = imap.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(time.time()), msg)
out["append"] = [typ, data[0].decode()]
typ, data = imap.copy("1", "Archive")
out["copy"] = [typ, data[0].decode()]
typ, data = imap.uid("MOVE", "1", "Trash")
out["move"] = typ
typ, data = imap.noop()
typ, data = imap.status("Trash", "(MESSAGES)")
out["status_trash"] = data[0].decode()
typ, data = imap.store("1", "+FLAGS", "(\\Deleted)")
typ, data = imap.expunge()
out["expunge"] = [d.decode() for d in data if d]
out["logout"] = imap.logout()[0]
json.dump(out, sys.stdout)
