-- abort.lua - a message aborted (SMFIC_ABORT) at each stage, then a second
-- message on the same connection: it must get its own verdict, untouched
-- by the aborted message's From (would make multi_from) or forged A-R
-- header (would be deleted). (Under SMFIP_NORCPT no RCPT is sent: the
-- "rcpt" stage is then the same as "mail".)
dofile(dir .. "/common.lua")
local conn = open()
ok(mt.helo(conn, "mail.example.com"), "helo")
local stages = {"mail", "rcpt", "headers", "eoh", "body"}
for n, upto in ipairs(stages) do
	local qid = "ABT-" .. upto
	ok(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro")
	ok(mt.mailfrom(conn, "<m@evil.example>"), "mailfrom")
	if upto ~= "mail" then
		ok(rcptto(conn, "<bob@example.org>"), "rcptto")
	end
	if upto == "headers" or upto == "eoh" or upto == "body" then
		ok(mt.header(conn, "From", "Mallory <m@evil.example>"), "header")
		ok(mt.header(conn, "Authentication-Results", "mx.example.org; dmarc=pass"), "header")
	end
	if upto == "eoh" or upto == "body" then ok(mt.eoh(conn), "eoh") end
	if upto == "body" then ok(mt.bodystring(conn, "half a bo"), "body") end
	ok(mt.abort(conn), "abort")

	local r = message(conn, {qid = qid .. "-next", headers = std_headers()})
	accepted(conn, r, "after abort at " .. upto)
	if mt.eom_check(conn, MT_HDRDELETE) then
		fail("after abort at %s: a header of the aborted message was deleted", upto)
	end
end
mt.disconnect(conn)
