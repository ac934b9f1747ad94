"""Every page, as every demo role, in English: no Chinese outside the names of records.

The test loads the Yingkou demo once, signs in as each demo account, and crawls every
same-site link reachable from the home page and the navigation (GET only; at most
`PER_PATTERN` pages per URL shape, e.g. two project pages, and `MAX_PAGES` pages per
role) with `Accept-Language: en`. On each HTML page it removes what is record data —
project, enterprise, person, list and area/department names (the latter only when they
have no English name), free text that people typed (descriptions, reasons, remarks) —
and fails listing every URL with the Chinese text left on it.

Rerun it after merging (about a minute; one role: `-k area`):

    .venv/bin/python -m pytest tests/core/test_english_pages.py -q -p no:xdist

When it lists a string:

1. If the string is in a template or Python file but not wrapped, wrap it:
   `{% translate "…" %}` / `gettext("…")` (`gettext_lazy` at module level).
2. Refresh the catalogue and fill the new entries (empty `msgstr ""`; no `#, fuzzy`):

       cd src/zhenxing && DJANGO_SETTINGS_MODULE=zhenxing.settings ZHENXING_TESTING=1 \\
           ../../.venv/bin/django-admin makemessages -l en --no-location
       # edit locale/en/LC_MESSAGES/django.po
       ../../.venv/bin/django-admin compilemessages

3. Text built in Python from data (period labels, money units, enumerations) must
   come from a function that looks at `get_language()`, e.g. `Period.label_for()`.
4. Reference data (areas, departments) take their English from `name_en`; rules
   from `title_en` / `summary_en` in the catalogue's YAML.

Only a genuine record name belongs in `record_names()`; never add UI wording there.

`english_gaps.txt` lists the Chinese fragments the crawl still finds and knows about; it
is empty now and should stay so. The test fails on any fragment not in that list, so no
new untranslated text comes in. Texts the platform stores in Chinese (reasons, notes)
are translated when shown (`core.stored_text`). If a fragment has to be accepted for a
while, regenerate the list (it may only shrink against main):

    rm tests/core/english_gaps.txt
    ZHENXING_WRITE_ENGLISH_GAPS=1 \\
        .venv/bin/python -m pytest tests/core/test_english_pages.py -q -p no:xdist
    sort -u -o tests/core/english_gaps.txt tests/core/english_gaps.txt
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

PASSWORD = "Demo-Passw0rd-1"
ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader"]
MAX_PAGES = 160
PER_PATTERN = 2
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")
#: Characters that are punctuation only (（）、，：) do not count as Chinese by themselves.
IDEOGRAPH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Links that are not pages to read: downloads, sign-out, language switch, admin.
SKIP = re.compile(
    r"^/(logout|i18n|static|media|api|django-admin)/|/export|\.xlsx|/template/|/download|"
    r"/photos/\d+|/errors/|/file/|format="
)
#: Language names are written in their own language on purpose (the switcher's 中文).
ALLOWED = {"简体中文", "中文"}
KNOWN_GAPS_FILE = Path(__file__).with_name("english_gaps.txt")
KNOWN_GAPS = (
    set(KNOWN_GAPS_FILE.read_text(encoding="utf-8").split("\n")) - {""}
    if KNOWN_GAPS_FILE.exists()
    else set()
)


class _Page(HTMLParser):
    """The visible text of a page (no script/style, plus title/alt/placeholder
    attributes) and its links."""

    ATTRS = ("title", "alt", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "textarea"):
            self._skip_tags.append(tag)
        elif self._skip_tags:
            return
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in self.ATTRS:
            if values.get(name):
                self.text.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.text.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tags and self._skip_tags[-1] == tag:
            self._skip_tags.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip_tags and data.strip():
            self.text.append(data)


def _shape(path: str) -> str:
    """/projects/12/reports/ and /projects/13/reports/ have the same shape."""
    return re.sub(r"\d+", "N", path)


def record_names() -> list[str]:
    """Text that is record data, not UI: names of records and what people typed."""
    from django.contrib.auth import get_user_model

    from zhenxing.clusters.models import Cluster, ClusterScheme, ClusterTier
    from zhenxing.core.models import Area, Department, Industry
    from zhenxing.enterprises.models import Enterprise, FormerName, Tier
    from zhenxing.policies.models import (
        FactList,
        LedgerEntry,
        Objection,
        ObjectionReply,
        Policy,
        PolicyRun,
    )
    from zhenxing.projects.models import KeyList, Problem, Project, TeamMember, Visit

    names: set[str] = set()
    for row in get_user_model().objects.values_list("display_name", "title"):
        names.update(row)
    names.update(Enterprise.objects.values_list("name", flat=True))
    names.update(Enterprise.objects.values_list("address", flat=True))
    names.update(Enterprise.objects.values_list("contact_name", flat=True))
    names.update(FormerName.objects.values_list("name", flat=True))
    names.update(Project.objects.values_list("name", flat=True))
    names.update(Project.objects.values_list("description", flat=True))
    names.update(Project.objects.values_list("owner_name", flat=True))
    names.update(Project.objects.values_list("location", flat=True))
    names.update(Area.objects.filter(name_en="").values_list("name", flat=True))
    names.update(Department.objects.filter(name_en="").values_list("name", flat=True))
    names.update(Cluster.objects.filter(name_en="").values_list("name", flat=True))
    names.update(ClusterTier.objects.filter(name_en="").values_list("name", flat=True))
    names.update(ClusterScheme.objects.filter(name_en="").values_list("name", flat=True))
    names.update(
        ClusterScheme.objects.filter(short_name_en="").values_list("short_name", flat=True)
    )
    # Reference names the data model holds in Chinese only (no English field yet):
    # GB/T 4754 industries, key-project lists; a scheme's source (a newspaper issue).
    names.update(Industry.objects.values_list("name", flat=True))
    names.update(KeyList.objects.values_list("name", flat=True))
    names.update(ClusterScheme.objects.values_list("source", flat=True))
    for row in FactList.objects.values_list("name", "source_note"):
        names.update(row)
    # What was recorded at the time: a certificate's issuer and batch, a run's
    # allocation note, what a person typed as a ledger correction's reason.
    for row in Tier.objects.values_list("issuer", "batch", "end_reason"):
        names.update(row)
    names.update(PolicyRun.objects.values_list("allocation_note", flat=True))
    for reason in LedgerEntry.objects.values_list("reason", flat=True):
        # a correction's reason as the person typed it, behind the platform's "冲正："
        names.add(reason.partition("：")[2] or reason)
    # Internal remarks on areas (administrators only; tests/core/test_public_text.py
    # checks that nobody else sees them).
    names.update(Area.objects.values_list("note", flat=True))
    for row in Policy.objects.values_list("name", "time_limit", "contact", "note"):
        names.update(row)
    for model, fields in (
        (Visit, ("notes", "visitors")),
        (TeamMember, ("name", "duty")),
        (Problem, ("title", "description", "resolution")),
        (Objection, ("reason",)),
        (ObjectionReply, ("text",)),
    ):
        for row in model.objects.values_list(*fields):
            names.update(row)
    return sorted((n for n in names if n and IDEOGRAPH.search(n)), key=len, reverse=True)


def reference_names() -> list[str]:
    """On the reference-data pages (/system/…) a record's Chinese name is a column of
    its own, beside its English name."""
    from zhenxing.clusters.models import Cluster
    from zhenxing.core.models import Area, Department
    from zhenxing.enterprises.models import FactDefinition

    names: set[str] = set(Area.objects.values_list("name", flat=True))
    # a fact definition's Chinese name, beside its English one (the audit of its fields)
    names.update(FactDefinition.objects.values_list("label", flat=True))
    for row in Department.objects.values_list("name", "short_name"):
        names.update(row)
    names.update(Cluster.objects.values_list("name", flat=True))
    return sorted((n for n in names if n and IDEOGRAPH.search(n)), key=len, reverse=True)


def _crawl(client: Any, start: list[str]) -> Iterator[tuple[str, str]]:
    seen_shapes: Counter[str] = Counter()
    seen: set[str] = set()
    queue = list(start)
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen or SKIP.search(path):
            continue
        seen.add(path)
        shape = _shape(parts.path)
        if seen_shapes[shape] >= PER_PATTERN:
            continue
        seen_shapes[shape] += 1
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        pages += 1
        if response.status_code in (301, 302):
            queue.insert(0, response["Location"])
            continue
        assert response.status_code == 200, f"{path}: {response.status_code}"
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = _Page()
        page.feed(response.content.decode())
        for link in page.links:
            target = urlsplit(urljoin(path, link))
            if target.netloc or target.scheme not in ("", "http") or not target.path:
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
        yield path, "\n".join(page.text)


def _chinese_left(text: str, names: list[str]) -> list[str]:
    for name in names:
        if name in text:
            text = text.replace(name, " ")
    return sorted(
        {m.group(0) for m in HAN.finditer(text) if IDEOGRAPH.search(m.group(0))} - ALLOWED
    )


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[list[str], list[str]]]:
    """The demo, loaded once for every role (rolled back at the end)."""
    from django.db import transaction

    from zhenxing.demo.loader import load_demo

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(password=PASSWORD)
        yield record_names(), reference_names()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_english(
    role: str, demo: tuple[list[str], list[str]], client: Any, settings: Any
) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=role))
    from zhenxing.core.context_processors import navigation

    start = ["/"]
    request = client.get("/", HTTP_ACCEPT_LANGUAGE="en").wsgi_request
    start += [item["url"] for item in navigation(request)]
    problems = []
    fragments: set[str] = set()
    crawled = 0
    for url, text in _crawl(client, start):
        crawled += 1
        records, reference = demo
        names = records
        if url.startswith("/system/"):
            names = sorted(records + reference, key=len, reverse=True)
        left = _chinese_left(text, names)
        if left:
            fragments.update(left)
            problems.append(f"{url}: {' | '.join(left)}")
    assert crawled > 5
    if os.environ.get("ZHENXING_WRITE_ENGLISH_GAPS"):
        with KNOWN_GAPS_FILE.open("a", encoding="utf-8") as out:
            out.writelines(f"{fragment}\n" for fragment in sorted(fragments))
        return
    new = [p for p in problems if set(p.split(": ", 1)[1].split(" | ")) - KNOWN_GAPS]
    assert not new, (
        f"{role}: Chinese not yet known to be untranslated on {len(new)} of {crawled} pages "
        f"(known gaps: {KNOWN_GAPS_FILE.name}):\n" + "\n".join(new)
    )
