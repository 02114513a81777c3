"""stompbox: a pedalboard for the browser — LV2 plugins on JACK, played from any browser."""

__version__ = "0.1.0"
