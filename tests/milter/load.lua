-- load.lua - N messages (-D n=...) over connections of 10 messages each:
-- accepted, multi-From rejected, forged A-R removed, aborted, dropped.
dofile(dir .. "/common.lua")
local n = tonumber(n or 200)
local sent, conn = 0, nil
while sent < n do
	if sent % 10 == 0 then
		if conn ~= nil then mt.disconnect(conn) end
		conn = open()
		ok(mt.helo(conn, "mail.example.com"), "helo")
	end
	local k = sent % 5
	local h = std_headers()
	if k == 1 then table.insert(h, {"From", "x@evil.example"}) end
	if k == 2 then table.insert(h, 1, {"Authentication-Results", "mx.example.org; spf=pass"}) end
	if k == 3 then
		send(conn, {qid = "LOAD-" .. sent, headers = h})
		ok(mt.abort(conn), "abort")
	else
		local r = message(conn, {qid = "LOAD-" .. sent, headers = h})
		if k == 1 then rejected(conn, r, AUTHOR_TEXT.multi_from, "LOAD-" .. sent)
		else accepted(conn, r, "LOAD-" .. sent) end
	end
	sent = sent + 1
end
mt.disconnect(conn, false)
