"""Deterministic synthetic people, companies and dates for the example companies' databases.

Everything comes from one `random.Random(seed)`, so a seed always builds the same company.
Names are Danish or Norwegian-looking, phone numbers are valid for the country (checked
with `phonenumbers`), e-mail domains end in `.example`, CVR / orgnr numbers pass their
checksums. Timestamps are naive UTC (what most company databases store).

Every example's build_db.py also takes its plumbing from here: `Rows` (rows per table, ids
from 1), `write` (recreate the tables at a URL and insert) and `script_main` (the command line
`build_db.py [URL] [--customers N] [--seed S]`). A script `persondata init` copies imports
them from the installed package.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import Engine, Index, MetaData, Table, create_engine, event, func, inspect, text
from stdnum.dk import cvr as dk_cvr
from stdnum.no import orgnr as no_orgnr

BATCH = 5000
"""Rows per executemany batch."""

FIRST = {
    "DK": ["Anne", "Mette", "Kirsten", "Hanne", "Helle", "Susanne", "Lene", "Camilla", "Louise", "Ida",
           "Emma", "Freja", "Sofie", "Maja", "Jens", "Peter", "Lars", "Søren", "Niels", "Henrik", "Anders",
           "Thomas", "Jesper", "Mads", "Rasmus", "Mikkel", "Frederik", "Oliver", "Lucas", "Christian",
           "Birgitte", "Pia", "Karen", "Tove", "Bent", "Poul", "Kasper", "Jonas"],
    "NO": ["Kari", "Ingrid", "Anne", "Liv", "Marit", "Silje", "Ingeborg", "Nora", "Ole", "Lars", "Knut",
           "Per", "Jon", "Bjørn", "Arne", "Svein", "Håkon", "Magnus", "Sindre", "Eirik", "Torbjørn",
           "Kjersti", "Hilde", "Solveig", "Åse", "Vegard", "Trond", "Øystein"],
}
LAST = {
    "DK": ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
           "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen",
           "Poulsen", "Johansen", "Møller", "Mortensen", "Kjær", "Holm", "Lund", "Bach", "Dam", "Skov",
           "Krogh", "Østergaard", "Frandsen", "Lauridsen"],
    "NO": ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
           "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen",
           "Andreassen", "Jacobsen", "Dahl", "Lund", "Halvorsen", "Sørensen", "Bakken", "Strand", "Solberg",
           "Moen", "Lie", "Nordmann"],
}
STREETS = {
    "DK": ["Vestergade", "Østergade", "Nørregade", "Søndergade", "Algade", "Bredgade", "Skolevej", "Kirkevej",
           "Industrivej", "Stationsvej", "Havnegade", "Strandvejen", "Møllevej", "Engvej", "Birkevej",
           "Egevej", "Bøgevej", "Lindevej", "Toftevej", "Markvej"],
    "NO": ["Storgata", "Kirkegata", "Skolegata", "Strandveien", "Industriveien", "Stasjonsveien",
           "Bryggeveien", "Sjøgata", "Fjellveien", "Bjørkeveien", "Granveien", "Elvegata"],
}
CITIES = {
    "DK": [("1050", "København K"), ("2300", "København S"), ("2770", "Kastrup"), ("4000", "Roskilde"),
           ("5000", "Odense C"), ("6000", "Kolding"), ("6400", "Sønderborg"), ("7100", "Vejle"),
           ("8000", "Aarhus C"), ("8600", "Silkeborg"), ("8700", "Horsens"), ("9000", "Aalborg")],
    "NO": [("0150", "Oslo"), ("3611", "Kongsberg"), ("5003", "Bergen"), ("7010", "Trondheim"),
           ("4006", "Stavanger"), ("9008", "Tromsø"), ("2317", "Hamar"), ("3015", "Drammen")],
}
COMPANY_WORDS = {
    "DK": ["Tømrer", "Revision", "Auto", "El", "VVS", "Rådgivning", "Bageri", "Transport", "Design",
           "Ejendomme", "Tandklinik", "Maskin", "Grafisk", "Bogholderi", "Smede", "Malerfirma"],
    "NO": ["Fiber", "Kabel", "Elektro", "Nett", "Bredbånd", "Energi", "Kraftlag", "Telenett", "Installasjon",
           "Entreprenør"],
}
SUFFIX = {"DK": ["ApS", "A/S", "I/S"], "NO": ["AS", "AS", "SA"]}
_PREFIXES = {"DK": ["2", "3", "4", "5", "6", "7", "8", "9"], "NO": ["4", "9"]}
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "o", "ä": "a"})


def to_naive_utc(moment: datetime | None) -> datetime:
    """The reference time as naive UTC (default: now)."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def slug(value: str) -> str:
    """Lower-case ASCII for e-mail local parts and domains."""
    out = value.lower().translate(_ASCII)
    return "".join(ch if ch.isalnum() else "-" for ch in out).strip("-").replace("--", "-")


class Synth:
    """A seeded source of synthetic people and companies for one country."""

    def __init__(self, seed: int, country: str, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.country = country
        self.now = now
        self._emails: set[str] = set()
        self._phones: set[str] = set()
        self._numbers: set[str] = set()
        self._pool: list[str] = []

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def pick(self, items: Sequence[Any]) -> Any:
        """One of the items."""
        return items[self.rng.randrange(len(items))]

    def first_name(self) -> str:
        """A first name of the country."""
        return str(self.pick(FIRST[self.country]))

    def name(self) -> str:
        """A full name."""
        return f"{self.first_name()} {self.pick(LAST[self.country])}"

    def company(self) -> str:
        """A company name."""
        return (
            f"{self.pick(COMPANY_WORDS[self.country])} {self.pick(LAST[self.country])} "
            f"{self.pick(SUFFIX[self.country])}"
        )

    def domain(self, company: str) -> str:
        """An .example e-mail domain for a company."""
        words = [w for w in slug(company).split("-") if w not in {"aps", "a-s", "as", "i-s", "sa"}]
        return "-".join(words[:2]) + ".example"

    def email(self, name: str, domain: str | None = None) -> str:
        """A unique, lower-case e-mail address at an .example domain."""
        first, _, last = name.partition(" ")
        domain = domain or self.pick(["post.example", "mail.example", "net.example", "firma.example"])
        base = f"{slug(first)}.{slug(last)}" if last else slug(first)
        address = f"{base}@{domain}"
        n = 1
        while address in self._emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self._emails.add(address)
        return address

    def phone(self, style: str = "e164") -> str:
        """A unique, valid phone number: E.164 (default), 'national' (8 digits) or 'spaced'."""
        region = self.country
        code = phonenumbers.country_code_for_region(region)
        while True:
            digits = self.pick(_PREFIXES[region]) + "".join(str(self.rng.randrange(10)) for _ in range(7))
            if digits in self._phones:
                continue
            number = phonenumbers.parse(digits, region)
            if phonenumbers.is_valid_number(number):
                self._phones.add(digits)
                break
        if style == "national":
            return digits
        if style == "spaced":
            return f"+{code} {digits[0:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]}"
        return f"+{code}{digits}"

    def other_phone(self) -> str:
        """A number people call or text (a counterparty): drawn from a pool of 300, reused."""
        if not self._pool:
            self._pool = [self.phone() for _ in range(300)]
        return str(self.pick(self._pool))

    def mixed_phone(self) -> str:
        """A phone number in the spelling people type: mostly E.164, some national or spaced."""
        r = self.rng.random()
        return self.phone("national" if r < 0.15 else "spaced" if r < 0.3 else "e164")

    def reserve(self, *, emails: Iterable[str] = (), phones: Iterable[str] = ()) -> None:
        """Keep fixed people's e-mails and phone numbers from being generated again."""
        self._emails.update(emails)
        self._phones.update(p[-8:] for p in phones)

    def registration(self) -> str:
        """A checksum-valid CVR (DK) or organisasjonsnummer (NO), unique within this Synth."""
        module = dk_cvr if self.country == "DK" else no_orgnr
        while True:
            first = "89" if self.country == "NO" else "123456789"
            digits = self.pick(first) + "".join(
                str(self.rng.randrange(10)) for _ in range(7 if self.country == "DK" else 8)
            )
            if digits not in self._numbers and module.is_valid(digits):
                self._numbers.add(digits)
                return digits

    def street(self) -> tuple[str, str, str]:
        """(street and number, postcode, city)."""
        postcode, city = self.pick(CITIES[self.country])
        return f"{self.pick(STREETS[self.country])} {self.rng.randint(1, 120)}", postcode, city

    def ago(self, max_days: float, min_days: float = 0) -> datetime:
        """A naive UTC time between max_days and min_days before now."""
        days = self.rng.uniform(min_days, max_days)
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def after(self, start: datetime, max_days: float, min_days: float = 0) -> datetime:
        """A time between min_days and max_days after start, never after now."""
        moment = start + timedelta(days=self.rng.uniform(min_days, max_days))
        return min(moment, self.now).replace(microsecond=0)

    def ip(self) -> str:
        """An IPv4 address from the documentation ranges."""
        net = self.pick(["192.0.2", "198.51.100", "203.0.113"])
        return f"{net}.{self.rng.randint(1, 254)}"

    def user_agent(self) -> str:
        """A browser name."""
        return str(self.pick(["Firefox 128", "Chrome 126", "Safari 17", "Edge 126", "Chrome Mobile 125"]))

    def fake_ciphertext(self) -> str:
        """A vault-shaped token whose key is in no vault: reads as already shredded."""
        key_id = base64.urlsafe_b64encode(self.rng.randbytes(16)).decode().rstrip("=")
        body = base64.urlsafe_b64encode(self.rng.randbytes(60)).decode()
        return f"pdv1:{key_id}:{body}"


def years_ago(now: datetime, years: float) -> datetime:
    """A naive time the given number of (365-day) years before now."""
    return now - timedelta(days=365 * years)


def day(moment: datetime) -> date:
    """The date of a naive datetime."""
    return moment.date()


def engine_for(url: str) -> Engine:
    """An engine for a company database URL (SQLite, PostgreSQL, MariaDB...).

    On SQLite the build skips fsync (PRAGMA synchronous=OFF): it is a synthetic database
    written once, and each DDL statement would otherwise sync the file.
    """
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_sync(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    return engine


def recreate(engine: Engine, metadata: MetaData) -> None:
    """Drop the example's own tables if they exist, then create them with their indexes.

    Refuses (ValueError) when a table that is not the example's references one of its tables:
    each example wants a database of its own.
    """
    existing = inspect(engine)
    ours = set(metadata.tables)
    for name in existing.get_table_names():
        if name in ours:
            continue
        for fk in existing.get_foreign_keys(name):
            if fk.get("referred_table") in ours:
                raise ValueError(f"table {name!r} in this database is not part of the example and refers to "
                                 f"{fk['referred_table']!r}; build the example in an empty database")
    metadata.drop_all(engine, checkfirst=True)
    metadata.create_all(engine)
    _email_lower_indexes(engine, metadata)


def _email_lower_indexes(engine: Engine, metadata: MetaData) -> None:
    """Index lower(email) where e-mails are looked up: persondata matches them case-insensitively.

    PostgreSQL and SQLite compare lower(column); MariaDB's default collation already ignores case
    (and it has no expression indexes), so the plain index serves there.
    """
    if engine.dialect.name not in ("postgresql", "sqlite"):
        return
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                indexed = column.index or any(column in ix.columns.values() for ix in table.indexes)
                if indexed and column.name.endswith("email"):
                    Index(f"ix_{table.name}_{column.name}_lower", func.lower(column)).create(conn)


def insert_all(engine: Engine, metadata: MetaData,
               rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Insert rows per table in dependency order, in executemany batches; returns the counts."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            batch = rows.get(table.name, [])
            for i in range(0, len(batch), BATCH):
                conn.execute(table.insert(), batch[i : i + BATCH])
            counts[table.name] = len(batch)
        if engine.dialect.name == "postgresql":
            _advance_sequences(conn, metadata.sorted_tables)
    return counts


class Rows(dict[str, list[dict[str, Any]]]):
    """The rows to insert, per table of a metadata; `add` numbers each table's ids from 1."""

    def __init__(self, metadata: MetaData) -> None:
        super().__init__((name, []) for name in metadata.tables)

    def add(self, table: str, **values: Any) -> int:
        """Append a row to table under the next id; returns that id."""
        batch = self[table]
        values["id"] = len(batch) + 1
        batch.append(values)
        return len(batch)


def write(url: str, metadata: MetaData, rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Recreate the metadata's tables at url and insert the rows; returns rows per table."""
    engine = engine_for(url)
    try:
        recreate(engine, metadata)
        return insert_all(engine, metadata, rows)
    finally:
        engine.dispose()


def script_main(build: Callable[..., dict[str, int]], env_var: str, doc: str | None,
                argv: Sequence[str] | None = None) -> int:
    """An example's command line, `build_db.py [URL] [--customers N] [--seed S]`: build, print the counts.

    URL defaults to $env_var; the help's description is the first line of doc (the script's docstring).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("url", nargs="?", default=os.environ.get(env_var),
                        help=f"SQLAlchemy URL (default ${env_var})")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.url:
        parser.error(f"give a database URL or set {env_var}")
    counts = build(args.url, customers=args.customers, seed=args.seed)
    for table, count in counts.items():
        print(f"{table:28} {count:>8}")
    return 0


def _advance_sequences(conn: Any, tables: Iterable[Table]) -> None:
    """After explicit ids, move each serial sequence past the largest id (PostgreSQL)."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or column.type.python_type is int:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )
