from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "hmskort.orders"
    label = "orders"
