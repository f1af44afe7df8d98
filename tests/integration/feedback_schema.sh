#!/bin/sh
# feedback_schema.sh - RFC 9990 report documents (feedback_driver) checked
# against the RFC's schema, $CONFORMANCE_DIR/dmarc-report/dmarc-xml-0.2.xsd,
# with xmllint; and the report message read back by python3's email
# package. TAP.
#
# Documents: a plain one; one with every optional element left out; one
# with 150 DKIM results of every result (100 written), reasons of every
# type, every disposition and SPF result, IPv6 sources and an empty
# envelope_from; and, for each of a list of hostile values (markup,
# control characters, ill-formed UTF-8 of every kind, well-formed
# multi-byte UTF-8, a long one), a document with that value in every
# string field that comes from mail or DNS. Each must validate, and each
# hostile field must read back, through an XML parser, as the value with
# what XML 1.0 cannot carry replaced by U+FFFD (Python's own UTF-8 decoder
# with errors="replace" is the independent reference: it replaces maximal
# subparts as we do).
#
# The check can fail: documents broken on purpose (wrong order of
# elements, a raw '<', a reason type outside the enumeration) must not
# validate.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"
: "${CONFORMANCE_DIR:=$top_srcdir/../shared/conformance}"
xsd="$CONFORMANCE_DIR/dmarc-report/dmarc-xml-0.2.xsd"
driver="$top_builddir/tests/integration/feedback_driver"
if [ ! -r "$xsd" ]; then
	echo "1..0 # SKIP conformance data not found ($xsd)"
	exit 0
fi
if ! command -v xmllint >/dev/null 2>&1; then
	echo "1..0 # SKIP xmllint not found (Debian package libxml2-utils)"
	exit 0
fi
if [ ! -x "$driver" ]; then
	echo "Bail out! $driver not built (make check builds it)"
	exit 1
fi
exec "$PYTHON3" - "$driver" "$xsd" <<'EOF'
import email
import email.policy
import gzip
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

DRIVER, XSD = sys.argv[1], sys.argv[2]
NS = "{urn:ietf:params:xml:ns:dmarc-2.0}"

HOSTILE = [
    b"</domain><domain>evil.example</domain>",
    b"a&b&amp;\"c'd<e>f",
    b"]]><!--<![CDATA[x]]>--><?pi x?>",
    b"a\r\nb\tc\rd\ne \x01\x02\x08\x0b\x0c\x1b[31m\x1f\x7f",
    b"\xff\xfe\xc0\xaf\xc1\xbf\xe0\x80\xaf\xf0\x80\x80\xaf",
    b"\xed\xa0\x80\xed\xbf\xbf\xf4\x90\x80\x80\xf5\x80\x80\x80",
    b"\xef\xbf\xbe\xef\xbf\xbf\xe2\x82 \xf0\x9f\x98<\x80\xbf",
    "b\u00fccher.example \u2709 \U0001F600 \u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"
    " \ufffd \U0010FFFF".encode(),
    b"<" * 300 + b"&" * 300 + b"x" * 2000,
]

# Elements holding the hostile value: (path from the root, how many).
HOSTILE_PATHS = [
    ("report_metadata/org_name", 1),
    ("report_metadata/email", 1),
    ("report_metadata/extra_contact_info", 1),
    ("report_metadata/report_id", 1),
    ("report_metadata/error", 1),
    ("report_metadata/generator", 1),
    ("policy_published/domain", 1),
    ("policy_published/fo", 1),
    ("record/row/source_ip", 1),
    ("record/row/policy_evaluated/reason/comment", 2),
    ("record/identifiers/header_from", 1),
    ("record/identifiers/envelope_from", 1),
    ("record/auth_results/dkim/domain", 2),
    ("record/auth_results/dkim/selector", 2),
    ("record/auth_results/spf/domain", 1),
]

n = 0


def tap(ok, desc, diag=()):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    for line in diag:
        print("#   " + str(line))


def driver(*args):
    return subprocess.run([DRIVER] + list(args), stdout=subprocess.PIPE, check=True).stdout


def validate(doc):
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(doc)
        f.flush()
        r = subprocess.run(["xmllint", "--noout", "--schema", XSD, f.name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode == 0, r.stdout.decode("utf-8", "replace").splitlines()[-5:]


def expected(value):
    """The value as XML can carry it: ill-formed UTF-8, control
    characters and U+FFFE/U+FFFF replaced by U+FFFD."""
    s = value.decode("utf-8", errors="replace")
    return "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or c in "\ufffe\uffff"
                   else c for c in s)


def path(p):
    return "/".join(NS + part for part in p.split("/"))


HOSTILE_DESC = ["markup closing an element", "markup characters and an entity",
                "CDATA end, comment, PI", "CR LF TAB and control characters",
                "overlong UTF-8", "surrogates and code points past U+10FFFF",
                "noncharacters, truncated sequences, stray continuations",
                "well-formed UTF-8 of 2, 3 and 4 bytes", "a long value of markup"]

print("1..%d" % (3 + 2 * len(HOSTILE) + 3 + 4 + 3))

docs = {kind: driver("doc", kind) for kind in ("plain", "minimal", "many")}
for kind in ("plain", "minimal", "many"):
    ok, diag = validate(docs[kind])
    tap(ok, "%s document validates against the schema" % kind, [] if ok else diag)

for i, value in enumerate(HOSTILE):
    doc = driver("doc", "hostile", value)
    ok, diag = validate(doc)
    tap(ok, "hostile value %d (%s) validates" % (i + 1, HOSTILE_DESC[i]), [] if ok else diag)
    bad = []
    try:
        root = ET.fromstring(doc)
        want = expected(value)
        for p, count in HOSTILE_PATHS:
            got = [e.text or "" for e in root.findall(path(p))]
            if len(got) != count:
                bad.append("%s: %d elements, want %d" % (p, len(got), count))
            for g in got:
                if g != want:
                    bad.append("%s: %r != %r" % (p, g[:80], want[:80]))
    except ET.ParseError as e:
        bad.append("not well-formed: %s" % e)
    tap(not bad, "hostile value %d reads back in every field" % (i + 1), bad[:5])

# The many document: what it holds, counted by a parser.
root = ET.fromstring(docs["many"])
recs = root.findall(NS + "record")
first = recs[0]
bad = []
if len(first.findall(path("auth_results/dkim"))) != 100:
    bad.append("first record: %d dkim" % len(first.findall(path("auth_results/dkim"))))
if [e.text for e in first.findall(path("auth_results/dkim/domain"))][-1] != "d99.example":
    bad.append("the first 100 signatures are not the ones kept")
dkim_res = {e.text for e in first.findall(path("auth_results/dkim/result"))}
if dkim_res != {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}:
    bad.append("dkim results %s" % sorted(dkim_res))
tap(not bad, "many: 100 of 150 DKIM results, every DKIM result", bad)
bad = []
types = {e.text for e in root.findall(path("record/row/policy_evaluated/reason/type"))}
if types != {"local_policy", "mailing_list", "other", "policy_test_mode", "trusted_forwarder"}:
    bad.append("reason types %s" % sorted(types))
disp = {e.text for e in root.findall(path("record/row/policy_evaluated/disposition"))}
if disp != {"none", "pass", "quarantine", "reject"}:
    bad.append("dispositions %s" % sorted(disp))
spf = {e.text for e in root.findall(path("record/auth_results/spf/result"))}
if len(spf) != 8:
    bad.append("spf results %s" % sorted(spf))
tap(not bad, "many: every reason type, disposition and SPF result", bad)
bad = []
if first.find(path("row/source_ip")).text != "2001:db8::25":
    bad.append("source_ip %r" % first.find(path("row/source_ip")).text)
ef = first.find(path("identifiers/envelope_from"))
if ef is None or (ef.text or "") != "":
    bad.append("envelope_from not present and empty")
if root.find(path("record/row/count")).text != "1000000":
    bad.append("count")
tap(not bad, "many: IPv6 source, empty envelope_from present, count", bad)

# Broken on purpose: the schema check must be able to fail.
plain = docs["plain"].decode()
broken = {
    "record before policy_published": re.sub(
        r"(  <policy_published>.*?</policy_published>\n)(  <record>.*?</record>\n)",
        r"\2\1", plain, flags=re.S),
    "spf before dkim in policy_evaluated": plain.replace(
        "<dkim>pass</dkim>\n        <spf>fail</spf>",
        "<spf>fail</spf>\n        <dkim>pass</dkim>"),
    "an unescaped '<' in a value": plain.replace(
        "<header_from>example.com<", "<header_from>exa<mple.com<"),
    "a reason type outside the enumeration": plain.replace(
        "</policy_evaluated>",
        "  <reason>\n          <type>bogus</type>\n        </reason>\n      </policy_evaluated>"),
}
for desc, doc in broken.items():
    changed = doc != plain
    ok, diag = validate(doc.encode())
    tap(changed and not ok, "broken document fails validation: %s" % desc,
        ["the document was not changed"] if not changed else [] if not ok else ["validated"])

# The message, read by python3's email package.
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([DRIVER, "mail", tmp + "/r.xml", tmp + "/r.eml"], check=True)
    xml = open(tmp + "/r.xml", "rb").read()
    raw = open(tmp + "/r.eml", "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
bad = []
if msg.defects:
    bad.append("defects %s" % msg.defects)
subject = str(msg["Subject"])
if not re.fullmatch(r"Report\s+Domain:\s+example\.com\s+Submitter:\s+mx\.example\.org"
                    r"\s+Report-ID:\s+<?20240327a1b2c3d4e5f60718>?", subject):
    bad.append("Subject %r" % subject)
if msg.get_content_type() != "multipart/mixed":
    bad.append("type %s" % msg.get_content_type())
parts = [p for p in msg.walk() if not p.is_multipart()]
if [p.get_content_type() for p in parts] != ["text/plain", "application/gzip"]:
    bad.append("parts %s" % [p.get_content_type() for p in parts])
tap(not bad, "message: headers and parts as the email package reads them", bad)

att = parts[-1] if parts else None
fn = att.get_filename() if att is not None else None
bad = []
want_fn = "mx.example.org!example.com!1711497600!1711583999!20240327a1b2c3d4e5f60718.xml.gz"
if fn != want_fn:
    bad.append("filename %r" % fn)
if att is not None and att.get_param("name") != want_fn:
    bad.append("name %r" % att.get_param("name"))
if att is not None and att.get_content_disposition() != "attachment":
    bad.append("disposition %r" % att.get_content_disposition())
data = att.get_payload(decode=True) if att is not None else b""
try:
    if gzip.decompress(data) != xml:
        bad.append("the attachment does not gunzip to the XML")
    name = data[10:data.index(b"\0", 10)] if data[3] & 0x08 else b""
    if name.decode() != want_fn[:-3]:
        bad.append("gzip header name %r" % name)
except (OSError, ValueError, IndexError) as e:
    bad.append("gunzip: %s" % e)
tap(not bad, "message: attachment name, type, gunzips to the XML", bad)
ok, diag = validate(gzip.decompress(data) if data else b"")
tap(ok, "message: the attached document validates", [] if ok else diag)
EOF
