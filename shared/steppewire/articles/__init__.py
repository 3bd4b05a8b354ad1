"""Articles: checked and made safe (`document`), stored (`store`), published from S3 (`publishing`), served (`routes`).

Nothing is imported here on purpose: the articles API must not pay at cold start for the Markdown,
YAML and sanitizer libraries that only publishing uses.
"""
