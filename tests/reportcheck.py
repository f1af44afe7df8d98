#!/usr/bin/python3
"""reportcheck.py - read DMARC aggregate report messages as a receiver would

  reportcheck.py read DIR XMLDIR     every message file in DIR (smtp-sink
                                     dumps or --dry-run .eml files)
  reportcheck.py summary FILE.xml... the rows of report files

read checks each message the way RFC 9990 section 3 asks a report to look,
writes the XML of each report to XMLDIR/N.xml (for xmllint --schema), and
prints one line a report and one a row:

  report N DOMAIN TO REPORT_ID PROBLEMS      PROBLEMS "ok" or a list
  row N DOMAIN SOURCE_IP DISPOSITION DKIM SPF COUNT HEADER_FROM REASONS

A problem is anything a receiver could trip on: no application/gzip part,
a file name not of the RFC's form or not matching the date range, a
Report-ID that differs between the Subject, the file name and the XML, a
Subject not of the RFC's form, a To that is not the envelope recipient.
Exit 0 when there was no problem, 1 otherwise.
"""
import email
import email.policy
import glob
import gzip
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = {'d': 'urn:ietf:params:xml:ns:dmarc-2.0'}


def text(el, path):
    x = el.find(path, NS)
    return x.text if x is not None and x.text is not None else ''


def rows_of(root):
    domain = text(root, 'd:policy_published/d:domain')
    for rec in root.findall('d:record', NS):
        pe = rec.find('d:row/d:policy_evaluated', NS)
        reasons = ','.join(text(r, 'd:type') for r in pe.findall('d:reason', NS)) or '-'
        yield (domain, text(rec, 'd:row/d:source_ip'), text(pe, 'd:disposition'),
               text(pe, 'd:dkim'), text(pe, 'd:spf'), text(rec, 'd:row/d:count'),
               text(rec, 'd:identifiers/d:header_from') or '-', reasons)


def check_message(path, m):
    problems = []
    rcpt = ''
    for v in m.get_all('X-Rcpt-Args') or []:  # smtp-sink's envelope: "TO:<a@b> ..."
        am = re.search(r'<([^>]*)>', v)
        rcpt = am.group(1) if am else v.strip()
    subject = ' '.join(str(m.get('Subject', '')).split())
    to = str(m.get('To', '')).strip()
    if rcpt and to != rcpt:
        problems.append('to:%s!=rcpt:%s' % (to, rcpt))
    sm = re.fullmatch(r'Report Domain: (\S+) Submitter: (\S+) Report-ID: <?([A-Za-z0-9]+)>?',
                      subject)
    if not sm:
        problems.append('subject')
    parts = [p for p in m.walk() if p.get_content_type() == 'application/gzip']
    if len(parts) != 1:
        return None, ['gzip-parts:%d' % len(parts)], to
    fn = parts[0].get_filename() or ''
    fm = re.fullmatch(r'([A-Za-z0-9.-]+)!([A-Za-z0-9.-]+)!(\d+)!(\d+)!([A-Za-z0-9]+)\.xml\.gz', fn)
    if not fm:
        problems.append('filename:%s' % fn)
    try:
        xml = gzip.decompress(parts[0].get_payload(decode=True))
        root = ET.fromstring(xml)
    except Exception as e:  # noqa: BLE001 - any failure is a problem to report
        return None, problems + ['xml:%s' % e], to
    rid = text(root, 'd:report_metadata/d:report_id')
    begin = text(root, 'd:report_metadata/d:date_range/d:begin')
    end = text(root, 'd:report_metadata/d:date_range/d:end')
    domain = text(root, 'd:policy_published/d:domain')
    if sm and (sm.group(1) != domain or sm.group(3) != rid):
        problems.append('subject-vs-xml')
    if fm and (fm.group(2) != domain or fm.group(5) != rid or fm.group(3) != begin or
               fm.group(4) != end or (sm and fm.group(1) != sm.group(2))):
        problems.append('filename-vs-xml')
    mid = str(m.get('Message-ID', '')).strip()
    if not mid.startswith('<' + rid + '@'):
        problems.append('message-id')
    return (xml, root), problems, to


def cmd_read(d, xmldir):
    files = sorted(f for f in glob.glob(os.path.join(d, '*'))
                   if os.path.isfile(f) and not f.endswith('.gz'))
    bad = 0
    for n, path in enumerate(files, 1):
        with open(path, 'rb') as f:
            m = email.message_from_binary_file(f, policy=email.policy.compat32)
        got, problems, to = check_message(path, m)
        if got is None:
            print('report %d - %s - %s' % (n, to, ','.join(problems)))
            bad += 1
            continue
        xml, root = got
        with open(os.path.join(xmldir, '%d.xml' % n), 'wb') as f:
            f.write(xml)
        print('report %d %s %s %s %s' % (n, text(root, 'd:policy_published/d:domain'), to,
                                         text(root, 'd:report_metadata/d:report_id'),
                                         ','.join(problems) or 'ok'))
        bad += 1 if problems else 0
        for r in rows_of(root):
            print('row %d %s' % (n, ' '.join(r)))
    return 1 if bad else 0


def cmd_summary(*files):
    for n, path in enumerate(files, 1):
        for r in rows_of(ET.parse(path).getroot()):
            print('row %d %s' % (n, ' '.join(r)))
    return 0


if __name__ == '__main__':
    cmds = {'read': cmd_read, 'summary': cmd_summary}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
