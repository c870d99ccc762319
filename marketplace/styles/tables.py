import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.styles.filters import Sort

NUMERIC = {"th": {"class": "numeric"}, "td": {"class": "numeric"}}

# The catalog's own sort orders, as the headers that choose them: (order, aria-sort) per column, the first one
# being what a click on the header asks for first; a second click on a sorted header asks for the next.
HEADER_SORTS = {
    "created_at": ((Sort.NEWEST, "descending"),),
    "price_per_generation": ((Sort.PRICE, "ascending"), (Sort.PRICE_DESC, "descending")),
    "generation_count": ((Sort.POPULAR, "descending"),),
}


class StyleTable(tables.Table):
    """The catalog's table view: the same rows as the card grid (Style.objects.for_cards()), already
    filtered, sorted and paged by the view, so the table itself neither orders nor paginates; its sortable
    headers are links to the catalog's sort orders (headers())."""

    cover = tables.TemplateColumn(
        template_name="styles/_table_cover.html", verbose_name=gettext_lazy("Picture"), empty_values=()
    )
    name = tables.Column(gettext_lazy("Style"), linkify=True, attrs={"td": {"data-testid": "style-name"}})
    artist = tables.Column(gettext_lazy("Artist"), linkify=lambda record: record.artist.get_absolute_url())
    price_per_generation = tables.Column(gettext_lazy("Tokens / image"), attrs=NUMERIC)
    generation_count = tables.Column(gettext_lazy("Images made"), attrs=NUMERIC)
    created_at = tables.DateColumn(verbose_name=gettext_lazy("Added"), short=False)
    commercial_use = tables.Column(gettext_lazy("Commercial use"))
    tags = tables.Column(gettext_lazy("Tags"), empty_values=())

    class Meta:
        orderable = False
        template_name = "styles/_table.html"
        attrs = {"class": "striped catalog-table"}
        row_attrs = {"data-testid": "style-row"}

    def __init__(self, data, *, sort: Sort, query):
        super().__init__(data)
        self.sort, self.query = sort, query

    def headers(self) -> list[tuple]:
        """(column, sort URL or None, aria-sort or None) per column. A sort link keeps every filter and the
        view, and starts again from the first page."""
        headers = []
        for column in self.columns:
            orders = HEADER_SORTS.get(column.name)
            if not orders:
                headers.append((column, None, None))
                continue
            applied = [n for n, (order, _direction) in enumerate(orders) if order == self.sort]
            following = orders[(applied[0] + 1) % len(orders)][0] if applied else orders[0][0]
            query = self.query.copy()
            for key in ("cursor", "page"):
                query.pop(key, None)
            query["sort"] = following
            headers.append((column, f"?{query.urlencode()}", orders[applied[0]][1] if applied else None))
        return headers

    def render_artist(self, value) -> str:
        return value.public_name

    def render_commercial_use(self, value: bool) -> str:
        return _("Allowed") if value else _("Personal only")

    def render_tags(self, record) -> str:
        return render_to_string("styles/_tag_links.html", {"tags": record.tags.all()})
