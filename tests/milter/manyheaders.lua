-- manyheaders.lua - limits.max_headers (default 1000): exactly 1000 header
-- fields are checked; 1001 and 10,000 are refused with 552 5.3.4.
dofile(dir .. "/common.lua")
local conn = open()
ok(mt.helo(conn, "mail.example.com"), "helo")
local cases = {{"HDR-1000", 1000, true}, {"HDR-1001", 1001, false}, {"HDR-10000", 10000, false}}
for _, c in ipairs(cases) do
	local h = std_headers()
	while #h < c[2] do h[#h + 1] = {"X-Filler", "header " .. #h} end
	local r = message(conn, {qid = c[1], headers = h})
	if c[3] then
		accepted(conn, r, c[1])
	else
		if r ~= SMFIR_REPLYCODE and r ~= SMFIR_REJECT then
			fail("%s: reply %s, expected a reject", c[1], rname(r))
		end
		reply_is(conn, "552", "5.3.4", TOO_BIG, c[1])
		not_stamped(conn, c[1])
	end
end
mt.disconnect(conn)
