-- macros.lua - what the MTA may leave out or add: no {i} macro, an empty
-- HELO, an IPv6 client, a client of unknown address family (skipped), and
-- an authenticated submission ({auth_authen}: skipped, then the next
-- message on the connection is checked as usual).
dofile(dir .. "/common.lua")

-- no macros at all: the log shows qid=-
local conn = open()
local r = message(conn, {helo = "mail.example.com", from = "<noqid@example.com>",
			 headers = std_headers("noqid@example.com")})
accepted(conn, r, "no {i}")
mt.disconnect(conn)

-- HELO with an empty name
conn = open()
ok(mt.helo(conn, ""), "empty helo")
r = message(conn, {qid = "MAC-EMPTYHELO", headers = std_headers()})
accepted(conn, r, "empty HELO")
mt.disconnect(conn)

-- IPv6 client inside example.com's ip6:2001:db8::/32
conn = open("2001:db8::25")
r = message(conn, {qid = "MAC-V6", helo = "mail.example.com", headers = std_headers()})
local ar = accepted(conn, r, "IPv6 client")
if not string.find(ar, "spf=pass smtp.mailfrom=alice@example.com", 1, true) then
	fail("IPv6 client: SPF did not pass: %s", ar)
end
mt.disconnect(conn)

-- unknown address family: nothing to authenticate, accepted at connect
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.05)
ok(mt.conninfo(conn, "localhost", "unspec"), "conninfo unspec")
expect(conn, SMFIR_ACCEPT, "unknown address family")
mt.disconnect(conn)

-- authenticated: skipped at MAIL FROM, no verdict, no header
conn = open()
ok(mt.helo(conn, "client.example.net"), "helo")
ok(mt.macro(conn, SMFIC_MAIL, "i", "MAC-AUTH", "{auth_authen}", "alice",
	    "{auth_type}", "PLAIN"), "auth macros")
ok(mt.mailfrom(conn, "<alice@example.com>"), "mailfrom")
expect(conn, SMFIR_ACCEPT, "{auth_authen} set")
-- the next message on the same connection, not authenticated
r = message(conn, {qid = "MAC-AFTERAUTH", headers = std_headers()})
accepted(conn, r, "message after an authenticated one")
mt.disconnect(conn)
