from django.urls import path, re_path

from marketplace.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("models/<int:style_id>/status", views.model_status, name="model-status"),
    path("models/<int:style_id>/artifact", views.model_artifact, name="model-artifact"),
    path("models/<int:style_id>/training-images/<int:image_id>", views.training_image, name="training-image"),
    path("images/<int:generation_id>/status", views.image_status, name="image-status"),
    path("images/<int:generation_id>/image", views.image_upload, name="image-upload"),
    # Anything else under /api/ is a JSON 404 too, never Django's HTML page (docs/worker-protocol.md, "Errors").
    re_path(r"^.*$", views.unknown_endpoint, name="unknown"),
]
