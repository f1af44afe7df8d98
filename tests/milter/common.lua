-- common.lua - helpers for the miltertest scripts (loaded with dofile)
-- The runner defines port and dir (-D port=... -D dir=...).
mt.set_timeout(20)

local names = {}
for _, k in ipairs({"SMFIR_ACCEPT", "SMFIR_CONTINUE", "SMFIR_REJECT", "SMFIR_TEMPFAIL",
		    "SMFIR_REPLYCODE", "SMFIR_DISCARD", "SMFIR_SKIP"}) do
	if _G[k] ~= nil then names[_G[k]] = k end
end

function rname(r)
	return names[r] or tostring(r)
end

function fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

-- a milter call must return nil (success)
function ok(rc, what)
	if rc ~= nil then fail("%s: %s", what, tostring(rc)) end
end

function expect(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then fail("%s: reply %s, expected %s", what, rname(got), rname(want)) end
end

function open(ip, host)
	local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.05)
	if conn == nil then fail("cannot connect to port %s", port) end
	if ip ~= false then
		ok(mt.conninfo(conn, host or "mail.example.com", ip or "192.0.2.10"), "conninfo")
		expect(conn, SMFIR_CONTINUE, "conninfo")
	end
	return conn
end

-- Whether the milter excluded a protocol step at negotiation with its
-- SMFIP_NO* bit (e.g. SMFIP_NORCPT): an MTA then leaves that step out, and
-- miltertest refuses to send it (the mt.* call raises "negotiated SMFIP_NO...").
function excluded(conn, nobit)
	return mt.test_option(conn, nobit)
end

-- RCPT TO as an MTA sends it: not at all when the milter negotiated
-- SMFIP_NORCPT (returns nil then, like a sent step), else mt.rcptto.
function rcptto(conn, ...)
	if excluded(conn, SMFIP_NORCPT) then return nil end
	return mt.rcptto(conn, ...)
end

-- m = {qid=, from=, rcpt=, headers={{name, value}...}, body=, helo=}
-- Sends one message up to (not including) end of message.
function send(conn, m)
	if m.helo ~= nil then ok(mt.helo(conn, m.helo), "helo") end
	if m.macros ~= nil then
		ok(mt.macro(conn, SMFIC_MAIL, table.unpack(m.macros)), "macro")
	elseif m.qid ~= nil then
		ok(mt.macro(conn, SMFIC_MAIL, "i", m.qid), "macro")
	end
	ok(mt.mailfrom(conn, m.from or "<alice@example.com>"), "mailfrom")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then return mt.getreply(conn) end
	ok(rcptto(conn, m.rcpt or "<bob@example.org>"), "rcptto")
	for i, h in ipairs(m.headers or {}) do
		ok(mt.header(conn, h[1], h[2]), "header " .. i)
	end
	ok(mt.eoh(conn), "eoh")
	if m.body ~= false then ok(mt.bodystring(conn, m.body or "Hello.\r\n"), "body") end
	return SMFIR_CONTINUE
end

-- A whole message; returns the end-of-message reply.
function message(conn, m)
	local r = send(conn, m)
	if r ~= SMFIR_CONTINUE then return r end
	ok(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

function std_headers(from)
	return {
		{"From", from or "Alice <alice@example.com>"},
		{"To", "bob@example.org"},
		{"Subject", "test"},
		{"Date", "Wed, 25 Nov 2026 12:00:00 +0000"},
		{"Message-ID", "<t@example.com>"},
	}
end

-- Our Authentication-Results header was inserted at the top.
function stamped(conn, what)
	local v = mt.getheader(conn, "Authentication-Results", 0)
	if v == nil then fail("%s: no Authentication-Results added", what) end
	if not string.find(v, "^ ?mx%.example%.org;") then
		fail("%s: Authentication-Results %q is not ours", what, v)
	end
	if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results", v, 0) then
		fail("%s: Authentication-Results not inserted at index 0", what)
	end
	return v
end

function not_stamped(conn, what)
	if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
		fail("%s: a header was added", what)
	end
end

-- (miltertest compares the whole reply: code, enhanced code and text)
function reply_is(conn, code, xcode, text, what)
	if not mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text) then
		fail("%s: no SMTP reply \"%s %s %s\"", what, code, xcode, text)
	end
end

DMARC_REJECT = "Unauthenticated email from %s is not accepted due to the domain's DMARC policy (p=reject)"
TOO_BIG = "Message header exceeds the size limit"

AUTHOR_TEXT = {
	no_from = "Message has no From header",
	multi_from = "Message has more than one From header",
	multi_domain = "From header names addresses in more than one domain",
	unparseable = "From header cannot be parsed",
}

-- Rejected with "550 5.7.1 <text>" and nothing stamped.
function rejected(conn, r, text, what)
	if r ~= SMFIR_REPLYCODE and r ~= SMFIR_REJECT then
		fail("%s: reply %s, expected a reject", what, rname(r))
	end
	reply_is(conn, "550", "5.7.1", text, what)
	not_stamped(conn, what)
end

function accepted(conn, r, what)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		fail("%s: reply %s, expected continue/accept", what, rname(r))
	end
	return stamped(conn, what)
end
