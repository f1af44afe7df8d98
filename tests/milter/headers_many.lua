-- headers_many.lua - many headers of one name: 20 Received headers are
-- just headers; two or more From headers are rejected (multi_from).
dofile(dir .. "/common.lua")
local conn = open()

local h = {}
for i = 1, 20 do
	h[#h + 1] = {"Received", string.format("from relay%d.example.net (relay%d.example.net "
		.. "[198.51.100.%d]) by mx.example.org; Wed, 25 Nov 2026 12:00:%02d +0000", i, i, i, i)}
end
for _, x in ipairs(std_headers()) do h[#h + 1] = x end
local r = message(conn, {qid = "MANY-RCVD", helo = "mail.example.com", headers = h})
accepted(conn, r, "20 Received headers")
if mt.eom_check(conn, MT_HDRCHANGE) or mt.eom_check(conn, MT_HDRDELETE) then
	fail("20 Received headers: a header was changed or deleted")
end

-- several From headers, in several spellings and places
local cases = {
	{"MANY-FROM2", {"From", "Alice <alice@example.com>"}},
	{"MANY-FROM-CASE", {"FROM", "alice@example.com"}},
	{"MANY-FROM-SAME", {"from", "Alice <alice@example.com>"}},
}
for _, c in ipairs(cases) do
	local hh = std_headers()
	table.insert(hh, 3, c[2])
	r = message(conn, {qid = c[1], headers = hh})
	rejected(conn, r, AUTHOR_TEXT.multi_from, c[1])
end
local hh = std_headers()
for i = 1, 5 do table.insert(hh, {"From", "x" .. i .. "@example.com"}) end
r = message(conn, {qid = "MANY-FROM6", headers = hh})
rejected(conn, r, AUTHOR_TEXT.multi_from, "MANY-FROM6")
mt.disconnect(conn)
