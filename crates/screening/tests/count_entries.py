#!/usr/bin/env python3
"""Independent entry and alias counts for the loader tests (tests/screening/loaders.rs).

Run from crates/screening: python3 tests/count_entries.py
Uses only the Python standard library (xml.etree, csv, json, re), not the Rust code. The counting
rules mirror what the loaders promise: a name is trimmed and its white space collapsed, blank
names are ignored, and exact duplicates within one entry count once; aliases = names - 1.
"""
import csv, io, json, re, sys, hashlib
import xml.etree.ElementTree as ET

D = '../../../shared/data/'
S = D + 'sanctions/'

def ws(s): return ' '.join((s or '').split())

def count(entries):
    n = a = 0
    for names in entries:
        seen = []
        for x in map(ws, names):
            if x and x not in seen: seen.append(x)
        n += 1; a += len(seen) - 1
    return n, a

def un():
    root = ET.parse(S + 'un_sc_consolidated_2026-02-27.xml').getroot()
    out = []
    for tag, al in (('INDIVIDUAL', 'INDIVIDUAL_ALIAS'), ('ENTITY', 'ENTITY_ALIAS')):
        for e in root.iter(tag):
            names = [' '.join(ws(e.findtext(f)) for f in ('FIRST_NAME','SECOND_NAME','THIRD_NAME','FOURTH_NAME') if ws(e.findtext(f)))]
            names += [a.findtext('ALIAS_NAME') for a in e.findall(al)]
            names.append(e.findtext('NAME_ORIGINAL_SCRIPT'))
            out.append(names)
    return count(out)

def eu_xml():
    ns = {'e': 'http://eu.europa.ec/fpi/fsd/export'}
    root = ET.parse(S + 'eu_fsf_xml_1_1_excerpt_2024-12-11.xml').getroot()
    return count([[a.get('wholeName') for a in e.findall('e:nameAlias', ns)] for e in root.findall('e:sanctionEntity', ns)])

def ofac_xml():
    ns = {'o': 'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML'}
    root = ET.parse(S + 'ofac_consolidated_nonsdn_2026-01-08.xml').getroot()
    def nm(x): return ' '.join(ws(x.findtext('o:' + f, namespaces=ns)) for f in ('firstName', 'lastName') if ws(x.findtext('o:' + f, namespaces=ns)))
    return count([[nm(e)] + [nm(a) for a in e.findall('o:akaList/o:aka', ns)] for e in root.findall('o:sdnEntry', ns)])

def ofac_csv():
    rd = lambda f: [r for r in csv.reader(io.StringIO(open(S + 'ofac_sdn_csv_2021-07/' + f, encoding='latin-1').read())) if len(r) > 1]
    cell = lambda s: '' if s.strip() == '-0-' else s.strip()
    names, remarks, order = {}, {}, []
    for r in rd('sdn.csv'):
        order.append(r[0]); names[r[0]] = [r[1]]; remarks[r[0]] = cell(r[11])
    for r in rd('sdn_comments.csv'):
        remarks[r[0]] += r[1]
    for r in rd('alt.csv'):
        names[r[0]].append(cell(r[3]))
    for k in order:
        names[k] += re.findall(r"a\.k\.a\. '([^']*)'", remarks[k])
    return count([names[k] for k in order])

def uk():
    rows = list(csv.reader(io.StringIO(open(S + 'uk_ofsi_conlist_excerpt_2020.csv', encoding='cp1252').read())))
    h = rows[0][1:]  # the header has an extra unnamed leading column
    groups = {}
    for r in rows[1:]:
        groups.setdefault(r[h.index('Group ID')], []).append(' '.join(r[h.index('Name %d' % i)].strip() for i in (1,2,3,4,5,6) if r[h.index('Name %d' % i)].strip()))
    return count(groups.values())

def bis():
    rows = list(csv.reader(io.StringIO(open(S + 'us_bis_denied_persons_list_2021.txt', encoding='utf-8').read()), delimiter='\t'))
    return count([[r[0]] for r in {tuple(r): 1 for r in rows[1:]}])

def ftm():
    pairs = json.load(open(D + 'eval/opensanctions_pairs_sample_1000.json'))
    party = {'Person', 'Company', 'Organization', 'LegalEntity', 'PublicBody', 'Vessel', 'Airplane'}
    out = []
    for p in pairs:
        for side in ('left', 'right'):
            e = p[side]
            if e['schema'] not in party: continue
            names = [n for k in ('name', 'alias', 'previousName', 'weakAlias') for n in e['properties'].get(k, [])]
            if any(ws(n) for n in names): out.append(names)
    return count(out)

def names_csv(f):
    out = []
    for r in csv.DictReader(open(S + f, encoding='utf-8', newline='')):
        if r['Name'].strip():
            out.append([r['Name']] + r['Alias'].split(', '))
    return count(out)

for label, fn in [('un', un), ('eu_xml', eu_xml), ('ofac_xml', ofac_xml), ('ofac_csv', ofac_csv), ('uk', uk), ('bis', bis), ('ftm', ftm)]:
    print(label, *fn())
for f in ('eu_fsf_names_2025.csv', 'ofac_sdn_names_2025.csv', 'uk_sanctions_list_names_2025.csv'):
    print(f, *names_csv(f))
