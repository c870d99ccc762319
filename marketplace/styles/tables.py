import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NUMERIC = {"th": {"class": "numeric"}, "td": {"class": "numeric"}}


class StyleTable(tables.Table):
    """The catalog's table view: the same rows as the card grid (Style.objects.for_cards()), already
    filtered, sorted and paged by the view, so the table itself neither orders nor paginates."""

    name = tables.Column(gettext_lazy("Style"), linkify=True)
    artist = tables.Column(gettext_lazy("Artist"), linkify=lambda record: record.artist.get_absolute_url())
    price_per_generation = tables.Column(gettext_lazy("Tokens / image"), attrs=NUMERIC)
    generation_count = tables.Column(gettext_lazy("Images made"), attrs=NUMERIC)
    commercial_use = tables.Column(gettext_lazy("Commercial use"))
    tags = tables.Column(gettext_lazy("Tags"), empty_values=())

    class Meta:
        orderable = False
        template_name = "styles/_table.html"
        attrs = {"class": "striped"}
        row_attrs = {"data-testid": "style-row"}

    def __init__(self, data, *, with_popularity: bool):
        super().__init__(data, exclude=() if with_popularity else ("generation_count",))

    def render_artist(self, value) -> str:
        return value.public_name

    def render_commercial_use(self, value: bool) -> str:
        return _("Allowed") if value else _("Personal only")

    def render_tags(self, record) -> str:
        return render_to_string("styles/_tag_links.html", {"tags": record.tags.all()})
