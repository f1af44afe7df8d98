-- from_confuse.lua - From headers built to confuse the parser, one message
-- each (table: from_cases.tsv); accepted ones carry our header, the others
-- are rejected with the author status's 550 5.7.1 text. The runner checks
-- the author domain or status in the log.
dofile(dir .. "/common.lua")
local conn = open()
ok(mt.helo(conn, "mail.example.com"), "helo")
local n = 0
for line in io.lines(dir .. "/from_cases.tsv") do
	if not string.find(line, "^#") then
		local qid, want, from = string.match(line, "^([^\t]+)\t([^\t]+)\t(.*)$")
		from = string.gsub(from, "\\x(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
		local r = message(conn, {qid = qid, headers = std_headers(from)})
		if string.find(want, "%.") then
			accepted(conn, r, qid)
		else
			rejected(conn, r, AUTHOR_TEXT[want], qid)
		end
		n = n + 1
	end
end
if n < 20 then fail("only %d cases read", n) end
mt.disconnect(conn)
