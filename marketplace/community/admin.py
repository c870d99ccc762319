from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy

from marketplace.community.models import Comment, Follow, Like, ModerationAction, Report, reportable_models
from marketplace.community.moderation import (
    MODERATION_ACTIONS,
    moderation_link,
    moderation_queue_entries,
    moderation_queue_groups,
)
from marketplace.community.services import comment_delete, image_title, like_delete
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.generations.models import Generation
from marketplace.styles.models import Style


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "following", "created_at")
    search_fields = ("follower__username", "follower__email", "following__username", "following__email")
    date_hierarchy = "created_at"
    list_select_related = ("follower", "following")
    autocomplete_fields = ("follower", "following")


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("user", "generation", "created_at")
    search_fields = ("user__username", "user__email", "generation__prompt")
    date_hierarchy = "created_at"
    list_select_related = ("user", "generation__style")
    autocomplete_fields = ("user", "generation")

    # Likes are made by people; staff may only remove them, through the service that keeps like_count.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Like) -> None:
        like_delete(like_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for like_id in queryset.values_list("pk", flat=True):
            like_delete(like_id=like_id)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("user", "excerpt", "generation", "created_at")
    search_fields = ("body", "user__username", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user", "generation__style")
    autocomplete_fields = ("user", "generation")

    # Comments are written on the image page; staff hide them (moderation) or delete them, through the
    # services that keep the image's comment_count.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Comment) -> None:
        comment_delete(user=request.user, comment_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for comment_id in queryset.values_list("pk", flat=True):
            comment_delete(user=request.user, comment_id=comment_id)

    @admin.display(description=gettext_lazy("comment"), ordering="body")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)


MODERATED_MODELS = {model._meta.model_name: model for model in reportable_models()}
QUEUE_PER_PAGE = 50
ACTION_TITLES = {
    ModerationAction.Action.HIDE: gettext_lazy("Hide"),
    ModerationAction.Action.DISMISS: gettext_lazy("Dismiss the reports"),
    ModerationAction.Action.RESTORE: gettext_lazy("Restore"),
}


class ModerationForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("The owner is told this reason, and the moderation log keeps it."),
        error_messages={"required": gettext_lazy("Say why: the owner is told, and the record keeps it.")},
    )


def target_state(target) -> str:
    """The object's state as a moderator needs it: hidden, deleted, private or visible."""
    if target is None:
        return gettext("Gone")
    if target.hidden_at is not None:
        return gettext("Hidden since %(date)s") % {"date": date_format(target.hidden_at, "DATETIME_FORMAT")}
    if getattr(target, "deleted_at", None) is not None:
        return gettext("Deleted by its owner")
    if isinstance(target, Generation) and target.visibility != Generation.Visibility.PUBLIC:
        return gettext("Private")
    if isinstance(target, Generation) and target.style.hidden_at is not None:
        return gettext("Hidden with its style")
    if isinstance(target, Style) and not target.is_live:
        return gettext("Not listed")
    return gettext("Visible")


def target_label(target) -> str:
    if isinstance(target, Generation):
        return gettext("Image “%(title)s”") % {"title": image_title(target)}
    if isinstance(target, Comment):
        return gettext("Comment “%(text)s”") % {"text": Truncator(target.body).chars(60)}
    if isinstance(target, Style):
        return gettext("Style “%(name)s”") % {"name": target.name}
    return gettext("Deleted object")


class EveryReport(admin.SimpleListFilter):
    """?view=all: the switch from the grouped queue to the list of every report (see changelist_view)."""

    title = gettext_lazy("list")
    parameter_name = "view"

    def lookups(self, request, model_admin):
        return [("all", gettext_lazy("Every report"))]

    def queryset(self, request, queryset):
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The moderation queue: open reports, one row per reported object, newest first.

    Report rows are never edited here: the hide, dismiss and restore pages call the
    moderation services, which close the reports and record what was done.
    ?all=1 lists every report one by one (read-only).
    """

    list_display = ("created_at", "reporter", "reason", "target_type", "target_id", "status", "resolved_by")
    list_filter = (EveryReport, "status", "reason", "target_type")
    actions = ("hide_reported", "dismiss_reported")
    search_fields = ("reporter__username", "reporter__email", "note")
    list_select_related = ("reporter", "target_type", "resolved_by")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Report._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Hide the reported objects…"))
    def hide_reported(self, request, queryset):
        return self._moderate_selected(request, queryset, ModerationAction.Action.HIDE)

    @admin.action(description=gettext_lazy("Dismiss the reports on these objects…"))
    def dismiss_reported(self, request, queryset):
        return self._moderate_selected(request, queryset, ModerationAction.Action.DISMISS)

    def _moderate_selected(self, request, queryset, action: str):
        """Ask why (an intermediate page, like the admin's delete confirmation), then call the service once
        per reported object."""
        pairs = set(queryset.values_list("target_type", "target_id"))
        targets = []
        for type_id, target_id in sorted(pairs):
            model = ContentType.objects.get_for_id(type_id).model_class()
            target = model._base_manager.filter(pk=target_id).first()
            if target is not None:
                targets.append(target)
        form = ModerationForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            act, reason = MODERATION_ACTIONS[action], form.cleaned_data["reason"]
            try:
                for target in targets:
                    act(moderator=request.user, target=target, reason=reason)
            except NotAllowed:
                raise PermissionDenied from None
            done = {
                ModerationAction.Action.HIDE: gettext("Hid %(count)d objects; their owners have been told why."),
                ModerationAction.Action.DISMISS: gettext("Dismissed the reports on %(count)d objects."),
            }[action]
            self.message_user(request, done % {"count": len(targets)}, messages.SUCCESS)
            return None
        context = self._context(
            request, title=ACTION_TITLES[action], action=action, form=form,
            targets=[(target_label(target), target_state(target)) for target in targets],
            selected=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            action_name=request.POST.get("action", ""), select_across=request.POST.get("select_across", "0"),
        )
        return TemplateResponse(request, "admin/community/report/moderate_selected.html", context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("hidden/", wrap(self.hidden_view), name="community_report_hidden"),
            path(
                "moderate/<str:action>/<str:model>/<int:pk>/", wrap(self.moderate_view),
                name="community_report_moderate",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def changelist_view(self, request, extra_context=None):
        # Any filter, search, sort or ?view=all asks for the plain list of reports, which keeps the
        # admin's own filters, paging and actions; the bare address is the grouped queue.
        if set(request.GET) - {"page"} or request.method == "POST" or not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        page = Paginator(moderation_queue_groups(), QUEUE_PER_PAGE).get_page(request.GET.get("page"))
        entries = moderation_queue_entries(page.object_list)
        for entry in entries:
            entry.label = target_label(entry.target)
            entry.state = target_state(entry.target)
            entry.link = moderation_link(entry.target) if entry.target is not None else ""
            entry.is_hidden = entry.target is not None and entry.target.hidden_at is not None
        context = self._context(
            request, title=gettext("Moderation queue"), entries=entries, page_obj=page,
        )
        return TemplateResponse(request, "admin/community/report/queue.html", context)

    def hidden_view(self, request):
        """What the moderators have hidden, newest first, for restoring."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        hidden = []
        for model in MODERATED_MODELS.values():
            queryset = model._base_manager.filter(hidden_at__isnull=False).order_by("-hidden_at")
            if model is Comment:
                queryset = queryset.select_related("generation")
            elif model is Generation:
                queryset = queryset.select_related("style")
            hidden += list(queryset[:200])
        hidden.sort(key=lambda obj: obj.hidden_at, reverse=True)
        rows = [
            {"target": obj, "model": obj._meta.model_name, "label": target_label(obj),
             "state": target_state(obj), "link": moderation_link(obj)}
            for obj in hidden[:200]
        ]
        context = self._context(request, title=gettext("Hidden by the moderators"), rows=rows)
        return TemplateResponse(request, "admin/community/report/hidden.html", context)

    def moderate_view(self, request, action: str, model: str, pk: int):
        """Hide, dismiss or restore one object after asking why (like the admin's delete confirmation)."""
        if action not in MODERATION_ACTIONS or model not in MODERATED_MODELS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        target = get_object_or_404(MODERATED_MODELS[model]._base_manager, pk=pk)
        target_type = ContentType.objects.get_for_model(target)
        reports = Report.objects.filter(target_type=target_type, target_id=target.pk).select_related("reporter")
        form = ModerationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                MODERATION_ACTIONS[action](moderator=request.user, target=target, reason=form.cleaned_data["reason"])
            except NotAllowed:
                raise PermissionDenied from None
            except ServiceError as exc:
                form.add_error("reason", exc.message)
            else:
                done = {
                    ModerationAction.Action.HIDE: gettext("%(what)s is hidden; its owner has been told why."),
                    ModerationAction.Action.DISMISS: gettext("The reports on %(what)s are dismissed."),
                    ModerationAction.Action.RESTORE: gettext("%(what)s is restored; its owner has been told."),
                }[action]
                self.message_user(request, done % {"what": target_label(target)}, messages.SUCCESS)
                return redirect("admin:community_report_changelist")
        context = self._context(
            request, title=ACTION_TITLES[action], action=action, form=form,
            target=target, label=target_label(target), state=target_state(target), link=moderation_link(target),
            reports=reports[:50], history=ModerationAction.objects.filter(
                target_type=target_type, target_id=target.pk
            ).select_related("moderator")[:20],
        )
        status = 422 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/community/report/moderate.html", context, status=status)


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The moderation log: who did what to which object, when and why. Nobody edits it."""

    list_display = ("created_at", "moderator", "action", "target_link", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("moderator__username", "moderator__email", "reason")
    list_select_related = ("moderator", "target_type")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "moderator", "action", "target_type", "target_id", "reason")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        targets = GenericPrefetch(
            "target", [Generation.objects.all(), Comment.objects.select_related("generation"), Style.objects.all()]
        )
        return super().get_queryset(request).prefetch_related(targets)

    @admin.display(description=gettext_lazy("target"))
    def target_link(self, obj: ModerationAction):
        if obj.target is None:
            return f"{obj.target_type.model} #{obj.target_id}"
        return format_html('<a href="{}">{}</a>', moderation_link(obj.target), target_label(obj.target))
