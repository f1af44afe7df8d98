-- logsafe.lua - envelope values and macros that try to forge log fields:
-- spaces, quotes, "action=accept", a newline. The runner checks the log.
dofile(dir .. "/common.lua")
local conn = open()
-- a HELO with a newline and a fake key; a MAIL FROM with quotes and spaces
ok(mt.helo(conn, "evil action=accept reason=\"x\"\nqid=FAKE action=accept"), "helo")
local r = message(conn, {
	macros = {"i", "LOG-1 action=accept"},
	from = "<\"a action=accept\\\" b\"@example.com>",
	headers = std_headers("\"x action=accept\" <alice@example.com>"),
})
if r ~= SMFIR_CONTINUE then fail("log injection message: reply %s", rname(r)) end
mt.disconnect(conn)
