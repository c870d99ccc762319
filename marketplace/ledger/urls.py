from django.urls import path

from marketplace.ledger import views

app_name = "ledger"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/balance/", views.balance, name="balance"),
    path("wallet/buy/", views.buy, name="buy"),
    path("wallet/payments/", views.payments, name="payments"),
    path("wallet/history.csv", views.history_csv, name="history-csv"),
    path("wallet/earnings/", views.earnings, name="earnings"),
]
