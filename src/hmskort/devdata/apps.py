from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Demo and synthetic data: the top of the house.

    It may import every domain app (it writes all their tables) and no app imports it, so
    the data a developer or a benchmark needs never adds a dependency between domain apps.
    """

    name = "hmskort.devdata"
    label = "devdata"
