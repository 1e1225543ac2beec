"""One experiment per simulation page: ``run(config) -> result``, frozen dataclasses with
documented fields. Pages read their declared controls, make one cached call, and draw."""
