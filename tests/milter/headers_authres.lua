-- headers_authres.lua - forged Authentication-Results: headers claiming our
-- authserv-id (mx.example.org) at A-R positions 1, 3 and 5 of 6 are deleted
-- by those indexes; those of other ids (2, 4, 6) stay; ours goes in at 0.
dofile(dir .. "/common.lua")
local conn = open()

local forged = {
	{"plain", "mx.example.org; spf=pass smtp.mailfrom=alice@example.com"},
	{"case", "MX.Example.ORG; dkim=pass header.d=example.com"},
	{"dot", "mx.example.org.; dmarc=pass header.from=example.com"},
	{"quoted", "\"mx.example.org\"; spf=pass smtp.mailfrom=alice@example.com"},
	{"comment", "(our MX) mx.example.org; dmarc=pass"},
	{"version", "mx.example.org 1; spf=pass smtp.mailfrom=a@example.com"},
	{"folded", "\r\n\tmx.example.org;\r\n\tdkim=pass header.d=example.com"},
	{"noresult", "mx.example.org; none"},
	{"malformed", "mx.example.org; this is ( not valid"},
}
local others = {
	"relay.example.net; spf=pass smtp.mailfrom=alice@example.com",
	"mx.example.org.evil.example; dmarc=pass",
	"\"mx.example.org x\"; dkim=pass",
}
for _, f in ipairs(forged) do
	local what = "forged A-R (" .. f[1] .. ")"
	local h = std_headers()
	for i = 1, 6 do
		local v = (i % 2 == 1) and f[2] or others[i / 2]
		table.insert(h, 2 * i - 1, {"Authentication-Results", v})
	end
	local r = message(conn, {qid = "AR-" .. f[1], helo = "mail.example.com", headers = h})
	accepted(conn, r, what)
	for idx = 0, 7 do
		local want = (idx == 1 or idx == 3 or idx == 5)
		local got = mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results", idx)
		if got ~= want then
			fail("%s: index %d deleted=%s, expected %s", what, idx, tostring(got),
			     tostring(want))
		end
	end
	if mt.eom_check(conn, MT_HDRDELETE, "Received") or mt.eom_check(conn, MT_HDRDELETE, "From") then
		fail("%s: another header was deleted", what)
	end
end

-- nothing forged: nothing deleted
local h = std_headers()
for i = 1, 3 do table.insert(h, {"Authentication-Results", others[i]}) end
local r = message(conn, {qid = "AR-none", headers = h})
accepted(conn, r, "no forged A-R")
if mt.eom_check(conn, MT_HDRDELETE) then fail("no forged A-R: a header was deleted") end
mt.disconnect(conn)
