"""Reading the HTML the tests fetch, with a real parser (BeautifulSoup on the standard
library's html.parser), and the few questions the tests ask of a page: its visible text, its
links, an element by CSS selector or id, the block under a heading.

(Named markup, not html, so it can never shadow the standard library's html module.)
"""

from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from django.forms import BooleanField

# Elements whose text a reader never sees in the page.
UNSEEN = frozenset({"script", "style", "title", "template"})


def squash(text: str) -> str:
    """Whitespace runs as single spaces, no leading or trailing space."""
    return " ".join(text.split())


def _visible_strings(tag: Tag) -> Iterator[str]:
    for child in tag.children:
        if isinstance(child, Tag):
            if child.name not in UNSEEN:
                yield from _visible_strings(child)
        elif type(child) is NavigableString:  # not a comment, doctype or CDATA
            yield str(child)


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    classes: tuple[str, ...]


class Node:
    """An element of a parsed page (or the whole page)."""

    def __init__(self, tag: Tag):
        self.tag = tag

    def __repr__(self) -> str:
        return f"<Node {str(self.tag)[:200]!r}>"

    # -- what a reader sees
    @property
    def text(self) -> str:
        """The visible text, whitespace squashed (adjacent elements' text is not spaced)."""
        return squash("".join(_visible_strings(self.tag)))

    def attr(self, name: str, default: str = "") -> str:
        value = self.tag.get(name, default)
        return " ".join(value) if isinstance(value, list) else value

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.tag.get("class") or ())

    # -- links
    @property
    def links(self) -> list[Link]:
        """Every <a> inside, in document order."""
        return [Link(a.attr("href"), a.text, a.classes) for a in map(Node, self.tag.find_all("a"))]

    def links_to(self, href: str) -> list[Link]:
        return [link for link in self.links if link.href == href]

    def hrefs_starting(self, prefix: str) -> list[str]:
        return [link.href for link in self.links if link.href.startswith(prefix)]

    @property
    def hrefs(self) -> list[str]:
        """Every non-empty href of any element (a, link, area, ...), in document order."""
        return [t["href"] for t in self.tag.find_all(href=True) if t["href"]]

    # -- elements
    def select(self, css: str) -> list["Node"]:
        return [Node(t) for t in self.tag.select(css)]

    def one(self, css: str) -> "Node":
        """The first element matching `css`; fails the test when there is none."""
        found = self.tag.select_one(css)
        assert found is not None, f"no {css!r} in {str(self.tag)[:300]!r}"
        return Node(found)

    def has(self, css: str) -> bool:
        return self.tag.select_one(css) is not None

    @property
    def ids(self) -> dict[str, str]:
        """The visible text of every element that has an id, by id."""
        return {t["id"]: Node(t).text for t in self.tag.find_all(id=True)}

    def texts(self, css: str) -> list[str]:
        return [n.text for n in self.select(css)]

    def heading(self, starts_with: str, css: str = "h2") -> "Node | None":
        """The first heading whose text starts with `starts_with`."""
        for node in self.select(css):
            if node.text.startswith(squash(starts_with)):
                return node
        return None

    def element_starting(self, starts_with: str, css: str = "p") -> "Node":
        """The first element matching `css` whose text starts with `starts_with`."""
        for node in self.select(css):
            if node.text.startswith(starts_with):
                return node
        raise AssertionError(f"no {css} starting {starts_with!r}")

    def next(self, name: str) -> "Node":
        """The next sibling element called `name` (e.g. the list under a heading)."""
        found = self.tag.find_next_sibling(name)
        assert found is not None, f"no <{name}> after {self!r}"
        return Node(found)

    def enclosing(self, name: str) -> "Node":
        found = self.tag.find_parent(name)
        assert found is not None, f"no <{name}> around {self!r}"
        return Node(found)


def definitions(node: Node) -> dict[str, Node]:
    """A <dl> read as {term: its description} (e.g. an entity page's summary box)."""
    return {dt.text: Node(dt.tag.find_next_sibling("dd")) for dt in node.select("dt")}


class Page(Node):
    """A whole HTML document; `raw` keeps the source for tests about escaping."""

    def __init__(self, raw: str):
        self.raw = raw
        super().__init__(BeautifulSoup(raw, "html.parser"))


def text_of(html: str) -> str:
    """The visible text of an HTML fragment."""
    return Page(html).text


def response_bytes(response) -> bytes:
    """A response's body, streamed (the downloads) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def response_text(response) -> str:
    """A response's body as text, without a UTF-8 byte-order mark (the CSV downloads start
    with one so spreadsheets read them as UTF-8)."""
    return response_bytes(response).decode("utf-8-sig")


def admin_form_data(response):
    """The POST body the change form would send unchanged (main form and every inline)."""
    data = {}

    def put(form, prefix=""):
        for name, field in form.fields.items():
            key = f"{prefix}{name}"
            value = form[name].value()
            if isinstance(field, BooleanField):
                if value:
                    data[key] = "on"
                continue
            data[key] = "" if value is None else value
            if field.show_hidden_initial:
                # A field with a callable default (a JSON list or dict) sends its initial
                # value in a hidden input too, which the form compares to tell a change.
                data[form.add_initial_prefix(name)] = data[key]

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        put(fs.management_form, f"{fs.prefix}-")
        for i, f in enumerate(fs.forms):
            put(f, f"{fs.prefix}-{i}-")
    return data


def get_page(client, url: str, status: int = 200) -> "Page":
    """GET `url` with a test client, check the status, parse the answer."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return Page(response.content.decode())
