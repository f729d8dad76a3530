from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "hmskort.cards"
    label = "cards"
