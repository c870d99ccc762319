"""The community's pages: home and artists (pages), the feed, an image's page with its comments,
likes and follows (social), and reports."""

from marketplace.community.views.pages import home

__all__ = ["home"]
