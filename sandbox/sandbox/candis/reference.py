"""Static reference data of the emulated organization (German chart of accounts, cost centers, …)."""

from __future__ import annotations

from ..framework.data import Weighted

# Expense accounts (SKR03/SKR04 style) with their usual VAT rate.
GL_ACCOUNTS = [
    ("3400", "Wareneingang 19 % Vorsteuer", 19),
    ("4400", "Fremdleistungen", 19),
    ("6815", "Bürobedarf", 19),
    ("6805", "Telefon", 19),
    ("6310", "Miete", 19),
    ("6300", "Sonstige betriebliche Aufwendungen", 19),
    ("6825", "Rechts- und Beratungskosten", 19),
    ("6837", "Aufwendungen für Lizenzen", 19),
    ("6520", "Kfz-Versicherungen", 0),
    ("6820", "Zeitschriften, Bücher", 7),
    ("6600", "Werbekosten", 19),
    ("6470", "Reparaturen und Instandhaltung", 19),
]
GL_BY_CODE = {code: (code, name, vat) for code, name, vat in GL_ACCOUNTS}
GL_HOSPITALITY = ("6640", "Bewirtungskosten")
GL_HOSPITALITY_NON_DEDUCTIBLE = ("6644", "Nicht abzugsfähige Bewirtungskosten")
GL_PER_DIEM = ("6660", "Reisekosten Arbeitnehmer Verpflegungsmehraufwand")
GL_MILEAGE = ("6668", "Kilometergelderstattung Arbeitnehmer")

# DATEV tax keys ("BU-Schlüssel") for input VAT.
TAX_CODES = {19: ("9", "19 % Vorsteuer"), 7: ("8", "7 % Vorsteuer"), 0: ("0", "Ohne Vorsteuer")}

COST_CENTERS = [
    ("KST-100", "Vertrieb"),
    ("KST-200", "Marketing"),
    ("KST-300", "Verwaltung"),
    ("KST-400", "IT"),
    ("KST-500", "Produktion"),
    ("KST-600", "Logistik"),
    ("KST-700", "Personal"),
]
COST_OBJECTS = [
    ("KTR-2024-01", "Projekt Nordstern"),
    ("KTR-2024-07", "Messe Hannover"),
    ("KTR-2025-03", "ERP-Einführung"),
    ("KTR-2025-11", "Filiale Leipzig"),
    ("KTR-2026-02", "Relaunch Webshop"),
]
CUSTOM_CATEGORIES = [
    ("cat-hardware", "Hardware"),
    ("cat-software", "Software"),
    ("cat-office", "Büroausstattung"),
    ("cat-services", "Dienstleistungen"),
    ("cat-marketing", "Marketing"),
    ("cat-travel", "Reisen"),
]
EXTRA_COST_INFOS = [("ZK-01", "Fracht"), ("ZK-02", "Zoll"), ("ZK-03", "Verpackung")]
ACCOUNTING_AREAS = [
    ("DE01", "Alpha Handels GmbH Deutschland"),
    ("AT01", "Alpha Handels GmbH Zweigniederlassung Österreich"),
]

CURRENCIES = Weighted([("EUR", 85), ("CHF", 8), ("USD", 7)])
# Exchange rate to EUR, times 10,000 (CHF ~1.06, USD ~0.92 in 2024–2026), varied a little per record.
EUR_RATE_E4 = {"EUR": (10000, 0), "CHF": (10500, 300), "USD": (8900, 500)}

DOCUMENT_TYPES = Weighted(
    [
        ("Eingangsrechnung", 70),
        ("Rechnung", 12),
        ("Incoming Invoice", 10),
        ("Anzahlungsrechnung", 5),
        ("Proforma-Rechnung", 3),
    ]
)
CREDIT_NOTE_TYPE = "Gutschrift"
INVOICE_FORMATS = Weighted([("REGULAR", 78), ("XRECHNUNG", 12), ("ZUGFERD", 10)])
PAYMENT_CONDITIONS = [
    ("14 Tage 2 % Skonto, 30 Tage netto", 2, 14, 30),
    ("10 Tage 3 % Skonto, 30 Tage netto", 3, 10, 30),
    ("30 Tage netto", 0, 0, 30),
    ("Sofort ohne Abzug", 0, 0, 0),
    ("8 Tage 2 % Skonto, 14 Tage netto", 2, 8, 14),
]
POSTING_TEXTS = [
    "Wareneinkauf",
    "Beratungsleistung",
    "Wartungsvertrag",
    "Büromaterial",
    "Softwarelizenz",
    "Miete Lager",
    "Transportkosten",
    "Reparatur",
    "Reinigung",
    "Druckkosten",
    "Hosting",
    "Schulung",
    "Fracht",
]
ITEM_NOTES = ["", "Teillieferung", "Rahmenvertrag", "Nachberechnung", "Abschlag", "lt. Angebot", "Monatspauschale"]

CARD_MERCHANTS = [
    "Hotel Alpenblick GmbH",
    "Café Rheinblick",
    "Tankstelle Nord GmbH",
    "Bahnhofsbuchhandlung Weber",
    "Cloudhosting Europe S.à r.l.",
    "Parkhaus Zentrum GmbH",
    "Taxi Schmidt",
    "Copyshop Lindner",
    "Restaurant Zum Goldenen Adler",
    "Flughafen Parken Süd GmbH",
    "Software Abo Service Ltd.",
]
CARD_SETTINGS = ("1361", "1360")  # (booking account: Kreditkarte, transit account: Geldtransit)

REIMBURSEMENT_TYPES = ("GENERAL_EXPENSE", "HOSPITALITY_EXPENSE", "PER_DIEM", "MILEAGE")
# (title, GL account, VAT rate): shaped like GL_ACCOUNTS, but a title carries its own rate (one account, 7 or 19 %).
GENERAL_EXPENSE_TITLES = [
    ("Büromaterial", "6815", 19),
    ("Fachbuch", "6820", 7),
    ("Parkgebühren", "6650", 19),
    ("Bahnticket", "6650", 7),
    ("Taxifahrt", "6650", 7),
    ("Software-Abo", "6837", 19),
    ("Druckerpatronen", "6815", 19),
    ("Hotelübernachtung", "6650", 7),
    ("Porto", "6300", 0),
    ("Mobilfunkzubehör", "6805", 19),
]
REIMBURSEMENT_REASONS = [
    "Kundentermin",
    "Messebesuch",
    "Schulung",
    "Teamworkshop",
    "Projektmeeting",
    "Lieferantenbesuch",
    "Konferenz",
]
# German per-diem rates (BMF 2024), in cents: (full day, partial day), and meal deductions for full days.
PER_DIEM_COUNTRIES = [
    ("DE", "Germany", "Deutschland", 2800, 1400, 65),
    ("AT", "Austria", "Österreich", 5000, 3300, 12),
    ("CH", "Switzerland", "Schweiz", 6400, 4300, 10),
    ("FR", "France", "Frankreich", 5300, 3600, 8),
    ("NL", "Netherlands", "Niederlande", 4700, 3200, 5),
]
MILEAGE_CITIES = [
    ("Berlin", "Berlin"),
    ("Munich", "München"),
    ("Hamburg", "Hamburg"),
    ("Cologne", "Köln"),
    ("Frankfurt", "Frankfurt am Main"),
    ("Stuttgart", "Stuttgart"),
    ("Leipzig", "Leipzig"),
    ("Nuremberg", "Nürnberg"),
    ("Dusseldorf", "Düsseldorf"),
    ("Hanover", "Hannover"),
]
MILEAGE_RATES = {"CAR": 30, "MOTORBIKE": 20}  # cents per km (German flat rates)

PURCHASE_REQUEST_STATUSES = ("APPROVING", "APPROVED", "REJECTED", "FULFILLED", "PARTIALLY_FULFILLED", "CANCELLED")
PURCHASE_REQUEST_WEIGHTS = (10, 25, 7, 40, 12, 6)
PURCHASE_TITLES = [
    ("Laptops für neue Mitarbeitende", "cat-hardware"),
    ("Monitore 27 Zoll", "cat-hardware"),
    ("Jahreslizenz CRM", "cat-software"),
    ("Bürostühle", "cat-office"),
    ("Messestand Hannover", "cat-marketing"),
    ("Beratung Datenschutz", "cat-services"),
    ("Druck Broschüren", "cat-marketing"),
    ("Serverwartung", "cat-services"),
    ("Teamreise Hamburg", "cat-travel"),
    ("Kaffeevollautomat", "cat-office"),
]

FAILED_POSTING_ERRORS = ("EXPORTABLE_ENTITY_NOT_FOUND", "EXPORTABLE_POSTINGS_NOT_FOUND")
