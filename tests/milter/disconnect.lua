-- disconnect.lua - connections dropped in the middle of a message (abrupt
-- close or QUIT) at several points; afterwards a new connection works.
dofile(dir .. "/common.lua")
local cases = {
	{"DIS-mail", "mail", false},
	{"DIS-headers", "headers", false},
	{"DIS-headers-quit", "headers", true},
	{"DIS-eoh", "eoh", false},
	{"DIS-body", "body", false},
	{"DIS-body-quit", "body", true},
}
for _, c in ipairs(cases) do
	local conn = open()
	ok(mt.helo(conn, "mail.example.com"), "helo")
	ok(mt.macro(conn, SMFIC_MAIL, "i", c[1]), "macro")
	ok(mt.mailfrom(conn, "<alice@example.com>"), "mailfrom")
	if c[2] ~= "mail" then
		ok(rcptto(conn, "<bob@example.org>"), "rcptto")
		for _, h in ipairs(std_headers()) do ok(mt.header(conn, h[1], h[2]), "header") end
	end
	if c[2] == "eoh" or c[2] == "body" then ok(mt.eoh(conn), "eoh") end
	if c[2] == "body" then ok(mt.bodystring(conn, "part of the bo"), "body") end
	mt.disconnect(conn, c[3])
end
mt.sleep(0.2)
local conn = open()
local r = message(conn, {qid = "DIS-OK", helo = "mail.example.com", headers = std_headers()})
accepted(conn, r, "new connection after the drops")
mt.disconnect(conn)
