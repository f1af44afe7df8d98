-- eightbit.lua - 8-bit bytes in header values, 8-bit bytes, NUL bytes,
-- bare CR/LF (sent from a file: mt.bodystring stops at NUL) and a 300 KB
-- line without a newline in the body. The runner gives tmp=DIR.
dofile(dir .. "/common.lua")
local conn = open()
ok(mt.helo(conn, "mail.example.com"), "helo")

local h = std_headers("=?iso-8859-1?q?J=FCrgen?= <alice@example.com>")
h[3] = {"Subject", "Gr\252\223e \255\254 \195\164\195\182"}
table.insert(h, {"X-Latin1", "caf\233 na\239ve"})
local r = message(conn, {qid = "8BIT-HDR", headers = h})
accepted(conn, r, "8-bit header values")

local bodies = {
	{"8BIT-BODY", "Gr\252\223e\r\n\255\254\253\r\n\195\164\r\n"},
	{"NUL-BODY", "a\0b\0\0c\r\n\0\r\n"},
	{"CRLF-BODY", "bare\rcr\nbare lf\r\n\r\r\n\n"},
}
for _, b in ipairs(bodies) do
	local path = tmp .. "/" .. b[1]
	local f = assert(io.open(path, "wb"))
	f:write(b[2])
	f:close()
	if send(conn, {qid = b[1], headers = std_headers(), body = false}) ~= SMFIR_CONTINUE then
		fail("%s: refused before the body", b[1])
	end
	ok(mt.bodyfile(conn, path), "bodyfile")
	ok(mt.eom(conn), "eom")
	accepted(conn, mt.getreply(conn), b[1])
end

-- a 300 KB line without a newline, in 60 KB chunks (mt.bodyfile sends
-- 65536-byte chunks)
send(conn, {qid = "LONG-LINE", headers = std_headers(), body = false})
for i = 1, 5 do ok(mt.bodystring(conn, string.rep("x", 60000)), "body chunk") end
ok(mt.eom(conn), "eom")
accepted(conn, mt.getreply(conn), "LONG-LINE")
mt.disconnect(conn)
