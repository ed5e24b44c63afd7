"""The web layer: one package per area, each a thin ``views.py`` (+ ``forms.py``)."""
