"""Rendering safety: the one place where values become text that a terminal, a CI log or a
pull-request comment interprets.

- `inert`: control characters and bidi overrides made visible, secrets redacted
  (quantmatrix/redaction.py) — for any value placed into output;
- `terminal`: colour and the writer every command prints through (`echo`), which applies
  `inert` to everything as the last net;
- `markdown`: code spans and prose cells that cannot inject markdown, HTML or mentions.

Below the CLI: library modules render through here, never through `quantmatrix.cli`.
"""
