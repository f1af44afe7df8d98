-- malformed.lua - malformed header names and values next to a good From:
-- each message still gets a verdict (accept, stamped) and a log line.
dofile(dir .. "/common.lua")
local bad = {
	{"X Bad Name", "space in the name"},
	{"X-Colon:Name", "colon in the name"},
	{"X-Empty", ""},
	{"X-Spaces", "     "},
	{"X-CRLF", "line1\r\nline2 not folded"},
	{"X-Bare-LF", "a\nb\rc"},
	{"X-Long-" .. string.rep("n", 900), "long name"},
	{"X-Ctl", "\1\2\3\27\127"},
	{"DKIM-Signature", ""},
	{"DKIM-Signature", "v=1; a=rsa-sha256"},
	{"DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=nosuch; h=from; bh=!!; b=;;;"},
	{"DKIM-Signature", "v=1; a=rsa-sha256; d=; s=; h=; bh=; b="},
	{"Authentication-Results", ""},
	{"Authentication-Results", "(unterminated mx.example.org; spf=pass"},
	{"Authentication-Results", "\"unterminated mx.example.org; spf=pass"},
	{"Received", string.rep("(", 500) .. "deep"},
}
local conn = open()
ok(mt.helo(conn, "mail.example.com"), "helo")
for i, b in ipairs(bad) do
	local h = std_headers()
	table.insert(h, 2, b)
	local r = message(conn, {qid = "BAD-" .. i, headers = h})
	accepted(conn, r, "malformed " .. i .. " (" .. string.sub(b[1], 1, 20) .. ")")
	if mt.eom_check(conn, MT_HDRDELETE) then fail("malformed %d: a header was deleted", i) end
end
mt.disconnect(conn)
