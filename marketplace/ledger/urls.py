from django.urls import path

from marketplace.ledger import views

app_name = "ledger"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/balance/", views.balance, name="balance"),
]
